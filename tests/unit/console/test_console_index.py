"""The console's index, pure: statuses, search, a serial's view, the overview, reds and blues."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from console_support import T0, at, dead, fill
from fapiao.audit.model import Seen
from fapiao.audit.synthetic import FORM_HOURS, lifecycle, red_letter
from fapiao.console.index import Index
from fapiao.samples import BUYER_COMPANY
from fapiao.schemas.records import CallbackRecord, EventType, InvoiceEvent, Signal, SignalKind
from fapiao.streams.lifecycle import Policy, decide, replay
from fapiao.streams.validation import validate

NOW = T0 + timedelta(hours=1)
ANSWERS = (SignalKind.ACCEPTED, SignalKind.ISSUED, SignalKind.FAILED, SignalKind.PENDING, SignalKind.RETRYABLE,
           SignalKind.SESSION, SignalKind.IN_DOUBT, SignalKind.NOT_FOUND, SignalKind.DUE)


def answered(serial: str, *kinds: SignalKind, code: str | None = None) -> list[InvoiceEvent]:
    """A valid request's events, then the fold's answer to each signal (a minute apart, about attempt 1)."""
    events = list(lifecycle(serial, T0, finished=False).events)
    state = replay(events)
    for minute, kind in enumerate(kinds, start=1):
        signal = Signal(serial, kind, T0 + timedelta(minutes=minute), "issue", attempt=state.attempt if state else 0,
                        code=code, message=f"{code} message" if code else None)
        new = decide(state, signal, Policy(), validate)
        events += new
        state = replay(new, state)
    return events


def index_of(*stories: list[InvoiceEvent]) -> Index:
    index = Index()
    for events in stories:
        for event in events:
            index.add("events", Seen.of(event, event.at, at("f.events")))
    return index


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from(ANSWERS), max_size=12))
def test_status_is_the_folds_for_every_transition_the_fold_makes(kinds: list[SignalKind]) -> None:
    events = answered("P1", *kinds)
    assert index_of(events).status["P1"] is replay(events).status  # type: ignore[union-attr]


def test_copies_count_once() -> None:
    item = lifecycle("C1", T0)
    index = fill(Index(), item, item)
    view = index.serial_view("C1", NOW)
    assert view is not None and [e.what for e in view.entries].count("event 5 issued") == 1
    assert [e.what for e in view.entries].count("result issued") == 1
    assert len(index.overview(NOW).results) == 1


def test_search_by_serial_order_number_buyer_and_prefix() -> None:
    index = fill(Index(), *(lifecycle(f"S{n}", T0 + timedelta(seconds=n)) for n in range(12)))
    assert [f.serial for f in index.search(" S3 ")] == ["S3"]
    assert [f.serial for f in index.search("SO-S7")] == ["S7"]  # the samples' erp_order_no
    company = {e.serial for e in (index.ledger.serials[s].events[1].record for s in index.status)
               if e.request and e.request.buyer and e.request.buyer.tax_id == BUYER_COMPANY["tax_id"]}
    assert company and {f.serial for f in index.search(BUYER_COMPANY["tax_id"].lower())} == company
    assert [f.serial for f in index.search("S1")] == ["S1", "S10", "S11"]  # exact first, then the prefix
    assert index.search("   ") == [] and index.search("NOPE") == []
    assert index.search("S3")[0].status == "issued" and index.search("S3")[0].provider == "kingdee"


def test_a_serials_view_is_everything_naming_it_in_time_order() -> None:
    item = lifecycle("V1", T0)
    index = fill(Index(), item, lifecycle("V2", T0))
    callback = CallbackRecord("kingdee", "/callbacks/kingdee", T0 + timedelta(seconds=3), "127.0.0.1", {},
                              b'{"serialNo": "V1"}', serial="V1")
    index.add("callbacks", Seen.of(callback, callback.received_at, at("f.callbacks")))
    index.add("dlq", dead("V1", b"\xff\xfe not utf-8"))
    view = index.serial_view("V1", NOW)
    assert view is not None and view.status == "issued" and view.kind == "blue" and view.provider == "kingdee"
    assert view.request is not None and view.request.serial == "V1" and view.result is not None
    assert [e.at for e in view.entries] == sorted(e.at for e in view.entries)
    whats = [e.what for e in view.entries]
    assert whats[0] == "request" and "callback" in whats and "result issued" in whats and "dlq (intake)" in whats
    assert [c["serial"] for c in view.callbacks] == ["V1"] and len(view.dead) == 1
    assert index.serial_view("NOPE", NOW) is None


def test_a_serial_only_the_request_topic_names_is_requested() -> None:
    item = lifecycle("Q1", T0)
    index = fill(Index(), replace(item, events=[], result=None))
    view = index.serial_view("Q1", NOW)
    assert view is not None and view.status == "requested" and view.request is None


def test_overview_lists_in_doubt_paused_sellers_and_the_dlq() -> None:
    doubt = answered("D1", SignalKind.IN_DOUBT, code="timeout")
    paused = [answered(f"P{n}", SignalKind.SESSION, code="5001") for n in range(3)]
    index = index_of(doubt, *paused)
    fill(index, lifecycle("I1", T0), lifecycle("X1", T0, valid=False))
    index.add("dlq", dead(None, b"first"))
    index.add("dlq", dead("K", b"second"))
    view = index.overview(NOW)
    assert [(w.serial, w.code) for w in view.in_doubt] == [("D1", "timeout")]
    sellers = Counter(events[0].request.seller.tax_id for events in paused)  # type: ignore[union-attr]
    assert {p.seller_tax_id: p.serials for p in view.paused} == sellers
    assert all(p.code == "5001" and p.since == T0 + timedelta(minutes=1) for p in view.paused)
    assert view.by_status["issued"] == 1 and view.by_status["rejected"] == 1 and view.by_status["in_doubt"] == 1
    assert sorted((provider, status) for _, provider, status in view.results) == [("kingdee", "issued"),
                                                                                   ("kingdee", "rejected")]
    assert [d.value for d in view.dlq] == [b"second", b"first"]


def test_a_blue_shows_its_reds_and_what_remains() -> None:
    blue = lifecycle("B1", T0)
    blue, waiting = red_letter(blue, "R1", T0 + timedelta(minutes=5))
    blue, issued = red_letter(blue, "R2", T0 + timedelta(minutes=6), issued=True)
    index = fill(Index(), blue, waiting, issued)
    view = index.serial_view("B1", NOW)
    assert view is not None and view.status == "issued"
    assert {(r.serial, r.share, r.status) for r in view.reds} == {("R1", "reserved", "awaiting_counterparty"),
                                                                  ("R2", "issued", "issued")}
    assert view.reds[1].invoice_number == issued.result.invoice.number  # type: ignore[union-attr]
    line = blue.events[0].request.lines[0]  # type: ignore[union-attr]
    taken = sum((r.lines[0].amount for r in view.reds), Decimal(0))
    assert view.remaining is not None and view.remaining[0].amount == line.amount - taken
    assert view.remaining[0].tax_amount == line.tax_amount - sum((r.lines[0].tax_amount for r in view.reds),
                                                                   Decimal(0))
    assert all(r.amount == l.amount for r, l in zip(view.remaining[1:], blue.events[0].request.lines[1:]))  # type: ignore[union-attr]


def test_a_released_red_gives_its_share_back() -> None:
    blue, red = red_letter(lifecycle("B2", T0), "R3", T0)
    released = replace(blue.events[-1], seq=blue.events[-1].seq + 1, type=EventType.RED_RELEASED, red=None)
    index = fill(Index(), replace(blue, events=blue.events + [released]), red)
    view = index.serial_view("B2", NOW)
    assert view is not None and [r.share for r in view.reds] == ["released"]
    assert view.remaining is not None and view.remaining[0].amount == blue.events[0].request.lines[0].amount  # type: ignore[union-attr]


def test_a_red_shows_its_blue_its_form_and_the_time_left() -> None:
    blue, waiting = red_letter(lifecycle("B1", T0), "R1", T0)
    blue, issued = red_letter(blue, "R2", T0, issued=True)
    index = fill(Index(), blue, waiting, issued)
    view = index.serial_view("R1", NOW)
    assert view is not None and view.kind == "red" and view.status == "awaiting_counterparty"
    assert view.original_serial == "B1" and view.form is not None and view.form.number == "RFR1"
    assert view.time_left == timedelta(hours=FORM_HOURS) - (NOW - T0)
    done = index.serial_view("R2", NOW)
    assert done is not None and done.status == "issued" and done.time_left is None and done.form is not None
    forms = index.overview(NOW).forms
    assert [(w.serial, w.original_serial, w.time_left) for w in forms] == [("R1", "B1", view.time_left)]


def test_waiting_forms_nearest_deadline_first_and_lapsed_ones_negative() -> None:
    blue = lifecycle("B1", T0)
    blue, late = red_letter(blue, "RL", T0 - timedelta(hours=FORM_HOURS + 1))
    blue, soon = red_letter(blue, "RS", T0)
    index = fill(Index(), blue, soon, late)
    forms = index.overview(NOW).forms
    assert [w.serial for w in forms] == ["RL", "RS"] and forms[0].time_left < timedelta(0)  # type: ignore[operator]
