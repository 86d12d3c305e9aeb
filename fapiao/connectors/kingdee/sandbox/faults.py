"""Fault injection: each decision is one roll of a (seedable) die against its configured rate."""

from __future__ import annotations

import random

from fapiao.connectors.kingdee.sandbox.state import Config


class Faults:
    def __init__(self, config: Config) -> None:
        self._config = config
        self._rng = random.Random(config.seed)

    def _roll(self, rate: float) -> bool:
        return rate > 0 and self._rng.random() < rate

    def fail(self) -> bool:
        """Answer a submission 503 and record nothing."""
        return self._roll(self._config.fail_rate)

    def hang(self) -> bool:
        """Record and issue a submission, but hold its answer for `hang_s`."""
        return self._roll(self._config.timeout_rate)

    def drop_callback(self) -> bool:
        return self._roll(self._config.drop_callback_rate)

    def duplicate_callback(self) -> bool:
        return self._roll(self._config.duplicate_callback_rate)
