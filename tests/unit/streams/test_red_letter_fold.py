"""Red-letter invoices through the real fold: reds of one blue in any order, on any serials, with crashes,
never take back more than the blue (counted by what the provider model issued), and each ends once."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from fapiao.schemas.records import EventType, InvoiceRequest, RequestKind, Status
from fapiao.schemas.requests import parse_request

from red_world import Provider, World, blue, red, run

def assert_never_more_red_than_blue(world: World, blues: list[InvoiceRequest]) -> None:
    for original in blues:
        taken = world.provider.red_taken.get(original.serial, {})
        for number, line in enumerate(original.lines, start=1):
            amount, tax = taken.get(number, (Decimal(0), Decimal(0)))
            assert amount <= line.amount and tax <= line.tax_amount, (original.serial, number, amount, line.amount)


def assert_one_outcome_each(world: World, serials: list[str]) -> None:
    for serial in serials:
        outcomes = set(world.results[serial])
        assert len(outcomes) == 1, (serial, world.results[serial], world.rows.get(serial))
        assert world.provider.issued[serial] <= 1, serial


# -- the two examples the issue names -----------------------------------------------------------------


def test_two_allowances_of_40_percent_pass_and_a_third_is_refused() -> None:
    world = World(Provider())
    original = blue("B1")
    world.publish(original)
    run(world, [], set())
    reds = [red(f"R{i}", "B1", "04", Decimal("0.4"), whole_of=original) for i in range(3)]
    for request in reds:
        world.publish(request)
        run(world, [], set())
    assert [world.rows[r.serial].status for r in reds] == [Status.ISSUED, Status.ISSUED, Status.REJECTED]
    assert world.rows["R2"].findings[0].code == "red_exceeds_remaining"
    assert [e.state for e in world.rows["B1"].reds] == ["issued", "issued", "refused"]
    assert_never_more_red_than_blue(world, [original])


def test_of_two_reds_of_60_percent_published_together_exactly_one_is_issued() -> None:
    world = World(Provider())
    original = blue("B1")
    world.publish(original)
    run(world, [], set())
    for serial in ("RA", "RB"):
        world.publish(red(serial, "B1", "04", Decimal("0.6"), whole_of=original))
    run(world, [1, 0, 1, 1, 0], set())
    statuses = sorted(world.rows[s].status.value for s in ("RA", "RB"))
    assert statuses == ["issued", "rejected"]
    assert_never_more_red_than_blue(world, [original])


def a_whole_return() -> World:
    """Blue B1 issued, then red R1 taking all of it back (02), issued."""
    world = World(Provider())
    world.publish(blue("B1"))
    run(world, [], set())  # the blue is issued first: a red of a blue in progress is refused
    world.publish(red("R1", "B1", "02"))
    run(world, [0], set())
    return world


def test_a_whole_return_flushes_the_blue_and_carries_what_remains() -> None:
    world = a_whole_return()
    assert world.rows["R1"].status is Status.ISSUED
    assert world.rows["B1"].status is Status.RED_FLUSHED
    assert all(line.amount == 0 and line.tax_amount == 0 for line in world.rows["R1"].red.remaining)
    assert world.results["B1"] == [Status.ISSUED]  # one result per serial: red_flushed sends none


def test_a_red_of_a_blue_that_is_not_issued_yet_is_refused() -> None:
    world = World(Provider())
    world.publish(red("R1", "NOPE", "02"))
    run(world, [], set())
    assert world.rows["R1"].status is Status.REJECTED
    assert world.rows["R1"].findings[0].code == "red_original_not_issued"
    assert "NOPE" not in world.rows  # the refusal creates no row for a serial that has none


def test_a_red_whose_form_awaits_the_buyer_waits_and_is_issued_once_confirmed() -> None:
    world = World(Provider(used={"B1"}, buyer=lambda _: "confirm"))
    original = blue("B1")
    world.publish(original)
    run(world, [], set())
    world.publish(red("R1", "B1", "02"))
    run(world, [], set())
    kinds = [e.type for e in world.events if e.serial == "R1"]
    assert kinds.count(EventType.SUBMITTING) == 1 and EventType.AWAITING_COUNTERPARTY in kinds
    waiting = next(e for e in world.events if e.type is EventType.AWAITING_COUNTERPARTY)
    assert waiting.form is not None and waiting.form.deadline is not None  # the table holds the deadline
    assert world.rows["R1"].status is Status.ISSUED and world.rows["R1"].form.status == "04"
    assert world.provider.issued["R1"] == 1


def test_a_refused_or_lapsed_form_fails_the_red_issues_nothing_and_frees_its_share() -> None:
    for answer, status in (("refuse", "05"), ("silent", "07")):
        world = World(Provider(used={"B1"}, buyer=lambda _, a=answer: a))
        original = blue("B1")
        world.publish(original)
        run(world, [], set())
        world.publish(red("R1", "B1", "02"))
        run(world, [0], set())
        row = world.rows["R1"]
        assert (row.status, row.code, row.form.status) == (Status.FAILED, f"red_form_{status}", status)
        assert world.provider.issued["R1"] == 0
        assert [e.state for e in world.rows["B1"].reds] == ["released"]
        assert row.form.deadline is not None


def test_a_red_cancel_withdraws_a_red_awaiting_the_buyer() -> None:
    world = World(Provider(used={"B1"}, buyer=lambda _: "silent"))
    original = blue("B1")
    world.publish(original)
    run(world, [], set())
    world.publish(red("R1", "B1", "02"))
    run(world, [0], set(), until=lambda w: "R1" in w.rows and w.rows["R1"].status is Status.AWAITING_COUNTERPARTY)
    cancel, findings = parse_request({"serial": "C1", "kind": "red_cancel", "original_serial": "R1"})
    assert cancel is not None, findings
    world.publish(cancel)
    run(world, [0], set())
    assert world.rows["C1"].status is Status.WITHDRAWN
    assert (world.rows["R1"].status, world.rows["R1"].code) == (Status.FAILED, "red_form_08")
    assert world.provider.issued["R1"] == 0 and [e.state for e in world.rows["B1"].reds] == ["released"]


def test_a_red_cancel_of_an_issued_red_is_refused() -> None:
    world = a_whole_return()
    cancel, _ = parse_request({"serial": "C1", "kind": "red_cancel", "original_serial": "R1"})
    world.publish(cancel)
    run(world, [], set())
    assert world.rows["C1"].status is Status.REJECTED and world.rows["C1"].findings[0].code == "red_cancel_refused"
    assert world.rows["R1"].status is Status.ISSUED


# -- the guarantee, for any order and any crashes ------------------------------------------------------

shares = st.sampled_from([Decimal("0.1"), Decimal("0.25"), Decimal("0.4"), Decimal("0.6"), None])


@settings(max_examples=150, deadline=None)
@given(plan=st.lists(st.tuples(st.integers(0, 1), shares, st.sampled_from(["02", "03", "04"]), st.integers(1, 2)),
                     min_size=1, max_size=7),
       order=st.lists(st.integers(0, 7), min_size=1, max_size=40),
       crashes=st.sets(st.integers(0, 120), max_size=12),
       used=st.booleans(), answer=st.sampled_from(["confirm", "refuse", "silent"]))
def test_reds_in_any_order_with_crashes_never_take_back_more_than_their_blue(
        plan: list[tuple[int, Decimal | None, str, int]], order: list[int], crashes: set[int], used: bool,
        answer: str) -> None:
    blues = [blue("B0"), blue("B1")]
    world = World(Provider(used={"B0"} if used else set(), buyer=lambda _: answer))
    for original in blues:
        world.publish(original)
    run(world, [], set())
    reds = []
    for i, (which, share, reason, line) in enumerate(plan):
        original = blues[which]
        line = min(line, len(original.lines))
        reds.append(red(f"R{i}", original.serial, reason, share, line, whole_of=original))
    for request in reds:
        world.publish(request)
    run(world, order, crashes, rounds=3000)
    assert_never_more_red_than_blue(world, blues)
    assert_one_outcome_each(world, [r.serial for r in reds])
    for original in blues:  # the blue's book agrees with the provider's
        row = world.rows[original.serial]
        issued = {e.serial for e in row.reds if e.state == "issued"}
        assert issued == {r.serial for r in reds if r.original_serial == original.serial
                          and world.provider.issued[r.serial]}
        assert not any(e.state == "reserved" for e in row.reds), "a red ended but its share is still set aside"


def test_the_request_kind_is_red() -> None:
    assert red("R1", "B1").kind is RequestKind.RED
