"""The safety net leaves alone a serial whose call is most likely still queued for the issue agent."""

from __future__ import annotations

from typing import NamedTuple

import pytest

from fapiao.streams.reconcile import queued_partitions, waits_its_turn


class TP(NamedTuple):
    topic: str
    partition: int


def test_a_partition_is_queued_while_its_highwater_is_past_the_committed_offset() -> None:
    offsets = {TP("e", 0): (10, 10), TP("e", 1): (10, 12), TP("e", 2): (None, 3), TP("e", 3): (None, 0)}
    assert queued_partitions(offsets) == {1, 2}


@pytest.mark.parametrize(("owed", "queued", "reached", "waits"), [
    (None, {0}, {}, False),  # owed no call (accepted, in doubt, retry wait ...): chase when due
    ((0, 100.0), {0}, {}, True),  # queued, and the issue agent has finished nothing there yet
    ((0, 100.0), {0}, {0: 99.0}, True),  # it finished only transitions written before this row
    ((0, 100.0), {0}, {0: 101.0}, False),  # it is past this serial: the call went, its answer is late
    ((0, 100.0), {1}, {}, False),  # nothing left to read in the serial's partition
    ((0, 100.0), set(), {}, False),
    ((2, 0.0), {2}, {2: 0.0}, False),  # read back after a recovery: no written time, chase as before
])
def test_a_serial_owed_a_call_waits_only_while_its_transition_is_unread(
        owed: tuple[int, float] | None, queued: set[int], reached: dict[int, float], waits: bool) -> None:
    assert waits_its_turn(owed, queued, reached) is waits
