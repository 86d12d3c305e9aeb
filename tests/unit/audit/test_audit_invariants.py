"""Every invariant of the audit, pure, on hand-built logs: a clean log passes, each corruption is named."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone
from decimal import Decimal

from fapiao.audit import Audit
from fapiao.audit.model import DlqFact, Facts, Position, RequestFact, Seen
from fapiao.audit.synthetic import Lifecycle, lifecycle
from fapiao.schemas.records import EventType, InvoiceInfo, Status

T0 = datetime(2024, 3, 11, 8, 0, tzinfo=timezone.utc)
_offsets: dict[str, int] = {}


def _at(topic: str) -> Position:
    _offsets[topic] = _offsets.get(topic, -1) + 1
    return Position(topic, 0, _offsets[topic])


def facts_of(*lifecycles: Lifecycle, requests: bool = True, since: datetime | None = None) -> Facts:
    facts = Facts(now=T0 + timedelta(hours=1), since=since)
    for item in lifecycles:
        if requests:
            totals = tuple(Decimal(item.request[k]) for k in ("total_amount", "total_tax", "total_with_tax"))
            facts.requests.append(RequestFact(item.serial, T0, _at("f.requests"), item.request["provider"],
                                              item.request["seller"]["tax_id"], item.request["invoice_type"],
                                              totals))  # type: ignore[arg-type]
        facts.events += [Seen.of(event, event.at, _at("f.events")) for event in item.events]
        if item.result is not None:
            facts.results.append(Seen.of(item.result, item.result.at, _at("f.results")))
    return facts


def names(facts: Facts) -> dict[str, tuple[str, ...]]:
    return {v.name: v.serials for v in Audit(facts).violations}


def test_a_clean_log_passes_and_counts_add_up() -> None:
    facts = facts_of(lifecycle("A1", T0), lifecycle("A2", T0, valid=False), lifecycle("A3", T0, finished=False))
    result = Audit(facts)
    assert result.violations == [] and result.ok
    out = result.to_json()
    assert (out["requests"], out["issued"], out["rejected"], out["failed"], out["in_progress"]) == (3, 1, 1, 0, 1)
    issued = facts.results[0].record
    assert result.summary.issued_amount == issued.total_amount and result.summary.issued_tax == issued.total_tax


def test_repeated_events_and_results_count_once() -> None:
    facts = facts_of(lifecycle("R1", T0))
    facts.events += [replace(seen, position=_at("f.events")) for seen in facts.events]
    facts.results.append(replace(facts.results[0], position=_at("f.results")))
    assert names(facts) == {}
    assert Audit(facts).to_json()["issued"] == 1


def test_missing_result() -> None:
    item = lifecycle("M1", T0)
    assert names(facts_of(replace(item, result=None))) == {"missing_result": ("M1",)}


def test_conflicting_results() -> None:
    item = lifecycle("C1", T0)
    facts = facts_of(item)
    other = replace(item.result, status=Status.FAILED, invoice=None)  # type: ignore[type-var]
    facts.results.append(Seen.of(other, T0, _at("f.results")))
    assert names(facts) == {"conflicting_results": ("C1",)}


def test_issued_twice_by_a_second_issued_event_with_another_number() -> None:
    item = lifecycle("D1", T0)
    issued = item.events[-1]
    assert issued.type is EventType.ISSUED
    again = replace(issued, seq=issued.seq + 1, invoice=InvoiceInfo(number="99999999"))
    found = names(facts_of(replace(item, events=[*item.events, again])))
    assert found == {"issued_twice": ("D1",)}


def test_issued_twice_by_two_results_with_different_numbers() -> None:
    item = lifecycle("D2", T0)
    facts = facts_of(item)
    other = replace(item.result, invoice=InvoiceInfo(number="11111111"))  # type: ignore[type-var]
    facts.results.append(Seen.of(other, T0, _at("f.results")))
    assert set(names(facts)) == {"issued_twice", "conflicting_results"}


def test_result_without_request_unless_carried_in_from_before_the_window() -> None:
    item = lifecycle("W1", T0)
    assert names(facts_of(item, requests=False)) == {"result_without_request": ("W1",)}
    later = replace(item, events=item.events[2:])  # the window starts after the request and seq 1-2
    assert names(facts_of(later, requests=False, since=T0)) == {}


def test_totals_differ() -> None:
    item = lifecycle("T1", T0)
    wrong = replace(item.result, total_tax=item.result.total_tax + Decimal("0.01"))  # type: ignore[union-attr,operator,type-var]
    assert names(facts_of(replace(item, result=wrong))) == {"totals_differ": ("T1",)}


def test_seq_gap_and_seq_written_twice_with_other_content() -> None:
    item = lifecycle("S1", T0)
    assert names(facts_of(replace(item, events=[e for e in item.events if e.seq != 2]))) == {"seq_gap": ("S1",)}
    changed = replace(item.events[1], code="other")
    assert names(facts_of(replace(item, events=[*item.events, changed]))) == {"seq_gap": ("S1",)}


def test_orphan_callbacks_belong_to_no_sequence() -> None:
    item = lifecycle("O1", T0)
    orphan = replace(item.events[0], serial="O9", seq=0, type=EventType.ORPHAN_CALLBACK, request=None)
    assert names(facts_of(replace(item, events=[*item.events, orphan]))) == {}


def _dead(source: Position, value: bytes, found: bytes | None) -> DlqFact:
    return DlqFact(source, "intake", "not json", T0, _at("f.dlq"), "K1", value, found, source_checked=True)


def test_dlq_records_must_point_at_their_original_which_was_not_processed() -> None:
    source = Position("f.requests", 0, 500)
    assert names(Facts(T0, dlq=[_dead(source, b"x", b"x")])) == {}
    assert names(Facts(T0, dlq=[_dead(source, b"x", None)])) == {"dlq_unaccounted": ("K1",)}
    assert names(Facts(T0, dlq=[_dead(source, b"x", b"y")])) == {"dlq_unaccounted": ("K1",)}
    facts = facts_of(lifecycle("P1", T0))
    received = facts.events[0]  # intake processed the request at requests[0]@7 into this event...
    facts.events[0] = Seen(received.kind, {**received.datum, "origin": "f.requests[0]@7"}, received.at,
                           received.position)
    facts.dlq.append(_dead(Position("f.requests", 0, 7), b"v", b"v"))  # ...and also dead-lettered it
    assert names(facts) == {"dlq_unaccounted": ("K1",)}


def test_undecodable_records_are_named_by_position() -> None:
    facts = Facts(T0, undecodable=[(Position("f.events", 2, 9), "DecodeError: not an InvoiceEvent")])
    assert names(facts) == {"undecodable_record": ("f.events[2]@9",)}
