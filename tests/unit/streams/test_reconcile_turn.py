"""The reconcile timer leaves alone a due serial that is most likely still queued for an agent."""

from __future__ import annotations

from typing import NamedTuple

import pytest

from fapiao.streams.pipeline import Due
from fapiao.streams.reconcile import queued_partitions, unanswered, waits_its_turn


class TP(NamedTuple):
    topic: str
    partition: int


def test_a_partition_is_queued_while_its_highwater_is_past_the_committed_offset() -> None:
    offsets = {TP("e", 0): (10, 10), TP("e", 1): (10, 12), TP("e", 2): (None, 3), TP("e", 3): (None, 0)}
    assert queued_partitions(offsets) == {1, 2}


DUE_AT, WRITTEN = 200.0, 100.0


@pytest.mark.parametrize(("unread_partitions", "read_to", "waits"), [
    (set(), {}, False),  # nothing left to read: chase
    ({1}, {}, False),  # another partition is behind, not this one
    ({0}, {}, True),  # unread records, and the agent has finished none yet: an answer may be among them
    ({0}, {0: DUE_AT - 1}, True),  # it has finished only records sent before the serial fell due
    ({0}, {0: DUE_AT}, False),  # it is past the moment the serial fell due: no earlier answer is unread
])
def test_a_due_serial_waits_while_an_answer_sent_before_it_fell_due_may_be_unread(
        unread_partitions: set[int], read_to: dict[int, float], waits: bool) -> None:
    due = Due(at=DUE_AT, partition=0, owed_call_since=None)
    unread = {"signals": unread_partitions, "calls": {0}}
    progress = {"signals": read_to, "calls": {}}
    assert waits_its_turn(due, None, unread, progress) is waits


@pytest.mark.parametrize(("owed_since", "unread_calls", "called_to", "waits"), [
    (None, {0}, {}, False),  # owes no call (accepted, in doubt, retry wait ...): chase when due
    (WRITTEN, {0}, {}, True),  # queued, and the issue agent has finished nothing there yet
    (WRITTEN, {0}, {0: WRITTEN - 1}, True),  # it finished only transitions written before this row
    (WRITTEN, {0}, {0: WRITTEN + 1}, False),  # it is past this serial: the call went, its answer is late
    (WRITTEN, {1}, {}, False),  # nothing left to read in the serial's partition
    (WRITTEN, set(), {}, False),
    (0.0, {0}, {}, False),  # read back after a recovery: no written time, chase as before
])
def test_a_serial_owed_a_call_waits_only_while_its_transition_may_be_unread(
        owed_since: float | None, unread_calls: set[int], called_to: dict[int, float], waits: bool) -> None:
    due = Due(at=DUE_AT, partition=0, owed_call_since=owed_since)
    read_to = {"signals": {0: DUE_AT}, "calls": called_to}
    assert waits_its_turn(due, None, {"signals": set(), "calls": unread_calls}, read_to) is waits


CALLED = 300.0


@pytest.mark.parametrize(("unread_signals", "folded_to", "waits"), [
    ({0}, {0: CALLED - 1}, True),  # the answer the call sent may still be in the signals backlog
    ({0}, {0: CALLED}, False),  # the fold has read past the moment the call finished: it is late
    (set(), {}, False),  # nothing left to read: the answer went missing
])
def test_a_serial_whose_call_was_made_waits_while_its_answer_may_be_unread(
        unread_signals: set[int], folded_to: dict[int, float], waits: bool) -> None:
    due = Due(at=DUE_AT, partition=0, owed_call_since=WRITTEN)
    unread = {"signals": unread_signals, "calls": {0}}  # calls behind: would wait if uncalled
    read_to = {"signals": folded_to or {0: DUE_AT}, "calls": {}}  # past the due time
    assert waits_its_turn(due, CALLED, unread, read_to) is waits


NOW = 1000.0
NOTHING_UNREAD = {"signals": set(), "calls": set()}


@pytest.mark.parametrize(("sent", "unread_signals", "folded_to", "moment", "again"), [
    (None, set(), {}, NOW, True),  # never sent: send
    ((DUE_AT - 50, NOW - 60), set(), {}, NOW, True),  # sent for an earlier due time: this one is new
    ((DUE_AT, NOW - 1), set(), {}, NOW, False),  # sent a moment ago: give the fold time
    ((DUE_AT, NOW - 60), set(), {}, NOW, True),  # read long since, still due: it went missing
    ((DUE_AT, NOW - 60), {0}, {0: NOW - 61}, NOW, False),  # still unread in a backlog: one copy is enough
    ((DUE_AT, NOW - 60), {0}, {0: NOW - 60}, NOW, True),  # the fold has read past it
])
def test_a_due_signal_is_sent_again_only_once_the_fold_has_read_past_it(
        sent: tuple[float, float] | None, unread_signals: set[int], folded_to: dict[int, float], moment: float,
        again: bool) -> None:
    due = Due(at=DUE_AT, partition=0, owed_call_since=None)
    unread = {**NOTHING_UNREAD, "signals": unread_signals}
    assert unanswered(due, sent, moment, 5.0, unread, {"signals": folded_to, "calls": {}}) is again
