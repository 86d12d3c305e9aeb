"""What the issue agent may call: the guard that makes a provider call once per transition, whatever crashes.

A transition reaches the issue agent as soon as the fold has sent it, but the fold's row for it becomes
durable only when its changelog record is acknowledged. If the worker dies in between, the row is lost,
the fold reads its signal again and sends the same transition again (same serial and seq): a second copy.
And a worker that takes a partition over cannot know which of the transitions left unfinished there its
predecessor had already called. So (DESIGN.md, guarantee 2):

- a call is made only for a transition whose row is durable with it (`until_durable`): a worker that dies
  before that had made no call for it, and its successor's copy is the only one. The fold marks its rows
  before it sends the batch's transitions, so a call read in the moment between its transition's send and
  its row's write waits too (it would otherwise find the row before it, and be dropped);
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
    unflushed: dict[str, int] = field(default_factory=dict)  # serial -> rows being written, not yet acknowledged
    made: OrderedDict[tuple[str, int], None] = field(default_factory=OrderedDict)
    assigned: dict[int, Assignment] = field(default_factory=dict)  # partition of the transitions' topic
    # serial -> calls waiting for its row: woken only when that row is durable, not on every flush (with
    # hundreds of calls in flight, waking them all on each of the fold's batches was most of the agent's work)
    _waiting: dict[str, list[asyncio.Future[None]]] = field(default_factory=dict)

    # -- the fold's side ------------------------------------------------------------------------------

    def writing(self, serials: list[str]) -> None:
        """The fold is about to send these rows' transitions, then write the rows (one write each)."""
        for serial in serials:
            self.unflushed[serial] = self.unflushed.get(serial, 0) + 1

    def flushed(self, serials: list[str]) -> None:
        """The broker acknowledged the changelog records of these rows (one per write)."""
        for serial in serials:
            left = self.unflushed.get(serial, 0) - 1
            if left > 0:
                self.unflushed[serial] = left
                continue
            self.unflushed.pop(serial, None)
            for waiter in self._waiting.pop(serial, ()):
                if not waiter.done():
                    waiter.set_result(None)

    # -- the issue agent's side ----------------------------------------------------------------------

    async def until_durable(self, serial: str, timeout_s: float) -> bool:
        """Wait until no write of the serial's row is unacknowledged; False if `timeout_s` passes first."""
        if serial not in self.unflushed:
            return True
        durable: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.setdefault(serial, []).append(durable)
        try:
            await asyncio.wait_for(durable, timeout_s)
        except TimeoutError:
            waiting = self._waiting.get(serial, [])
            if durable in waiting:
                waiting.remove(durable)
            if not waiting:
                self._waiting.pop(serial, None)
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
