"""The client against the sandbox over real HTTP on loopback: every endpoint, every code, faults, callbacks.

The sandbox shares no code with the client (a unit test holds it to that), so where these tests have one
side check the other (a signature, a price, a code), two independent readings of providers.md agree.
Tests of faults first note the sandbox's fault counters, then check that the fault they rely on fired.
"""

from __future__ import annotations

import asyncio
import json
import re
import select
import subprocess
from dataclasses import replace
from typing import Callable

import httpx
import pytest
from sandbox_processes import FAPIAO, HOST, READY_S
from yipiaoyun_processes import SECRET, Receiver, Sandbox

from fapiao.connectors.provider import Outcome, OutcomeKind, ProviderConfigurationError
from fapiao.connectors.yipiaoyun import YipiaoyunCallbacks, YipiaoyunProvider
from fapiao.schemas.records import InvoiceRequest

Make = Callable[..., InvoiceRequest]


def _fired(sandbox: Sandbox, fault: str) -> int:
    return int(sandbox.stats()["faults"].get(fault, 0))


async def _eventually(provider: YipiaoyunProvider, request: InvoiceRequest, kind: OutcomeKind) -> Outcome:
    for _ in range(50):
        outcome = await provider.query(request)
        if outcome.kind is kind:
            return outcome
        await asyncio.sleep(0.1)
    raise AssertionError(f"{request.serial} never became {kind}: {outcome}")


@pytest.mark.parametrize("sign_type", ["MD5", "SHA1", "SHA256"])
async def test_issue_end_to_end(sandbox_factory: Callable[..., Sandbox], receiver: Receiver, invoice_request: Make,
                                sign_type: str) -> None:
    sandbox = sandbox_factory(sign_type=sign_type)
    async with sandbox.client() as provider:
        request = invoice_request()
        assert (await provider.submit(request)).kind is OutcomeKind.ACCEPTED
        [body] = receiver.wait_for(request.serial)
        callbacks = YipiaoyunCallbacks(SECRET, sign_type)
        assert callbacks.verify(body, {})
        [fact] = callbacks.parse(body, {})
        assert fact.serial == request.serial and fact.order_numbers == (request.erp_order_no,)
        invoice = fact.outcome.invoice
        assert fact.outcome.kind is OutcomeKind.ISSUED and invoice is not None
        assert re.fullmatch(r"\d{8}", invoice.number or "") and re.fullmatch(r"\d{12}", invoice.code or "")
        assert invoice.pdf_url is not None and invoice.pdf_url.startswith(sandbox.url)
        # The client made tax-inclusive prices of tax-exclusive lines; the sandbox split them again at each rate.
        assert invoice.total_amount is not None and invoice.total_tax is not None
        assert invoice.total_amount + invoice.total_tax == request.total_with_tax
        assert json.loads(body)["data"]["invoiceEntrys"][0]["purchaserName"] == request.buyer.name
        issued = await provider.query(request)
        assert issued.kind is OutcomeKind.ISSUED and issued.invoice.number == invoice.number
        assert sandbox.stats()["issued_per_serial"][request.serial] == 1


async def test_tampered_callback_fails_verify(sandbox: Sandbox, provider: YipiaoyunProvider, receiver: Receiver,
                                              invoice_request: Make) -> None:
    request = invoice_request()
    await provider.submit(request)
    [body] = receiver.wait_for(request.serial)
    signed = json.loads(body)
    callbacks = YipiaoyunCallbacks(SECRET)
    assert callbacks.verify(body, {})
    assert not callbacks.verify(json.dumps({**signed, "nonceStr": signed["nonceStr"] + "0"}).encode(), {})
    assert not callbacks.verify(json.dumps({**signed, "sign": "0" * 32}).encode(), {})
    assert not YipiaoyunCallbacks("another-secret").verify(body, {})


async def test_duplicate_application_no(sandbox: Sandbox, provider: YipiaoyunProvider, invoice_request: Make) -> None:
    request = invoice_request()
    assert (await provider.submit(request)).kind is OutcomeKind.ACCEPTED
    duplicate = await provider.submit(request)
    assert (duplicate.kind, duplicate.code, duplicate.message) == (OutcomeKind.DUPLICATE, "-1", "申请单号重复!")
    await _eventually(provider, request, OutcomeKind.ISSUED)
    stats = sandbox.stats()
    assert stats["dedupe"] is True and stats["duplicates"] == 0
    assert stats["submissions_per_serial"][request.serial] == 1 and stats["issued_per_serial"][request.serial] == 1


async def test_with_dedupe_off_the_same_serial_is_issued_twice(sandbox_factory: Callable[..., Sandbox],
                                                               receiver: Receiver, invoice_request: Make) -> None:
    sandbox = sandbox_factory("--dedupe", "off")
    async with sandbox.client() as provider:
        request = invoice_request()
        assert [(await provider.submit(request)).kind for _ in range(2)] == [OutcomeKind.ACCEPTED] * 2
        parse = YipiaoyunCallbacks(SECRET).parse
        numbers = {parse(body, {})[0].outcome.invoice.number for body in receiver.wait_for(request.serial, count=2)}
        assert len(numbers) == 2  # two invoices, not one callback twice
        stats = sandbox.stats()
        assert stats["dedupe"] is False
        assert stats["submissions_per_serial"][request.serial] == 2 and stats["issued_per_serial"][request.serial] == 2
        assert stats["duplicates"] >= 1 and stats["resubmitted"] >= 1
        assert (await provider.query(request)).invoice.number in numbers


async def test_with_dedupe_off_a_pos_order_sent_twice_gets_two_links(sandbox_factory: Callable[..., Sandbox],
                                                                     invoice_request: Make) -> None:
    sandbox = sandbox_factory("--dedupe", "off")
    async with sandbox.client() as provider:
        request = invoice_request(options={"apply_type": "pos", "access_key": "POS001", "access_secret": "ACTIVE001"})
        links = {(await provider.submit(request)).invoice.h5_url for _ in range(2)}
        assert len(links) == 2
        stats = sandbox.stats()
        assert stats["submissions_per_serial"][request.serial] == 2 and request.serial not in stats["issued_per_serial"]


@pytest.mark.parametrize("invoice_type, options, kind, code", [
    ("electronic_normal", {"store_no": "S009", "auto_deal": "true"}, OutcomeKind.SESSION, "5001"),  # offline device
    ("normal", {"store_no": "S404"}, OutcomeKind.FAILED, "4002"),
    ("normal", {"store_id": "999"}, OutcomeKind.FAILED, "4002"),
    ("normal", {"store_id": "123"}, OutcomeKind.ACCEPTED, "0"),
    ("electronic_normal", {"store_no": "S002", "auto_deal": "true"}, OutcomeKind.ACCEPTED, "0"),
])
async def test_store_and_device_codes(provider: YipiaoyunProvider, invoice_request: Make, invoice_type: str,
                                      options: dict[str, str], kind: OutcomeKind, code: str) -> None:
    outcome = await provider.submit(invoice_request(invoice_type, options=options))
    assert (outcome.kind, outcome.code) == (kind, code)


@pytest.mark.parametrize("goods_id, kind", [("ZSF0000001", OutcomeKind.ACCEPTED), ("NOPE0000001", OutcomeKind.FAILED)])
async def test_goods_identifier(provider: YipiaoyunProvider, invoice_request: Make, goods_id: str,
                                kind: OutcomeKind) -> None:
    request = invoice_request()
    request = replace(request, lines=tuple(replace(line, goods_id=goods_id) for line in request.lines))
    outcome = await provider.submit(request)
    assert outcome.kind is kind
    if kind is OutcomeKind.FAILED:
        assert (outcome.code, outcome.message) == ("-1", "找不到对应商品信息")


async def test_subscribe(provider: YipiaoyunProvider, receiver: Receiver, invoice_request: Make) -> None:
    request = invoice_request(options={"apply_type": "2", "store_no": "S001", "invoice_date": "2026-09-26 18:16:00"})
    assert (await provider.submit(request)).kind is OutcomeKind.ACCEPTED
    [body] = receiver.wait_for(request.serial)
    assert YipiaoyunCallbacks(SECRET).parse(body, {})[0].outcome.kind is OutcomeKind.ISSUED


@pytest.mark.parametrize("access_key, kind, code", [("POS001", OutcomeKind.ACCEPTED, "0"),
                                                    ("POS404", OutcomeKind.FAILED, "4002")])
async def test_pos(provider: YipiaoyunProvider, invoice_request: Make, access_key: str, kind: OutcomeKind,
                   code: str) -> None:
    request = invoice_request(options={"apply_type": "pos", "access_key": access_key, "access_secret": "ACTIVE001"})
    outcome = await provider.submit(request)
    assert (outcome.kind, outcome.code) == (kind, code)
    if kind is OutcomeKind.ACCEPTED:
        assert outcome.invoice is not None and request.serial in (outcome.invoice.h5_url or "")
        assert (await provider.query(request)).kind is OutcomeKind.PENDING  # waits for the customer's title


@pytest.mark.parametrize("remark, kind, code", [
    ("SANDBOX:FAIL", OutcomeKind.FAILED, "-1"),
    ("SANDBOX:REJECT", OutcomeKind.FAILED, "-2"),
    ("SANDBOX:PARTIAL", OutcomeKind.ISSUED, "2"),
])
async def test_callback_results(sandbox: Sandbox, provider: YipiaoyunProvider, receiver: Receiver,
                                invoice_request: Make, remark: str, kind: OutcomeKind, code: str) -> None:
    request = invoice_request(remark=remark)
    await provider.submit(request)
    [fact] = YipiaoyunCallbacks(SECRET).parse(receiver.wait_for(request.serial)[0], {})
    assert (fact.outcome.kind, fact.outcome.code) == (kind, code)
    assert (await provider.query(request)).kind is kind
    assert sandbox.stats()["issued_per_serial"].get(request.serial, 0) == (1 if kind is OutcomeKind.ISSUED else 0)


async def test_unknown_serial_is_not_found(provider: YipiaoyunProvider, invoice_request: Make) -> None:
    assert (await provider.query(invoice_request())).kind is OutcomeKind.NOT_FOUND


async def test_wrong_secret_is_configuration(sandbox: Sandbox, invoice_request: Make) -> None:
    async with sandbox.client(secret="not-the-secret") as provider:
        with pytest.raises(ProviderConfigurationError, match="签名错误"):
            await provider.submit(invoice_request())


async def test_fail_rate_is_retryable_and_records_nothing(sandbox_factory: Callable[..., Sandbox],
                                                          invoice_request: Make) -> None:
    sandbox = sandbox_factory("--fail-rate", "1.0")
    fired = _fired(sandbox, "unavailable")
    async with sandbox.client() as provider:
        request = invoice_request()
        outcome = await provider.submit(request)
        assert (outcome.kind, outcome.code) == (OutcomeKind.RETRYABLE, "http_503")
        assert (await provider.query(request)).kind is OutcomeKind.NOT_FOUND
    assert _fired(sandbox, "unavailable") == fired + 1
    assert request.serial not in sandbox.stats()["submissions_per_serial"]


async def test_timeout_is_in_doubt_and_query_shows_the_outcome(sandbox_factory: Callable[..., Sandbox],
                                                               invoice_request: Make) -> None:
    sandbox = sandbox_factory("--timeout-rate", "1.0", "--hang-s", "3")
    fired = _fired(sandbox, "hung")
    async with sandbox.client(timeout_s=0.5) as provider:
        request = invoice_request()
        assert (await provider.submit(request)).kind is OutcomeKind.IN_DOUBT
        issued = await _eventually(provider, request, OutcomeKind.ISSUED)
        assert issued.invoice is not None and issued.invoice.number
        assert sandbox.stats()["issued_per_serial"][request.serial] == 1
    assert _fired(sandbox, "hung") == fired + 1


async def test_duplicated_callbacks(sandbox_factory: Callable[..., Sandbox], receiver: Receiver,
                                    invoice_request: Make) -> None:
    sandbox = sandbox_factory("--duplicate-callback-rate", "1.0")
    fired = _fired(sandbox, "callbacks_duplicated")
    async with sandbox.client() as provider:
        request = invoice_request()
        await provider.submit(request)
        first, second = receiver.wait_for(request.serial, count=2)
        parse = YipiaoyunCallbacks(SECRET).parse
        assert parse(first, {})[0].outcome == parse(second, {})[0].outcome
        assert sandbox.stats()["issued_per_serial"][request.serial] == 1
    assert _fired(sandbox, "callbacks_duplicated") == fired + 1


async def test_dropped_callbacks(sandbox_factory: Callable[..., Sandbox], receiver: Receiver,
                                 invoice_request: Make) -> None:
    sandbox = sandbox_factory("--drop-callback-rate", "1.0")
    fired = _fired(sandbox, "callbacks_dropped")
    async with sandbox.client() as provider:
        request = invoice_request()
        await provider.submit(request)
        await _eventually(provider, request, OutcomeKind.ISSUED)  # the query is how a lost callback is recovered
    assert _fired(sandbox, "callbacks_dropped") == fired + 1 and not receiver.for_serial(request.serial)


async def test_callbacks_are_retried_after_a_failed_delivery(sandbox_factory: Callable[..., Sandbox],
                                                             receiver: Receiver, invoice_request: Make) -> None:
    sandbox = sandbox_factory("--callback-url", receiver.flaky_url)
    async with sandbox.client() as provider:
        request = invoice_request()
        await provider.submit(request)
        [body] = receiver.wait_for(request.serial)
        assert YipiaoyunCallbacks(SECRET).verify(body, {})
        assert sandbox.stats()["callbacks"]["retried"] >= 1


def test_port_0_listens_on_a_free_port_and_says_which() -> None:
    process = subprocess.Popen([str(FAPIAO), "sandbox", "yipiaoyun", "--port", "0"], stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    assert process.stdout is not None
    try:
        assert select.select([process.stdout], [], [], READY_S)[0], f"no address printed within {READY_S} s"
        line = process.stdout.readline()
        match = re.fullmatch(rf"yipiaoyun sandbox listening on (http://{re.escape(HOST)}:(\d+))\n", line)
        assert match and int(match[2]) != 0, line
        stats = httpx.get(f"{match[1]}/_sandbox/stats", timeout=5).json()  # it prints once it listens
        assert stats["dedupe"] is True and stats["issued"] == 0
    finally:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
