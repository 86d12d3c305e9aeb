"""Helpers of the Kingdee red-letter contract tests: red orders as a blue's row would grant them, polling,
and the sandbox's red-letter hooks (`/_sandbox/clock`, `/_sandbox/forms`)."""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import time
from decimal import ROUND_HALF_UP, Decimal
from typing import Awaitable, Callable, Mapping

import httpx

from fapiao.connectors.provider import Outcome
from fapiao.schemas.records import InvoiceInfo, InvoiceRequest, RedForm, RedLine, RedOrder, RequestKind

from kingdee_support import Sandbox

CENT = Decimal("0.01")
_reds = itertools.count()


async def polled(ask: Callable[[], Awaitable[Outcome]], done: Callable[[Outcome], bool],
                 timeout: float = 10) -> Outcome:
    """Ask until the answer is `done`, or the time is up (then the last answer)."""
    deadline = time.monotonic() + timeout
    while True:
        outcome = await ask()
        if done(outcome) or time.monotonic() > deadline:
            return outcome
        await asyncio.sleep(0.1)


def advance_clock(sandbox: Sandbox, seconds: float) -> None:
    """The sandbox's business clock moves on: forms past their deadline lapse (07)."""
    httpx.post(f"{sandbox.url}/_sandbox/clock", json={"advance_s": seconds}, timeout=5).raise_for_status()


def buyer_raises_form(sandbox: Sandbox, invoice_number: str, reason: str = "02") -> RedForm:
    """The buyer enters a form (03) against one of our blues; the form as 2.1.13 lists it."""
    response = httpx.post(f"{sandbox.url}/_sandbox/forms", json={"invoiceNum": invoice_number, "redReason": reason},
                          timeout=5)
    response.raise_for_status()
    item = response.json()
    return RedForm(number=item["redInfoBillNo"], uuid=item["govRedConfirmBillUuid"],
                   status=item["redConfirmBillStatus"])


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
    """The red a blue's row grants, under a new serial: `take` per blue line, or (None) every line whole."""
    taken = dict(take) if take is not None else {
        index: RedLine(index, line.amount, line.tax_amount, line.quantity) for index, line in enumerate(blue.lines, 1)}
    lines = tuple(dataclasses.replace(blue.lines[index - 1], amount=-share.amount, tax_amount=-share.tax_amount,
                                      quantity=None if share.quantity is None else -share.quantity,
                                      original_line=index) for index, share in taken.items())
    amount = -sum((share.amount for share in taken.values()), Decimal(0))
    tax = -sum((share.tax_amount for share in taken.values()), Decimal(0))
    request = dataclasses.replace(blue, serial=f"RED{next(_reds):03d}{blue.serial}"[:30], lines=lines,
                                  total_amount=amount, total_tax=tax, total_with_tax=amount + tax,
                                  kind=RequestKind.RED, original_serial=blue.serial, red_reason=reason, remark=None)
    return RedOrder(request=request, original_serial=blue.serial, original_invoice=issued, reason=reason,
                    lines=tuple(taken.values()), whole=take is None)
