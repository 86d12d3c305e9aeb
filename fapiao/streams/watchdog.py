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
from typing import Hashable, Mapping

from fapiao.streams.pipeline import Pipeline

__all__ = ["CommitWatch", "install"]

log = logging.getLogger("fapiao.watchdog")
_EXIT_STALLED = 4
SOURCES = ("requests", "signals", "calls")


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

    def look(self, offsets: Mapping[Hashable, tuple[int | None, int]], now: float) -> dict[Hashable, float]:
        """One look at every assigned partition's (committed, end) offsets: the stalled ones, for how long.

        A partition no longer assigned is forgotten, so that it starts afresh if it comes back.
        """
        for partition in set(self._seen) - set(offsets):
            del self._seen[partition]
        looked = {partition: self.observe(partition, done, high, now) for partition, (done, high) in offsets.items()}
        return {partition: seconds for partition, seconds in looked.items() if seconds}

    def must_exit(self, stalled: Mapping[Hashable, float]) -> bool:
        """Stalled past twice the limit: a restart (and a rebalance) is the way out."""
        return any(seconds >= 2 * self.stall_s for seconds in stalled.values())


def install(pipeline: Pipeline) -> None:
    settings = pipeline.settings
    watch = CommitWatch(settings.watchdog_stall_s)

    @pipeline.app.timer(min(5.0, settings.watchdog_stall_s / 4), name="watch_commits")
    async def watch_commits() -> None:
        offsets = await pipeline.offsets(SOURCES)
        pipeline.metrics.lag.replace({(tp.topic, str(tp.partition)): max(0, high - (done or 0))
                                      for tp, (done, high) in offsets.items()})
        stalled = watch.look(offsets, time.monotonic())
        pipeline.stalled = sorted(f"{tp.topic}[{tp.partition}]" for tp in stalled)
        pipeline.metrics.stalled.set(len(stalled))
        if stalled:
            log.error("partitions with lag and no commit for %.0fs: %s", max(stalled.values()), pipeline.stalled)
        if watch.must_exit(stalled):
            log.critical("stalled past twice the limit: exiting so a supervisor restarts this worker")
            os._exit(_EXIT_STALLED)
