"""The audit's red-letter invariants, on logs the real fold wrote (tests/unit/streams/red_world.py): a clean
log of reds passes; each corruption a broken worker could write is named."""

from __future__ import annotations

import dataclasses
import sys
from decimal import Decimal
from pathlib import Path

from fapiao.audit import Audit
from fapiao.audit.model import Facts, Position, RequestFact, Seen
from fapiao.schemas.records import EventType, InvoiceEvent, InvoiceInfo, RedLine
from fapiao.schemas.requests import request_to_dict

sys.path.insert(0, str(Path(__file__).parents[1] / "streams"))
from red_world import Provider, World, blue, red, run  # noqa: E402


def facts_of(world: World, events: list[InvoiceEvent] | None = None) -> Facts:
    facts = Facts(now=world.now)
    for offset, request in enumerate(world.published):
        shape = request_to_dict(request)
        facts.requests.append(RequestFact(request.serial, world.now, Position("f.requests", 0, offset),
                                          shape.get("provider"), None, shape.get("invoice_type"), None,
                                          shape.get("kind", "blue"), shape.get("original_serial")))
    for offset, event in enumerate(events if events is not None else world.events):
        facts.events.append(Seen.of(event, event.at, Position("f.events", 0, offset)))
    for offset, result in enumerate(world.result_records):
        facts.results.append(Seen.of(result, result.at, Position("f.results", 0, offset)))
    return facts


def names(facts: Facts) -> dict[str, tuple[str, ...]]:
    return {v.name: v.serials for v in Audit(facts).violations}


def a_world(used: bool = False, answer: str = "confirm") -> World:
    world = World(Provider(used={"B1"} if used else set(), buyer=lambda _: answer))
    original = blue("B1")
    world.publish(original)
    run(world, [], set())
    for i in range(3):
        world.publish(red(f"R{i}", "B1", "04", Decimal("0.4"), whole_of=original))
        run(world, [], set())
    return world


def test_a_clean_log_of_reds_passes() -> None:
    assert names(facts_of(a_world())) == {}
    assert names(facts_of(a_world(used=True, answer="refuse"))) == {}


def test_a_red_issued_over_its_blue_is_named() -> None:
    world = a_world()
    rejected = [e for e in world.events if e.serial == "R2"]
    seq = max(e.seq for e in rejected)
    granted = next(e for e in world.events if e.serial == "R1" and e.red is not None)
    # R2 was refused; a broken worker issues it anyway with R1's share: 120 % of line 1
    forged = [dataclasses.replace(granted, serial="R2", seq=seq + 1, type=EventType.SUBMITTING),
              dataclasses.replace(granted, serial="R2", seq=seq + 2, type=EventType.ISSUED,
                                  invoice=InvoiceInfo(number="X"))]
    found = names(facts_of(world, world.events + forged))
    assert found["red_exceeds_blue"] == ("B1",)
    assert found["red_outcomes_differ"] == ("R2",)


def test_a_red_issued_for_a_void_form_is_named() -> None:
    world = a_world(used=True, answer="refuse")
    last = max(e.seq for e in world.events if e.serial == "R0")
    forged = InvoiceEvent(serial="R0", seq=last + 1, type=EventType.ISSUED, at=world.now,
                          invoice=InvoiceInfo(number="X"))
    found = names(facts_of(world, world.events + [forged]))
    assert found["void_form_issued"] == ("R0",) and "red_outcomes_differ" in found


def test_a_red_issued_without_its_blue_issued_is_named() -> None:
    world = a_world()
    without_blue = [e for e in world.events if not (e.serial == "B1" and e.type is EventType.ISSUED)]
    found = names(facts_of(world, without_blue))
    assert set(found["red_without_issued_blue"]) == {"R0", "R1"}


def test_a_red_whose_order_takes_more_than_a_line_holds_is_named_per_line() -> None:
    world = a_world()
    events = []
    for event in world.events:
        if event.serial == "R0" and event.red is not None:
            lines = (RedLine(1, Decimal("999999"), Decimal("0")),)
            event = dataclasses.replace(event, red=dataclasses.replace(event.red, lines=lines))
        events.append(event)
    assert "red_exceeds_blue" in names(facts_of(world, events))
