"""The Kingdee client against the sandbox over real HTTP: submit, query, duplicates, rejections, callbacks."""

from __future__ import annotations

import asyncio
import dataclasses
from decimal import Decimal
import re
from typing import Callable

import httpx
import pytest

from fapiao.connectors.kingdee import KingdeeCallbacks, KingdeeProvider
from fapiao.connectors.kingdee.protocol import BILL_QUERY
from fapiao.connectors.provider import OutcomeKind
from fapiao.schemas.records import INVOICE_TYPES

from kingdee_support import OpenApi, Receiver, Sandbox, new_request, settled

ProviderFactory = Callable[..., KingdeeProvider]
@pytest.fixture(scope="module")
def sandbox(sandboxes: Callable[..., Sandbox], receiver: Receiver) -> Sandbox:
    return sandboxes("--issue-delay-ms", "300", "--callback-url", receiver.url)


async def test_accepted_then_pending_then_issued(sandbox: Sandbox, provider_factory: ProviderFactory) -> None:
    provider = provider_factory(sandbox)
    await provider.check()
    request = new_request()
    assert (await provider.submit(request)).kind is OutcomeKind.ACCEPTED
    assert (await provider.query(request)).kind is OutcomeKind.PENDING
    outcome = await settled(provider, request)
    assert outcome.kind is OutcomeKind.ISSUED and outcome.invoice is not None
    invoice = outcome.invoice
    assert invoice.number is not None and len(invoice.number) == 20 and invoice.issued_at
    assert (invoice.total_amount, invoice.total_tax) == (request.total_amount, request.total_tax)
    assert invoice.pdf_url and invoice.pdf_url.startswith(sandbox.url)
    async with httpx.AsyncClient() as client:
        assert (await client.get(invoice.pdf_url)).status_code == 200
    assert sandbox.stats()["issued_per_serial"][request.serial] == 1


@pytest.mark.parametrize("invoice_type", INVOICE_TYPES)
async def test_every_invoice_type_is_issued(sandbox: Sandbox, provider_factory: ProviderFactory,
                                           invoice_type: str) -> None:
    provider = provider_factory(sandbox)
    request = new_request(invoice_type)
    assert (await provider.submit(request)).kind is OutcomeKind.ACCEPTED
    outcome = await settled(provider, request)
    assert outcome.kind is OutcomeKind.ISSUED and outcome.invoice is not None
    assert outcome.invoice.number
    assert (outcome.invoice.code is None) == invoice_type.startswith("digital")  # 数电 invoices have no code


async def test_duplicate_serial_is_not_issued_again(sandbox: Sandbox, provider_factory: ProviderFactory) -> None:
    provider = provider_factory(sandbox)
    request = new_request()
    assert (await provider.submit(request)).kind is OutcomeKind.ACCEPTED
    duplicate = await provider.submit(request)
    assert duplicate.kind is OutcomeKind.DUPLICATE and duplicate.code == "10127"
    assert (await settled(provider, request)).kind is OutcomeKind.ISSUED
    assert (await provider.submit(request)).kind is OutcomeKind.DUPLICATE
    assert sandbox.stats()["issued_per_serial"][request.serial] == 1


async def test_bad_totals_are_a_blocking_failure(sandbox: Sandbox, provider_factory: ProviderFactory) -> None:
    provider = provider_factory(sandbox)
    good = new_request()
    request = dataclasses.replace(good, total_with_tax=good.total_with_tax + Decimal("1.00"))
    outcome = await provider.submit(request)
    assert outcome.kind is OutcomeKind.FAILED and outcome.message == "价税合计金额不对" and outcome.code
    assert (await provider.query(request)).kind is OutcomeKind.NOT_FOUND


@pytest.mark.parametrize("invoice_type", ["digital_normal", "electronic_normal"])  # ALLE.* and BILL.* queries
async def test_unknown_serial_is_not_found(sandbox: Sandbox, provider_factory: ProviderFactory,
                                           invoice_type: str) -> None:
    assert (await provider_factory(sandbox).query(new_request(invoice_type))).kind is OutcomeKind.NOT_FOUND


async def test_a_bill_is_listed_without_invoices_until_one_is_issued(sandbox: Sandbox,
                                                                     provider_factory: ProviderFactory) -> None:
    """BILL.INVOICE.QUERY as sent on the wire: `[]` for a bill the seller does not have, the bill with an empty
    invoiceList while 开票中 (the client reads it as pending, never as a serial to submit again), then its invoice."""
    provider, api = provider_factory(sandbox), OpenApi(sandbox)
    request = new_request("special")
    asked = {"sellerTaxpayerId": request.seller.tax_id, "serialNo": request.serial}
    counted = sandbox.stats()["requests"]
    try:
        assert await api.ok(BILL_QUERY, asked) == []
        assert (await provider.submit(request)).kind is OutcomeKind.ACCEPTED
        assert await api.ok(BILL_QUERY, asked) == [{"billNo": request.serial, "invoiceList": []}]
        assert (await provider.query(request)).kind is OutcomeKind.PENDING
        outcome = await settled(provider, request)
        [bill] = await api.ok(BILL_QUERY, asked)
        assert await api.ok(BILL_QUERY, {**asked, "sellerTaxpayerId": "91110000000000000X"}) == []
    finally:
        await api.aclose()
    [item] = bill["invoiceList"]
    assert outcome.kind is OutcomeKind.ISSUED and outcome.invoice is not None
    assert (bill["billNo"], item["billNo"], item["invoiceStatus"]) == (request.serial, request.serial, "0")
    assert (item["invoiceNum"], item["invoiceCode"]) == (outcome.invoice.number, outcome.invoice.code)
    assert (item["totalAmount"], item["totalTaxAmount"]) == (request.total_amount, request.total_tax)
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", item["invoiceDate"])
    now = sandbox.stats()["requests"]
    delta = {kind: now.get(f"{BILL_QUERY}:{kind}", 0) - counted.get(f"{BILL_QUERY}:{kind}", 0)
             for kind in ("found", "not_found")}
    assert delta["not_found"] == 2 and delta["found"] >= 4


@pytest.mark.parametrize("invoice_type", ["digital_special", "electronic_normal"])
async def test_callback_is_delivered_and_parsed(sandbox: Sandbox, receiver: Receiver,
                                                provider_factory: ProviderFactory, invoice_type: str) -> None:
    provider = provider_factory(sandbox)
    request = new_request(invoice_type)
    assert (await provider.submit(request)).kind is OutcomeKind.ACCEPTED
    [facts] = await receiver.wait_for(1, KingdeeCallbacks(), request.serial)
    assert facts.outcome.kind is OutcomeKind.ISSUED and facts.outcome.invoice is not None
    queried = await provider.query(request)
    assert queried.invoice is not None and facts.outcome.invoice.number == queried.invoice.number


async def test_concurrent_submits_never_issue_twice(sandbox: Sandbox, provider_factory: ProviderFactory) -> None:
    provider = provider_factory(sandbox)
    requests = [new_request() for _ in range(40)]
    outcomes = await asyncio.gather(*(provider.submit(r) for r in requests + requests[:10]))
    kinds = [outcome.kind for outcome in outcomes]
    assert kinds.count(OutcomeKind.ACCEPTED) == 40 and kinds.count(OutcomeKind.DUPLICATE) == 10
    await asyncio.gather(*(settled(provider, r) for r in requests))
    stats = sandbox.stats()
    assert all(stats["issued_per_serial"][r.serial] == 1 for r in requests)
    assert stats["duplicates"] == 0
