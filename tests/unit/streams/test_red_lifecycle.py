"""A red's lifecycle, table by table: what the provider's word on its form, the timer, and its pair's
signals do to a red in each status. The tables are written by hand from docs/red-letter.md."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest

from fapiao.schemas.records import EventType, HistoryEntry, InvoiceState, RedForm, Signal, SignalKind, Status
from fapiao.streams.lifecycle import Policy, decide, replay
from fapiao.streams.redletter import claims
from fapiao.streams.redletter.crossings import crossings
from fapiao.streams.validation import validate

from red_world import blue, red
from streams_support import T0, build_state

E, K, S = EventType, SignalKind, Status
POLICY = Policy(form_poll=timedelta(seconds=60), form_deadline=timedelta(hours=72))


def granted_order():  # type: ignore[no-untyped-def]
    original = blue("B1")
    row = build_state(S.ISSUED, serial="B1", request=original)
    decision = claims.claim(row, red("R1", "B1", "02"))
    assert isinstance(decision, claims.Grant)
    return decision.order


ORDER = granted_order()


def a_red(status: Status, form: RedForm | None = None, peer: str | None = None) -> InvoiceState:
    row = build_state(status, serial="R1", request=red("R1", "B1", "02"), red=ORDER, form=form, peer=peer)
    return dataclasses.replace(row, provider="kingdee")


def told(state: InvoiceState, kind: SignalKind, **fields: object) -> list[EventType]:
    signal = Signal(serial=state.serial, kind=kind, at=T0 + timedelta(minutes=5), source="issue",
                    attempt=state.attempt, **fields)  # type: ignore[arg-type]
    return [event.type for event in decide(state, signal, POLICY, validate)]


WAITING = RedForm(number="44011222071003100064", uuid="a35494ab1e7f49e59ae30be9ac321cb5", status="02",
                  entered_at=T0, deadline=T0 + timedelta(hours=72))
# What the provider says of a red's form (a query's "pending" naming it) -> what a red does, without and with
# a red_cancel waiting on it.
ON_FORM = {
    "01": ([E.CONFIRMED, E.ACCEPTED], [E.CONFIRMED, E.ACCEPTED, E.CANCEL_REFUSED]),
    "04": ([E.CONFIRMED, E.ACCEPTED], [E.CONFIRMED, E.ACCEPTED, E.CANCEL_REFUSED]),  # 确认即开票: it comes
    "02": ([E.AWAITING_COUNTERPARTY], [E.REVOKING]),
    "03": ([E.AWAITING_COUNTERPARTY], [E.REVOKING]),
    "15": ([E.AWAITING_COUNTERPARTY], [E.REVOKING]),  # a provider's own 申请中: still waiting
    **{status: ([E.FAILED], [E.FAILED, E.CANCEL_REFUSED]) for status in ("05", "06", "07", "09", "10", "11")},
    "08": ([E.FAILED], [E.FAILED]),  # revoked: the red_cancel got what it asked
}
HEARD_IN = (S.SUBMITTING, S.ACCEPTED, S.QUERYING, S.AWAITING_COUNTERPARTY, S.IN_DOUBT)


@pytest.mark.parametrize("peer", [None, "C1"], ids=["alone", "cancel-waiting"])
@pytest.mark.parametrize("status", HEARD_IN)
@pytest.mark.parametrize("form_status", sorted(ON_FORM))
def test_the_word_on_a_form(status: Status, form_status: str, peer: str | None) -> None:
    state = a_red(status, None if status is S.SUBMITTING else WAITING, peer)
    events = told(state, K.PENDING, form=dataclasses.replace(WAITING, status=form_status))
    assert events == ON_FORM[form_status][peer is not None]


@pytest.mark.parametrize("form_status", sorted(ON_FORM))
def test_the_word_on_a_form_being_revoked(form_status: str) -> None:
    """Still waiting after a revoke: ask again after a while; anything else, as in the table."""
    state = a_red(S.REVOKING, WAITING, "C1")
    events = told(state, K.FORM, form=dataclasses.replace(WAITING, status=form_status))
    waiting = form_status in ("02", "03", "15")
    assert events == ([E.IN_DOUBT] if waiting else ON_FORM[form_status][True])


def test_a_failed_form_carries_its_status_and_a_waiting_one_its_deadline() -> None:
    state = a_red(S.QUERYING)
    signal = Signal(serial="R1", kind=K.PENDING, at=T0, source="query", attempt=state.attempt,
                    form=RedForm(number="N1", status="02"))
    (event,) = decide(state, signal, POLICY, validate)
    assert event.form is not None and event.form.deadline == T0 + POLICY.form_deadline  # no entry time given
    assert event.due_at == T0 + POLICY.form_poll
    signal = dataclasses.replace(signal, form=RedForm(number="N1", status="07"))
    (event,) = decide(state, signal, POLICY, validate)
    assert (event.code, event.form.status) == ("red_form_07", "07")  # type: ignore[union-attr]


def test_a_form_confirmed_before_is_confirmed_once() -> None:
    state = a_red(S.ACCEPTED, dataclasses.replace(WAITING, status="04"))
    assert told(state, K.PENDING, form=dataclasses.replace(WAITING, status="04")) == [E.ACCEPTED]


def test_the_last_look_at_a_waiting_form_is_just_after_its_deadline() -> None:
    """Waits double (60 s, 120 s, 240 s…); one that would end well past the deadline ends just after it."""
    waited = tuple(HistoryEntry(seq=n, type=E.AWAITING_COUNTERPARTY, at=T0) for n in range(1, 4))
    history_of_waits = dataclasses.replace(a_red(S.AWAITING_COUNTERPARTY, WAITING), history=waited)
    near = dataclasses.replace(WAITING, deadline=T0 + timedelta(minutes=5, seconds=30))
    signal = Signal(serial="R1", kind=K.PENDING, at=T0 + timedelta(minutes=5), source="query",
                    attempt=history_of_waits.attempt, form=near)
    (event,) = decide(history_of_waits, signal, POLICY, validate)
    assert event.due_at == near.deadline + POLICY.form_poll
    (event,) = decide(dataclasses.replace(history_of_waits, history=()), signal, POLICY, validate)
    assert event.due_at == signal.at + POLICY.form_poll  # the first wait ends after the deadline anyway


# What the reconcile timer's DUE does to a red whose wait is over: a red is asked about and sent again as a blue.
CONFIRMED = dataclasses.replace(WAITING, status="04")
ON_DUE = [
    (S.RESERVING, None, []),  # its blue's answer is on its way: nothing to chase
    (S.SUBMITTING, None, [E.QUERYING]),
    (S.ACCEPTED, None, [E.QUERYING]),  # the first look at the form raised with it
    (S.IN_DOUBT, None, [E.QUERYING]),
    (S.RETRY_WAIT, None, [E.SUBMITTING]),
    (S.PAUSED, None, [E.SUBMITTING]),
    (S.AWAITING_COUNTERPARTY, WAITING, [E.QUERYING]),
    (S.REVOKING, WAITING, [E.QUERYING]),
    (S.IN_DOUBT, WAITING, [E.QUERYING]),
    (S.CONFIRMED, CONFIRMED, [E.QUERYING]),
    (S.ACCEPTED, CONFIRMED, [E.QUERYING]),
]


@pytest.mark.parametrize(("status", "form", "expected"), ON_DUE, ids=lambda v: getattr(v, "value", str(v)))
def test_the_timer_on_a_red(status: Status, form: RedForm | None, expected: list[EventType]) -> None:
    assert told(a_red(status, form), K.DUE) == expected


def test_every_call_of_a_red_carries_its_order_and_the_provider_of_its_blue() -> None:
    for status, form, _ in ON_DUE:
        signal = Signal(serial="R1", kind=K.DUE, at=T0 + timedelta(minutes=5), source="reconcile")
        state = dataclasses.replace(a_red(status, form), provider=None)
        for event in decide(state, signal, POLICY, validate):
            assert event.red == ORDER and event.request is None and event.provider == "kingdee"  # the order has it


# -- between a red and its blue ------------------------------------------------------------------------

def test_a_blue_answers_each_red_once_and_books_it() -> None:
    original = blue("B1")
    row = build_state(S.ISSUED, serial="B1", request=original, due_at=None)
    reserve = Signal(serial="B1", kind=K.RED_RESERVE, at=T0, source="red", peer="R1", request=red("R1", "B1", "02"))
    events = decide(row, reserve, POLICY, validate)
    assert [e.type for e in events] == [E.RED_RESERVED]
    after = replay(events, row)
    assert after is not None and [(e.serial, e.state) for e in after.reds] == [("R1", "reserved")]
    assert decide(after, reserve, POLICY, validate) == []  # the same red asking again: already answered
    (grant,) = crossings(row, events, after)
    assert (grant.serial, grant.kind, grant.peer, grant.red) == ("R1", K.RED_GRANTED, "B1", events[0].red)
    settle = Signal(serial="B1", kind=K.RED_SETTLE, at=T0, source="red", peer="R1")
    events = decide(after, settle, POLICY, validate)
    assert [e.type for e in events] == [E.RED_SETTLED, E.RED_FLUSHED]  # a whole return took all of it
    flushed = replay(events, after)
    assert flushed is not None and flushed.status is S.RED_FLUSHED and flushed.reds[0].state == "issued"
    assert decide(flushed, settle, POLICY, validate) == []


def test_a_red_of_no_blue_is_refused_outside_any_lifecycle() -> None:
    reserve = Signal(serial="B9", kind=K.RED_RESERVE, at=T0, source="red", peer="R1", request=red("R1", "B9", "02"))
    (event,) = decide(None, reserve, POLICY, validate)
    assert (event.type, event.seq, event.findings[0].code) == (E.RED_REFUSED, 0, "red_original_not_issued")
    assert replay([event], None) is None
    (denied,) = crossings(None, [event], None)
    assert (denied.serial, denied.kind) == ("R1", K.RED_DENIED)


@pytest.mark.parametrize("status", [S.ISSUED, S.FAILED, S.REJECTED, S.CONFIRMED, S.SUBMITTING])
def test_a_red_cancel_of_a_red_past_its_form_is_refused(status: Status) -> None:
    state = a_red(status, CONFIRMED)
    events = decide(state, Signal(serial="R1", kind=K.RED_CANCEL, at=T0, source="red", peer="C1"), POLICY, validate)
    assert [(e.type, e.seq) for e in events] == [(E.CANCEL_REFUSED, 0)]
    assert replay(events, state) == state


def test_a_red_cancel_of_a_waiting_red_revokes_its_form_and_is_told_when_it_is_done() -> None:
    state = a_red(S.AWAITING_COUNTERPARTY, WAITING)
    cancel = Signal(serial="R1", kind=K.RED_CANCEL, at=T0, source="red", peer="C1")
    events = decide(state, cancel, POLICY, validate)
    assert [e.type for e in events] == [E.CANCEL_REQUESTED, E.REVOKING]
    revoking = replay(events, state)
    assert revoking is not None and revoking.peer == "C1"
    revoked = Signal(serial="R1", kind=K.FORM, at=T0, source="query", attempt=revoking.attempt,
                     form=dataclasses.replace(WAITING, status="08"))
    events = decide(revoking, revoked, POLICY, validate)
    after = replay(events, revoking)
    messages = {(m.serial, m.kind) for m in crossings(revoking, events, after)}
    assert messages == {("B1", K.RED_RELEASE), ("C1", K.RED_CANCEL_DONE)}


def test_a_revoke_the_provider_refuses_tells_the_cancel_no_and_asks_about_the_form() -> None:
    state = a_red(S.REVOKING, WAITING, peer="C1")
    events = decide(state, Signal(serial="R1", kind=K.FAILED, at=T0, source="query", attempt=state.attempt,
                                  code="9999", message="已确认"), POLICY, validate)
    assert [e.type for e in events] == [E.CANCEL_REFUSED, E.QUERYING]
    after = replay(events, state)
    assert after is not None and after.peer is None and after.status is S.QUERYING


@pytest.mark.parametrize("form_status", ["04", "02"])
def test_a_refused_revoke_that_names_the_form_still_standing_does_not_fail_the_red(form_status: str) -> None:
    """The client answers a refused revoke with the form as it stands after (`_change_form`): the buyer
    confirmed it first, say, and the provider issues the red (确认即开票). The red must go on as its form
    does, its share kept; only the red_cancel is told no."""
    state = a_red(S.REVOKING, WAITING, peer="C1")
    refused = Signal(serial="R1", kind=K.FAILED, at=T0, source="query", attempt=state.attempt, code="9999",
                     message="当前红字确认单状态为：购销双方已确认，不允许撤销",
                     form=dataclasses.replace(WAITING, status=form_status))
    events = decide(state, refused, POLICY, validate)
    after = replay(events, state)
    assert E.FAILED not in [e.type for e in events] and after is not None and not after.status.terminal
    assert {(m.serial, m.kind) for m in crossings(state, events, after)} == {("C1", K.RED_CANCEL_REFUSED)}
