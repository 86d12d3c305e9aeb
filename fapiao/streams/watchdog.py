"""watch_commits: a partition that has records to read but whose committed offset has not moved for
`FAPIAO_WATCHDOG_STALL_S` is stalled (faust can stop a partition silently when an agent dies).

A stalled worker logs which partitions stall, fails readiness (`/readyz` answers 503), and after
twice the limit exits, so its supervisor (Kubernetes, systemd, `fapiao up`'s operator) restarts it;
the partitions then move to a live worker and are read again from the last commit.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass, field
from typing import Hashable

from fapiao.streams.pipeline import Pipeline

__all__ = ["CommitWatch", "install"]

log = logging.getLogger("fapiao.watchdog")
_EXIT_STALLED = 4
SOURCES = ("requests", "signals", "events", "callbacks")


@dataclass
class CommitWatch:
    """How long each partition has had lag without its committed offset moving."""

    stall_s: float
    _seen: dict[Hashable, tuple[int | None, float]] = field(default_factory=dict)

    def observe(self, partition: Hashable, committed: int | None, highwater: int, now: float) -> float:
        """Record one look at a partition; return for how long it has been stalled (0 when it is not)."""
        previous = self._seen.get(partition)
        if previous is None or previous[0] != committed or highwater <= (committed or 0):
            self._seen[partition] = (committed, now)  # moved, or nothing to read: not stalled
            return 0.0
        stalled_for = now - previous[1]
        return stalled_for if stalled_for >= self.stall_s else 0.0

    def forget_all_but(self, partitions: set[Hashable]) -> None:
        for partition in set(self._seen) - partitions:
            del self._seen[partition]


def install(pipeline: Pipeline) -> None:
    settings = pipeline.settings
    watch = CommitWatch(settings.watchdog_stall_s)

    @pipeline.app.timer(min(5.0, settings.watchdog_stall_s / 4), name="watch_commits")
    async def watch_commits() -> None:
        offsets = await pipeline.offsets(SOURCES)
        watch.forget_all_but(set(offsets))
        now = time.monotonic()
        pipeline.metrics.lag.replace({(tp.topic, str(tp.partition)): max(0, high - (done or 0))
                                      for tp, (done, high) in offsets.items()})
        stalled = {tp: watch.observe(tp, done, high, now) for tp, (done, high) in offsets.items()}
        stalled = {tp: seconds for tp, seconds in stalled.items() if seconds}
        pipeline.stalled = sorted(f"{tp.topic}[{tp.partition}]" for tp in stalled)
        pipeline.metrics.stalled.set(len(stalled))
        if stalled:
            log.error("partitions with lag and no commit for %.0fs: %s", max(stalled.values()), pipeline.stalled)
        if any(seconds >= 2 * settings.watchdog_stall_s for seconds in stalled.values()):
            log.critical("stalled past twice the limit: exiting so a supervisor restarts this worker")
            os._exit(_EXIT_STALLED)
