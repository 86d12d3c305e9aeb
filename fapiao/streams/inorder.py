"""Records released in the order they were read, per partition, however the work on them finishes (pure).

The issue agent keeps many calls in flight and they finish in any order, but a partition's committed offset
may only pass a record once every record before it is done: faust commits the first run of consecutive
acknowledged offsets without checking that it starts where the last commit ended (its `_new_offset`), so an
offset acknowledged out of order could be committed over one still in flight. This keeps each partition's
records in reading order and releases a record only with, or after, every one read before it.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Generic, Hashable, TypeVar

__all__ = ["InOrder", "Entry"]

_T = TypeVar("_T")


@dataclass(eq=False)
class Entry(Generic[_T]):
    """One record read, and whether the work on it is done."""

    partition: Hashable
    item: _T
    done: bool = False


@dataclass
class InOrder(Generic[_T]):
    _queues: dict[Hashable, deque[Entry[_T]]] = field(default_factory=dict)

    def read(self, partition: Hashable, item: _T) -> Entry[_T]:
        """Note a record read from `partition`, after every one read from it before."""
        entry = Entry(partition, item)
        self._queues.setdefault(partition, deque()).append(entry)
        return entry

    def done(self, entry: Entry[_T]) -> list[_T]:
        """The work on `entry` is done: the records that may now be released, in reading order (none while
        an earlier record of its partition is still in flight)."""
        entry.done = True
        queue = self._queues[entry.partition]
        released = []
        while queue and queue[0].done:
            released.append(queue.popleft().item)
        if not queue:
            del self._queues[entry.partition]
        return released

    def __len__(self) -> int:
        """Records read and not yet released."""
        return sum(len(queue) for queue in self._queues.values())
