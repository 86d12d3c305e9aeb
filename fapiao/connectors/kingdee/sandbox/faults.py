"""The dice: each fault, and whether a blue's buyer already used it, is one roll against its configured rate."""

from __future__ import annotations

import random

from fapiao.connectors.kingdee.sandbox.config import Config

__all__ = ["Dice"]


class Dice:
    def __init__(self, config: Config) -> None:
        self._config = config
        self._rng = random.Random(config.seed)

    def _roll(self, rate: float) -> bool:
        return rate > 0 and self._rng.random() < rate

    def unavailable(self) -> bool:
        """Answer a call 503 and record nothing."""
        return self._roll(self._config.fail_rate)

    def hang(self) -> bool:
        """Record a call and carry it out, but hold its answer for `hang_s`."""
        return self._roll(self._config.timeout_rate)

    def drop_callback(self) -> bool:
        return self._roll(self._config.drop_callback_rate)

    def duplicate_callback(self) -> bool:
        return self._roll(self._config.duplicate_callback_rate)

    def face_check(self) -> bool:
        """The bureau wants 人脸认证 before it saves a form: 2.1.03 answers 91400 and records nothing."""
        return self._roll(self._config.face_check_rate)

    def used(self) -> bool:
        """The buyer already did 用途确认/入账 for a new blue, so its reds need the buyer's confirmation."""
        return self._roll(self._config.used_rate)
