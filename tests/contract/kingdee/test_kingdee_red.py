"""The Kingdee client's red-letter calls against the sandbox over real HTTP (docs/red-letter.md; red-letter.md §5).

The sandbox's buyer is steered by the blue's remark (SANDBOX:USED: the buyer already used the blue, so
a form needs its confirmation; SANDBOX:BUYER-CONFIRMS / -REFUSES / -SILENT: what it answers), its clock
by `/_sandbox/clock`, and an inbound form is raised by `/_sandbox/forms`.
"""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from decimal import Decimal
from typing import Callable

import pytest

from fapiao.connectors.kingdee import KingdeeCallbacks, KingdeeProvider
from fapiao.connectors.kingdee.red_protocol import (FACE_CHECK_CODE, FORM_NOT_ISSUABLE, NO_REMAINING, RED_CALLBACK,
                                                   WHOLE_ONLY)
from fapiao.connectors.provider import Outcome, OutcomeKind
from fapiao.connectors.wire import loads
from fapiao.schemas.records import InvoiceInfo, InvoiceRequest, Line, RedForm, RedLine, RedOrder
from fapiao.streams.outcomes import adopt

from kingdee_support import Receiver, Sandbox, new_request, settled
from red_orders import advance_clock, allowance, buyer_raises_form, polled, red_order, units

ProviderFactory = Callable[..., KingdeeProvider]
USED = "SANDBOX:USED"


@pytest.fixture(scope="module")
def sandbox(sandboxes: Callable[..., Sandbox], receiver: Receiver) -> Sandbox:
    return sandboxes("--issue-delay-ms", "100", "--callback-url", receiver.url, "--buyer-delay-s", "0.3")


def ten_of_each() -> tuple[Line, ...]:
    """Two blue lines of 10 units each, so that parts can come back several times."""
    return (Line(name="办公用品", tax_code="1060511020000000000", tax_rate=Decimal("0.13"), amount=Decimal("200.00"),
                 tax_amount=Decimal("26.00"), quantity=Decimal("10"), unit_price=Decimal("20.00"), unit="件"),
            Line(name="咨询服务", tax_code="3040602000000000000", tax_rate=Decimal("0.06"), amount=Decimal("1000.00"),
                 tax_amount=Decimal("60.00"), quantity=Decimal("10"), unit_price=Decimal("100.00"), unit="次"))


async def issued_blue(provider: KingdeeProvider, remark: str | None = None,
                      invoice_type: str = "digital_special") -> tuple[InvoiceRequest, InvoiceInfo]:
    lines = ten_of_each()
    amount, tax = sum(line.amount for line in lines), sum(line.tax_amount for line in lines)
    blue = new_request(invoice_type, lines=lines, total_amount=amount, total_tax=tax, total_with_tax=amount + tax,
                       remark=remark)
    assert (await provider.submit(blue)).kind is OutcomeKind.ACCEPTED
    outcome = await settled(provider, blue)
    assert outcome.kind is OutcomeKind.ISSUED and outcome.invoice is not None
    return blue, outcome.invoice


def form_of(outcome: Outcome) -> RedForm:
    assert outcome.kind is OutcomeKind.ACCEPTED and outcome.form is not None, outcome
    return outcome.form


async def red_issued(provider: KingdeeProvider, order: RedOrder) -> Outcome:
    """Query the red until it is no longer 开票中; adopted as the issue agent adopts."""
    found = await polled(lambda: provider.query_red(order), lambda outcome: outcome.kind is not OutcomeKind.PENDING)
    return adopt(order.request, found)


async def form_moved(provider: KingdeeProvider, order: RedOrder, form: RedForm) -> RedForm:
    """Poll the form while it awaits the counterparty."""
    outcome = await polled(lambda: provider.query_red_form(order, form),
                           lambda outcome: outcome.form is None or outcome.form.status != form.status)
    return form_of(outcome)


# (a) direct red: an unused blue needs nobody's confirmation

async def test_a_whole_red_of_an_unused_blue(sandbox: Sandbox, receiver: Receiver,
                                            provider_factory: ProviderFactory) -> None:
    provider = provider_factory(sandbox)
    blue, info = await issued_blue(provider)
    order = red_order(blue, info, "01")
    form = form_of(await provider.apply_red_form(order))
    assert form.status == "01" and form.number and form.uuid and form.deadline is None
    assert (await provider.submit_red(order, form)).kind is OutcomeKind.ACCEPTED
    red = await red_issued(provider, order)
    assert red.kind is OutcomeKind.ISSUED and red.invoice is not None and red.invoice.number
    assert (red.invoice.total_amount, red.invoice.total_tax) == (-blue.total_amount, -blue.total_tax)
    assert red.form is not None and (red.form.number, red.form.uuid) == (form.number, form.uuid)
    [facts] = await receiver.wait_for(1, KingdeeCallbacks(), order.request.serial)
    assert facts.outcome.kind is OutcomeKind.ISSUED and facts.outcome.invoice is not None
    assert facts.outcome.invoice.number == red.invoice.number and facts.outcome.invoice.total_amount < 0
    assert facts.outcome.form is not None and facts.outcome.form.number == form.number
    assert RED_CALLBACK in {loads(body)["interfaceCode"] for body in receiver.bodies}
    taken_back = await provider.query(blue)
    assert (taken_back.kind, taken_back.code) == (OutcomeKind.ISSUED, "3")  # 红冲
    assert sandbox.stats()["issued_per_serial"][order.request.serial] == 1


async def test_applying_again_answers_the_same_form(sandbox: Sandbox, provider_factory: ProviderFactory) -> None:
    provider = provider_factory(sandbox)
    blue, info = await issued_blue(provider)
    order = red_order(blue, info, "02", {1: units(blue, 1, 3)})
    first, again = [form_of(await provider.apply_red_form(order)) for _ in range(2)]
    assert (again.number, again.uuid) == (first.number, first.uuid)


@pytest.mark.parametrize(("reason", "take"), [
    ("02", lambda blue: {1: units(blue, 1, 2)}),
    ("03", lambda blue: {2: units(blue, 2, 4), 1: units(blue, 1, 1)}),
    ("04", lambda blue: {2: allowance(blue, 2, "50.00")}),
])
async def test_partial_reds_for_each_reason(sandbox: Sandbox, provider_factory: ProviderFactory, reason: str,
                                           take: Callable[[InvoiceRequest], dict[int, RedLine]]) -> None:
    provider = provider_factory(sandbox)
    blue, info = await issued_blue(provider)
    order = red_order(blue, info, reason, take(blue))
    form = form_of(await provider.apply_red_form(order))
    assert form.status == "01"
    assert (await provider.submit_red(order, form)).kind is OutcomeKind.ACCEPTED
    red = await red_issued(provider, order)
    assert red.kind is OutcomeKind.ISSUED and red.invoice is not None
    assert red.invoice.total_amount == order.request.total_amount < 0
    assert (await provider.query(blue)).code == "0"  # the blue stands: only part of it came back


# (b) a used blue: the buyer must confirm

async def test_a_form_the_buyer_confirms(sandbox: Sandbox, provider_factory: ProviderFactory) -> None:
    provider = provider_factory(sandbox)
    blue, info = await issued_blue(provider, f"{USED} SANDBOX:BUYER-CONFIRMS")
    order = red_order(blue, info, "02", {1: units(blue, 1, 4)})
    form = form_of(await provider.apply_red_form(order))
    assert form.status == "02" and form.entered_at is not None
    assert form.deadline == form.entered_at + timedelta(hours=72)
    confirmed = await form_moved(provider, order, form)
    assert confirmed.status == "04" and confirmed.deadline is None
    # Confirmation may issue the red by itself: query first, submit only when it is not there.
    if (await provider.query_red(order)).kind is OutcomeKind.NOT_FOUND:
        assert (await provider.submit_red(order, confirmed)).kind is OutcomeKind.ACCEPTED
    red = await red_issued(provider, order)
    assert red.kind is OutcomeKind.ISSUED and red.invoice is not None
    assert red.invoice.total_amount == order.request.total_amount
    assert (await provider.submit_red(order, confirmed)).kind is OutcomeKind.DUPLICATE
    assert sandbox.stats()["issued_per_serial"][order.request.serial] == 1


async def test_a_form_the_buyer_refuses_issues_nothing(sandbox: Sandbox, provider_factory: ProviderFactory) -> None:
    provider = provider_factory(sandbox)
    blue, info = await issued_blue(provider, f"{USED} SANDBOX:BUYER-REFUSES")
    order = red_order(blue, info, "02", {1: units(blue, 1, 1)})
    refused = await form_moved(provider, order, form_of(await provider.apply_red_form(order)))
    assert refused.status == "05"
    outcome = await provider.submit_red(order, refused)
    assert outcome.kind is OutcomeKind.FAILED and FORM_NOT_ISSUABLE in (outcome.message or "")
    assert (await provider.query_red(order)).kind is OutcomeKind.NOT_FOUND


@pytest.mark.parametrize(("confirm", "status"), [(True, "04"), (False, "06")])
async def test_we_answer_a_form_the_buyer_raised(sandbox: Sandbox, provider_factory: ProviderFactory,
                                                confirm: bool, status: str) -> None:
    provider = provider_factory(sandbox)
    blue, info = await issued_blue(provider, USED)
    assert info.number is not None and blue.seller is not None and blue.seller.tax_id
    inbound = buyer_raises_form(sandbox, info.number)
    assert inbound.status == "03"
    answered = await provider.answer_red_form(inbound, blue.seller.tax_id, confirm)
    assert form_of(answered).status == status
    again = await provider.answer_red_form(inbound, blue.seller.tax_id, confirm)
    assert again.kind is OutcomeKind.FAILED and again.form is not None and again.form.status == status


# (d) lapse, (e) revoke

async def test_a_form_nobody_answers_lapses_after_72_hours(sandboxes: Callable[..., Sandbox],
                                                          provider_factory: ProviderFactory) -> None:
    sandbox = sandboxes("--issue-delay-ms", "100", "--buyer-delay-s", "0.3", "--seed", "72")  # its own clock
    provider = provider_factory(sandbox)
    blue, info = await issued_blue(provider, f"{USED} SANDBOX:BUYER-SILENT")
    order = red_order(blue, info, "02", {1: units(blue, 1, 10)})
    form = form_of(await provider.apply_red_form(order))
    assert form.status == "02"
    advance_clock(sandbox, 72 * 3600)
    lapsed = form_of(await provider.query_red_form(order, form))
    assert lapsed.status == "07" and lapsed.deadline is None
    outcome = await provider.submit_red(order, lapsed)
    assert outcome.kind is OutcomeKind.FAILED and FORM_NOT_ISSUABLE in (outcome.message or "")
    fresh = red_order(blue, info, "02", {1: units(blue, 1, 10)})  # the lapsed form's share is free again
    assert form_of(await provider.apply_red_form(fresh)).status == "02"


async def test_a_waiting_form_is_revoked(sandbox: Sandbox, provider_factory: ProviderFactory) -> None:
    provider = provider_factory(sandbox)
    blue, info = await issued_blue(provider, f"{USED} SANDBOX:BUYER-SILENT")
    order = red_order(blue, info, "02", {2: units(blue, 2, 1)})
    form = form_of(await provider.apply_red_form(order))
    revoked = await provider.revoke_red_form(order, form)
    assert (revoked.kind, revoked.code) == (OutcomeKind.ACCEPTED, "08")
    again = await provider.revoke_red_form(order, form)  # e.g. after a revoke in doubt
    assert again.kind is OutcomeKind.FAILED and again.form is not None and again.form.status == "08"
    assert (await provider.submit_red(order, form)).kind is OutcomeKind.FAILED


# (f) never more red than blue, (g) a red serial once, (h) an unknown blue

async def test_reds_take_back_no_more_than_the_blue(sandbox: Sandbox, provider_factory: ProviderFactory) -> None:
    provider = provider_factory(sandbox)
    blue, info = await issued_blue(provider)
    for _ in range(2):
        order = red_order(blue, info, "02", {1: units(blue, 1, 5)})
        form = form_of(await provider.apply_red_form(order))
        assert (await provider.submit_red(order, form)).kind is OutcomeKind.ACCEPTED
        assert (await red_issued(provider, order)).kind is OutcomeKind.ISSUED
    beyond = await provider.apply_red_form(red_order(blue, info, "02", {1: units(blue, 1, 1)}))
    assert beyond.kind is OutcomeKind.FAILED and NO_REMAINING in (beyond.message or "")
    in_error = await provider.apply_red_form(red_order(blue, info, "01", {2: units(blue, 2, 10)}))
    assert in_error.kind is OutcomeKind.FAILED and WHOLE_ONLY in (in_error.message or "")
    assert sandbox.stats()["over_flushed"] == []


async def test_a_partial_red_in_error_is_refused(sandbox: Sandbox, provider_factory: ProviderFactory) -> None:
    # Also proves 2.1.03's "1" reads as 01 开票有误 (the bureau's order), not 销货退回 (Kingdee 标准版).
    provider = provider_factory(sandbox)
    blue, info = await issued_blue(provider)
    outcome = await provider.apply_red_form(red_order(blue, info, "01", {1: units(blue, 1, 2)}))
    assert outcome.kind is OutcomeKind.FAILED and WHOLE_ONLY in (outcome.message or "")


async def test_a_red_serial_is_issued_once(sandbox: Sandbox, provider_factory: ProviderFactory) -> None:
    provider = provider_factory(sandbox)
    blue, info = await issued_blue(provider)
    order = red_order(blue, info, "03", {2: units(blue, 2, 2)})
    form = form_of(await provider.apply_red_form(order))
    assert (await provider.submit_red(order, form)).kind is OutcomeKind.ACCEPTED
    duplicate = await provider.submit_red(order, form)
    assert (duplicate.kind, duplicate.code) == (OutcomeKind.DUPLICATE, "10127")
    assert (await red_issued(provider, order)).kind is OutcomeKind.ISSUED
    assert sandbox.stats()["issued_per_serial"][order.request.serial] == 1


async def test_a_red_of_an_unknown_blue_is_refused(sandbox: Sandbox, provider_factory: ProviderFactory) -> None:
    provider = provider_factory(sandbox)
    blue, info = await issued_blue(provider)
    order = red_order(blue, dataclasses.replace(info, number="24952000000000000001"), "01")
    assert (await provider.apply_red_form(order)).kind is OutcomeKind.FAILED
    assert (await provider.query_red_form(order, RedForm(number="44000000000000000000"))).kind is OutcomeKind.NOT_FOUND


# (k) faults

async def test_a_face_check_pauses_the_seller(sandboxes: Callable[..., Sandbox],
                                             provider_factory: ProviderFactory) -> None:
    provider = provider_factory(sandboxes("--issue-delay-ms", "50", "--face-check-rate", "1.0"))
    blue, info = await issued_blue(provider)
    outcome = await provider.apply_red_form(red_order(blue, info, "01"))
    assert (outcome.kind, outcome.code) == (OutcomeKind.SESSION, FACE_CHECK_CODE)


async def test_an_apply_in_doubt_is_applied_again(sandboxes: Callable[..., Sandbox],
                                                 provider_factory: ProviderFactory) -> None:
    sandbox = sandboxes("--issue-delay-ms", "50", "--timeout-rate", "1.0", "--hang-s", "1.5")
    impatient, patient = provider_factory(sandbox, timeout_s=0.5), provider_factory(sandbox, timeout_s=5.0)
    blue, info = await issued_blue(patient)
    order = red_order(blue, info, "01")
    assert (await impatient.apply_red_form(order)).kind is OutcomeKind.IN_DOUBT
    form = form_of(await patient.apply_red_form(order))
    assert form.status == "01"
    assert sum(sandbox.stats()["forms"].values()) == 1


async def test_unavailable_and_expired_tokens(sandboxes: Callable[..., Sandbox], sandbox: Sandbox,
                                             provider_factory: ProviderFactory) -> None:
    provider = provider_factory(sandbox)
    blue, info = await issued_blue(provider)
    order = red_order(blue, info, "01")
    sandbox.expire_tokens()
    form = form_of(await provider.apply_red_form(order))  # refreshed once, transparently
    unavailable = provider_factory(sandboxes("--fail-rate", "1.0"))
    assert (await unavailable.apply_red_form(order)).kind is OutcomeKind.RETRYABLE
    assert (await unavailable.submit_red(order, form)).kind is OutcomeKind.RETRYABLE


async def test_reds_in_aes_mode(sandboxes: Callable[..., Sandbox], provider_factory: ProviderFactory) -> None:
    provider = provider_factory(sandboxes("--issue-delay-ms", "50", "--aes-password", "synthetic-key"),
                                aes_password="synthetic-key")
    blue, info = await issued_blue(provider)
    order = red_order(blue, info, "01")
    form = form_of(await provider.apply_red_form(order))
    assert form.status == "01"
    assert (await provider.submit_red(order, form)).kind is OutcomeKind.ACCEPTED
    assert (await red_issued(provider, order)).kind is OutcomeKind.ISSUED
