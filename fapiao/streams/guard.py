"""What the issue agent may call: the guard that makes a provider call once per transition, whatever crashes.

A transition reaches the issue agent as soon as the fold has sent it, but the fold's row for it becomes
durable only when its changelog record is acknowledged. If the worker dies in between, the row is lost,
the fold reads its signal again and sends the same transition again (same serial and seq): a second copy.
And a worker that takes a partition over cannot know which of the transitions left unfinished there its
predecessor had already called. So (DESIGN.md, guarantee 2):

- a call is made only for a transition whose row is durable with it (`until_durable`): a worker that dies
  before that had made no call for it, and its successor's copy is the only one;
- each (serial, seq) is called at most once by a process (`first`);
- a transition read from a partition that was assigned after the record was written (`inherited`) is not
  called: a submission is reported in doubt, so the fold asks the provider before sending anything again.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from dataclasses import dataclass, field

__all__ = ["CallGuard", "MADE_LIMIT"]

MADE_LIMIT = 200_000  # (serial, seq) pairs remembered: far more than a partition's records in flight


@dataclass
class Assignment:
    """When this process took a partition, and the partition's end then."""

    at: float  # epoch seconds
    end: int  # offset after its last record (0 when unknown)


@dataclass
class CallGuard:
    unflushed: dict[str, int] = field(default_factory=dict)  # serial -> rows written, not yet acknowledged
    made: OrderedDict[tuple[str, int], None] = field(default_factory=OrderedDict)
    assigned: dict[int, Assignment] = field(default_factory=dict)  # partition of the transitions' topic
    _flushed: asyncio.Event | None = None

    # -- the fold's side ------------------------------------------------------------------------------

    def written(self, serial: str) -> None:
        """The fold's batch will write the serial's row (it counts from before the batch sends anything) and
        its changelog record; until `flushed`, the row is not durable."""
        self.unflushed[serial] = self.unflushed.get(serial, 0) + 1

    def flushed(self, serials: list[str]) -> None:
        """The broker acknowledged the changelog records of these rows (one per write)."""
        for serial in serials:
            left = self.unflushed.get(serial, 0) - 1
            if left > 0:
                self.unflushed[serial] = left
            else:
                self.unflushed.pop(serial, None)
        if self._flushed is not None:
            self._flushed.set()
            self._flushed = None

    # -- the issue agent's side ----------------------------------------------------------------------

    async def until_durable(self, serial: str, timeout_s: float) -> bool:
        """Wait until no write of the serial's row is unacknowledged; False if `timeout_s` passes first."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        while serial in self.unflushed:
            left = deadline - loop.time()
            if left <= 0:
                return False
            if self._flushed is None:
                self._flushed = asyncio.Event()
            try:
                await asyncio.wait_for(self._flushed.wait(), left)
            except TimeoutError:
                return False
        return True

    def first(self, serial: str, seq: int) -> bool:
        """True the first time this process is to call for (serial, seq); remembers it."""
        key = (serial, seq)
        if key in self.made:
            return False
        self.made[key] = None
        if len(self.made) > MADE_LIMIT:
            self.made.popitem(last=False)
        return True

    def took(self, partition: int, at: float, end: int) -> None:
        """This process was assigned `partition` at `at`, when its end offset was `end`."""
        self.assigned[partition] = Assignment(at, end)

    def inherited(self, partition: int, offset: int, timestamp: float | None) -> bool:
        """Whether a record was written before this process took its partition: by the end offset then, or
        (the embedded broker can report an end short of the last batch) by the record's own time."""
        taken = self.assigned.get(partition)
        if taken is None:
            return True  # read from a partition this process was never told it holds: trust nothing
        return offset < taken.end or (timestamp is not None and timestamp < taken.at)
