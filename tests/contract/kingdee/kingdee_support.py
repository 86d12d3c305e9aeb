"""Helpers of the Kingdee contract tests: the `fapiao sandbox kingdee` subprocess, its callback receiver,
and red orders as a blue's row would grant them."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Awaitable, Callable, Mapping

import httpx
from sandbox_processes import CallbackReceiver, SandboxProcess

from fapiao.connectors.kingdee import KingdeeCallbacks, KingdeeProvider
from fapiao.connectors.provider import Outcome, OutcomeKind
from fapiao.samples import valid_request
from fapiao.schemas.records import InvoiceInfo, InvoiceRequest, RedForm, RedLine, RedOrder, RequestKind
from fapiao.schemas.requests import parse_request


class Sandbox(SandboxProcess):
    """One `fapiao sandbox kingdee` subprocess."""

    def __init__(self, *args: str) -> None:
        super().__init__("kingdee", *args)

    def expire_tokens(self) -> None:
        httpx.post(f"{self.url}/_sandbox/expire-tokens", timeout=5).raise_for_status()

    def advance_clock(self, seconds: float) -> None:
        """The sandbox's business clock moves on: forms past their deadline lapse (07)."""
        httpx.post(f"{self.url}/_sandbox/clock", json={"advance_s": seconds}, timeout=5).raise_for_status()

    def buyer_raises_form(self, invoice_number: str, reason: str = "02") -> RedForm:
        """The buyer enters a form (03) against one of our blues; the form as 2.1.13 lists it."""
        response = httpx.post(f"{self.url}/_sandbox/forms", json={"invoiceNum": invoice_number, "redReason": reason},
                              timeout=5)
        response.raise_for_status()
        item = response.json()
        return RedForm(number=item["redInfoBillNo"], uuid=item["govRedConfirmBillUuid"],
                       status=item["redConfirmBillStatus"])


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


_serials = iter(range(10**6))


def new_serial(prefix: str = "KDC") -> str:
    return f"{prefix}{time.time_ns() % 10**9:09d}{next(_serials):04d}"


def new_request(invoice_type: str = "digital_normal", **changes: Any) -> InvoiceRequest:
    request, findings = parse_request(valid_request(new_serial(), "kingdee", invoice_type=invoice_type))
    assert request is not None, findings
    return dataclasses.replace(request, **changes)


async def polled(ask: Callable[[], Awaitable[Outcome]], done: Callable[[Outcome], bool],
                 timeout: float = 10) -> Outcome:
    """Ask until the answer is `done`, or the time is up (then the last answer)."""
    deadline = time.monotonic() + timeout
    while True:
        outcome = await ask()
        if done(outcome) or time.monotonic() > deadline:
            return outcome
        await asyncio.sleep(0.1)


async def settled(provider: KingdeeProvider, request: InvoiceRequest, timeout: float = 10) -> Outcome:
    """Query until the serial is no longer 开票中."""
    return await polled(lambda: provider.query(request), lambda outcome: outcome.kind is not OutcomeKind.PENDING,
                        timeout)


CENT = Decimal("0.01")


def units(blue: InvoiceRequest, line: int, count: int) -> RedLine:
    """`count` units of a blue line (1-based) coming back: amount at the blue's price, tax at its rate."""
    described = blue.lines[line - 1]
    assert described.unit_price is not None
    amount = (described.unit_price * count).quantize(CENT, ROUND_HALF_UP)
    return RedLine(line, amount, (amount * described.tax_rate).quantize(CENT, ROUND_HALF_UP), Decimal(count))


def allowance(blue: InvoiceRequest, line: int, amount: str) -> RedLine:
    """An allowance (04) of `amount` on a blue line: no quantity."""
    value = Decimal(amount)
    return RedLine(line, value, (value * blue.lines[line - 1].tax_rate).quantize(CENT, ROUND_HALF_UP))


def red_order(blue: InvoiceRequest, issued: InvoiceInfo, reason: str,
              take: Mapping[int, RedLine] | None = None) -> RedOrder:
    """The red a blue's row grants: `take` per blue line, or (None) every line whole."""
    taken = dict(take) if take is not None else {
        index: RedLine(index, line.amount, line.tax_amount, line.quantity) for index, line in enumerate(blue.lines, 1)}
    lines = tuple(dataclasses.replace(blue.lines[index - 1], amount=-share.amount, tax_amount=-share.tax_amount,
                                      quantity=None if share.quantity is None else -share.quantity,
                                      original_line=index) for index, share in taken.items())
    amount, tax = -sum(share.amount for share in taken.values()), -sum(share.tax_amount for share in taken.values())
    request = dataclasses.replace(blue, serial=new_serial("RED"), lines=lines, total_amount=amount, total_tax=tax,
                                  total_with_tax=amount + tax, kind=RequestKind.RED, original_serial=blue.serial,
                                  red_reason=reason, remark=None)
    return RedOrder(request=request, original_serial=blue.serial, original_invoice=issued, reason=reason,
                    lines=tuple(taken.values()), whole=take is None)
