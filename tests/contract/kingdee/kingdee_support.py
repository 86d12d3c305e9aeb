"""Helpers of the Kingdee contract tests: the `fapiao sandbox kingdee` subprocess, its hooks, its callback
receiver, and `OpenApi`, which makes envelope calls the red-letter tests build themselves.

`OpenApi` uses the client's token, envelope and codec modules (they exist for blue and are what a red call
goes through too), never red-letter client methods: those are written separately, against the same docs.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from decimal import Decimal
from typing import Any

import httpx
from sandbox_processes import CallbackReceiver, SandboxProcess

from fapiao.connectors import wire
from fapiao.connectors.kingdee import KingdeeCallbacks, KingdeeProvider
from fapiao.connectors.kingdee.auth import Tokens
from fapiao.connectors.kingdee.envelope import DataCodec, Reply, envelope, new_request_id, read_reply
from fapiao.connectors.kingdee.protocol import OPEN_API_PATH, QUERY
from fapiao.connectors.provider import Outcome, OutcomeKind
from fapiao.samples import valid_request
from fapiao.schemas.records import InvoiceRequest
from fapiao.schemas.requests import parse_request
from fapiao.settings import load

# The red-letter interfaceCodes, as docs/red-letter.md names them
APPLY, RED, REVOKE, CONFIRM, FORMS = ("REDCONFIRMBILL.APPLY", "ALLE.INVOICE.RED", "REDCONFIRMBILL.REVOKE",
                                      "REDCONFIRMBILL.CONFIRM", "ALLE.REDCONFIRMBILL.QUERY")


class Sandbox(SandboxProcess):
    """One `fapiao sandbox kingdee` subprocess."""

    def __init__(self, *args: str) -> None:
        super().__init__("kingdee", *args)

    def expire_tokens(self) -> None:
        httpx.post(f"{self.url}/_sandbox/expire-tokens", timeout=5).raise_for_status()

    def settled_stats(self, timeout: float = 10) -> dict[str, Any]:
        """The stats once nothing is 开票中 any more."""
        deadline = time.monotonic() + timeout
        while (stats := self.stats())["pending"] and time.monotonic() < deadline:
            time.sleep(0.05)
        return stats

    def hook(self, path: str, body: dict[str, Any]) -> httpx.Response:
        return httpx.post(f"{self.url}/_sandbox/{path}", content=wire.dumps(body), timeout=5)

    def advance(self, seconds: float) -> None:
        """Move the sandbox's business clock forward (forms past their deadline lapse)."""
        self.hook("clock", {"advance_s": seconds}).raise_for_status()

    def buyer(self, form_number: str, answer: str) -> dict[str, Any]:
        """The buyer answers a form we raised: confirm, refuse or silent."""
        response = self.hook(f"forms/{form_number}/buyer", {"answer": answer})
        response.raise_for_status()
        return wire.loads(response.content)  # type: ignore[no-any-return]

    def buyer_raises(self, invoice_number: str, reason: str = "02", lines: list[Any] | None = None) -> dict[str, Any]:
        """The buyer enters a form (03) against one of our blues; its 2.1.13 item."""
        body: dict[str, Any] = {"invoiceNum": invoice_number, "redReason": reason}
        if lines is not None:
            body["invoiceDetail"] = lines
        response = self.hook("forms", body)
        response.raise_for_status()
        return wire.loads(response.content)  # type: ignore[no-any-return]


class OpenApi:
    """Envelope calls to a sandbox, as the tenant `load({})` describes (plus overrides)."""

    def __init__(self, sandbox: Sandbox, **overrides: Any) -> None:
        self.settings = dataclasses.replace(load({}).kingdee, base_url=sandbox.url, **overrides)
        self.http = httpx.AsyncClient(base_url=sandbox.url, timeout=10)
        self.tokens = Tokens(self.http, self.settings)
        self.codec = DataCodec(self.settings.aes_password)

    async def post(self, interface: str, data: dict[str, Any]) -> httpx.Response:
        body = envelope(self.settings.business_system_code, interface, self.codec.encode(data), new_request_id())
        return await self.http.post(OPEN_API_PATH, content=wire.dumps(body),
                                    headers={"access_token": await self.tokens.get()})

    async def exchange(self, interface: str, data: dict[str, Any]) -> tuple[int, Reply]:
        """The HTTP status and the envelope of the answer."""
        response = await self.post(interface, data)
        reply = read_reply(response.content, self.codec)
        assert reply is not None, response.content
        return response.status_code, reply

    async def call(self, interface: str, data: dict[str, Any]) -> Reply:
        return (await self.exchange(interface, data))[1]

    async def ok(self, interface: str, data: dict[str, Any]) -> Any:
        """The decoded `data` of a call that must succeed."""
        reply = await self.call(interface, data)
        assert reply.ok, (reply.code, reply.message)
        return reply.data

    async def invoice(self, serial: str) -> dict[str, Any] | None:
        """ALLE.INVOICE.QUERY by serialNo."""
        found: dict[str, Any] | None = await self.ok(QUERY, {"serialNo": serial, "sellerTaxpayerId": SELLER_TAX_ID})
        return found

    async def form(self, number: str) -> dict[str, Any] | None:
        """ALLE.REDCONFIRMBILL.QUERY by redInfoBillNo: the one item, or None."""
        found = await self.ok(FORMS, {"taxpayerId": SELLER_TAX_ID, "redInfoBillNo": number,
                                                            "identity": "0"})
        return found["dataList"][0] if found["dataList"] else None

    async def until(self, serial: str, status: str, timeout: float = 10) -> dict[str, Any]:
        """The invoice under `serial` once its invoiceStatus is `status`."""
        deadline = time.monotonic() + timeout
        while True:
            invoice = await self.invoice(serial)
            if invoice and invoice["invoiceStatus"] == status:
                return invoice
            assert time.monotonic() < deadline, f"{serial} is {invoice and invoice['invoiceStatus']}, not {status}"
            await asyncio.sleep(0.05)

    async def aclose(self) -> None:
        await self.http.aclose()


class Receiver(CallbackReceiver):
    """Kingdee's callback endpoint; fails its first `fail_first` POSTs with 500."""

    def __init__(self, fail_first: int = 0) -> None:
        self.fail_first = fail_first
        self.refused = 0
        super().__init__(KingdeeCallbacks.reply_body, {"/kingdee/callback": self._refuse})
        self.url = f"{self.base_url}/kingdee/callback"

    def _refuse(self) -> bool:
        if self.refused < self.fail_first:
            self.refused += 1
            return True
        return False

    async def wait_for(self, count: int, parser: KingdeeCallbacks, serial: str, timeout: float = 10) -> list[Any]:
        """The parsed facts about `serial`, once at least `count` callbacks named it."""
        deadline = time.monotonic() + timeout
        while True:
            facts = [fact for body in list(self.bodies) for fact in parser.parse(body, {}) if fact.serial == serial]
            if len(facts) >= count or time.monotonic() > deadline:
                return facts
            await asyncio.sleep(0.05)

    async def raw_for(self, serial: str, count: int = 1, aes_password: str | None = None,
                      timeout: float = 10) -> list[tuple[dict[str, Any], dict[str, Any]]]:
        """(callback, decoded data) of the 2.1.02 callbacks about `serial`, once there are `count`."""
        codec, deadline = DataCodec(aes_password), time.monotonic() + timeout
        while True:
            found = [(callback, data) for callback in map(wire.loads, list(self.bodies))
                     for data in [codec.decode(callback["data"])]
                     if isinstance(data, dict) and data.get("serialNo") == serial]
            if len(found) >= count or time.monotonic() > deadline:
                return found
            await asyncio.sleep(0.05)


_serials = iter(range(10**6))


def new_serial(prefix: str = "KDC") -> str:
    return f"{prefix}{time.time_ns() % 10**9:09d}{next(_serials):04d}"


SELLER_TAX_ID = "91440300MA5G9GK78Y"
# Two lines a red can take back in parts: 4 × 25.00 at 6 %, and 2 × 50.00 at 13 %.
BLUE_LINES = [
    {"name": "信息技术服务", "tax_code": "3040201010000000000", "tax_rate": "0.06", "quantity": "4",
     "unit_price": "25.00", "amount": "100.00", "tax_amount": "6.00", "unit": "项"},
    {"name": "办公用品", "tax_code": "1060511020000000000", "tax_rate": "0.13", "quantity": "2",
     "unit_price": "50.00", "amount": "100.00", "tax_amount": "13.00", "unit": "件"},
]


def blue_request(remark: str = "") -> InvoiceRequest:
    """A 数电专票 from our first seller with BLUE_LINES; `remark` may carry SANDBOX: markers."""
    document = valid_request(new_serial("KDB"), "kingdee", invoice_type="digital_special")
    document.update(lines=BLUE_LINES, total_amount="200.00", total_tax="19.00", total_with_tax="219.00",
                    remark=remark, seller={**document["seller"], "tax_id": SELLER_TAX_ID,
                                           "name": "深圳市示例科技有限公司"})
    request, findings = parse_request(document)
    assert request is not None, findings
    return request


def new_request(invoice_type: str = "digital_normal", **changes: Any) -> InvoiceRequest:
    serial = new_serial()
    request, findings = parse_request(valid_request(serial, "kingdee", invoice_type=invoice_type))
    assert request is not None, findings
    return dataclasses.replace(request, **changes)


async def settled(provider: KingdeeProvider, request: InvoiceRequest, timeout: float = 10) -> Outcome:
    """Query until the serial is no longer 开票中."""
    deadline = time.monotonic() + timeout
    while True:
        outcome = await provider.query(request)
        if outcome.kind is not OutcomeKind.PENDING or time.monotonic() > deadline:
            return outcome
        await asyncio.sleep(0.1)


async def issue_blue(provider: KingdeeProvider, remark: str = "") -> tuple[InvoiceRequest, str]:
    """A blue issued through the real client: the request and its invoice number."""
    request = blue_request(remark)
    assert (await provider.submit(request)).kind is OutcomeKind.ACCEPTED
    outcome = await settled(provider, request)
    assert outcome.kind is OutcomeKind.ISSUED and outcome.invoice is not None and outcome.invoice.number
    return request, outcome.invoice.number


def red_line(seq: int, amount: str, tax: str, quantity: str | None = None, price: str | None = None) -> dict[str, Any]:
    """One red line as docs/red-letter.md sends it: amounts, tax and quantity negative, price positive."""
    line: dict[str, Any] = {"originalSeq": seq, "lineProperty": "0", "amount": -Decimal(amount),
                            "taxAmount": -Decimal(tax)}
    if quantity is not None:
        line["quantity"] = -Decimal(quantity)
    if price is not None:
        line["price"] = Decimal(price)
    return line


WHOLE = [red_line(1, "100.00", "6.00", "4", "25.00"), red_line(2, "100.00", "13.00", "2", "50.00")]
HALF_OF_LINE_1 = [red_line(1, "50.00", "3.00", "2", "25.00")]


def apply_data(order_no: str, blue_number: str, reason: str, lines: list[Any] | None = None) -> dict[str, Any]:
    """2.1.03 REDCONFIRMBILL.APPLY `data` (reason "1".."4")."""
    data: dict[str, Any] = {"orderNo": order_no, "invoiceNo": blue_number, "redReason": reason, "invoiceType": "01",
                            "sellerTaxpayerId": SELLER_TAX_ID}
    if lines is not None:
        data["invoiceDetail"] = lines
    return data


def red_data(serial: str, blue: InvoiceRequest, blue_number: str, reason: str, lines: list[Any] | None = None,
             form: dict[str, Any] | None = None) -> dict[str, Any]:
    """2.1.04 ALLE.INVOICE.RED `data` (reason "01".."04"); with `form`, its redInfoBillNo and uuid."""
    assert blue.seller is not None and blue.buyer is not None
    data: dict[str, Any] = {
        "serialNo": serial, "invoiceNum": blue_number, "originalIssueTime": "2026-01-01 00:00:00",
        "redReason": reason, "invoiceType": "01", "sellerTaxpayerId": blue.seller.tax_id,
        "sellerName": blue.seller.name, "buyerName": blue.buyer.name, "buyerTaxpayerId": blue.buyer.tax_id,
        "invoiceDetail": WHOLE if lines is None else lines}
    if form is not None:
        data.update(redInfoBillNo=form["redInfoBillNo"], govRedConfirmBillUuid=form["govRedConfirmBillUuid"])
    return data
