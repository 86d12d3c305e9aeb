"""The invoice agent's batch fold, run directly: what it sends, in which order, and which rows it writes."""

from __future__ import annotations

from datetime import timedelta
from typing import Callable

from streams_support import T0

from fapiao.schemas.records import EventType, InvoiceInfo, InvoiceResult, InvoiceState, Signal, SignalKind, Status
from fapiao.streams.fold import fold
from fapiao.streams.lifecycle import Policy

INVOICE = InvoiceInfo(number="24442000000012345678", issued_at="2025-03-11 12:06:51")


def _table(*rows: InvoiceState) -> Callable[[str], InvoiceState | None]:
    held = {row.serial: row for row in rows}
    return held.get


def test_a_request_then_its_answers_in_one_batch_fold_over_the_row_the_batch_has_made(
        signal_factory, policy: Policy, validator) -> None:
    batch = [signal_factory(SignalKind.REQUEST),
             signal_factory(SignalKind.ACCEPTED, attempt=1, at=T0 + timedelta(seconds=1)),
             signal_factory(SignalKind.ISSUED, source="query", attempt=1, at=T0 + timedelta(seconds=2),
                            invoice=INVOICE)]
    folded = fold(batch, _table(), policy, validator)
    assert [(out.role, getattr(out.record, "type", None)) for out in folded.sends] == [
        ("events", EventType.RECEIVED), ("events", EventType.VALIDATED), ("events", EventType.SUBMITTING),
        ("calls", EventType.SUBMITTING), ("events", EventType.ACCEPTED), ("events", EventType.ISSUED),
        ("results", None)]
    assert [out.record.seq for out in folded.sends if out.role == "events"] == [1, 2, 3, 4, 5]
    (call,) = [out.record for out in folded.sends if out.role == "calls"]
    assert call is folded.sends[2].record, "the issue agent is sent the very transition the log has"
    (row,) = folded.rows.values()
    assert (row.status, row.seq, row.invoice) == (Status.ISSUED, 5, INVOICE)
    (result,) = folded.results
    assert isinstance(result, InvoiceResult) and (result.status, result.invoice) == (Status.ISSUED, INVOICE)


def test_a_row_is_read_from_the_table_once_and_then_from_the_batch(signal_factory, state_factory,
                                                                   policy: Policy, validator) -> None:
    reads: list[str] = []
    held = state_factory(Status.ACCEPTED, attempt=1)

    def row(serial: str) -> InvoiceState | None:
        reads.append(serial)
        return held

    batch = [signal_factory(SignalKind.ISSUED, attempt=1, invoice=INVOICE),
             signal_factory(SignalKind.ISSUED, attempt=1, invoice=INVOICE)]  # the same answer, twice
    folded = fold(batch, row, policy, validator)
    assert reads == [held.serial]
    assert [out.record.type for out in folded.sends if out.role == "events"] == [EventType.ISSUED]
    assert len(folded.results) == 1 and folded.rows[held.serial].seq == held.seq + 1


def test_a_signal_that_changes_nothing_writes_no_row_and_sends_nothing(signal_factory, state_factory,
                                                                      policy: Policy, validator) -> None:
    issued = state_factory(Status.ISSUED, invoice=INVOICE)
    folded = fold([signal_factory(SignalKind.FAILED, attempt=2)], _table(issued), policy, validator)
    assert (folded.sends, folded.rows, folded.refused) == ([], {}, [])


def test_an_orphan_answer_is_sent_as_an_event_but_makes_no_row(signal_factory, policy: Policy, validator) -> None:
    folded = fold([signal_factory(SignalKind.ISSUED, invoice=INVOICE)], _table(), policy, validator)
    assert [out.record.type for out in folded.sends] == [EventType.ORPHAN_CALLBACK]
    assert folded.rows == {}


def test_a_signal_the_fold_cannot_handle_is_refused_and_the_rest_of_the_batch_goes_on(
        signal_factory, policy: Policy) -> None:
    def validate(request):  # a bug in a rule, hit by one request only
        if request.serial == "BAD":
            raise ValueError("rule crashed")
        return []

    batch = [signal_factory(SignalKind.REQUEST, serial="BAD"), signal_factory(SignalKind.REQUEST, serial="GOOD")]
    folded = fold(batch, _table(), policy, validate)
    assert folded.refused == [(0, "ValueError: rule crashed")]
    assert set(folded.rows) == {"GOOD"} and {out.serial for out in folded.sends} == {"GOOD"}


def test_the_same_batch_folded_again_from_the_same_rows_sends_the_same_records(
        signal_factory, state_factory, policy: Policy, validator) -> None:
    """What a crash between sending and writing the rows relies on: the batch read again decides the same."""
    table = _table(state_factory(Status.SUBMITTING, serial="A", attempt=1))
    batch: list[Signal] = [signal_factory(SignalKind.IN_DOUBT, serial="A", attempt=1),
                           signal_factory(SignalKind.REQUEST, serial="B"),
                           signal_factory(SignalKind.FAILED, serial="B", attempt=1, code="E1")]
    first, again = fold(batch, table, policy, validator), fold(batch, table, policy, validator)
    assert first == again and first.sends and not first.refused
