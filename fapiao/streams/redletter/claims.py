"""A red's claim on its blue, decided by the blue's row: granted with exactly what it takes, or refused.

This is the one place that decides how much of a blue a red may take back, and it is asked only by the
blue's own row, one red at a time (docs/red-letter.md, "Never more red than blue"). Pure: a row and a
request in, a decision out.

    claim(blue_row, red_request) -> Grant(order, entry) | Refusal(findings)
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Iterator

from fapiao.schemas.records import (Finding, InvoiceInfo, InvoiceRequest, InvoiceState, Line, Party, RedEntry,
                                    RedLine, RedOrder, RequestKind, Status)
from fapiao.streams.redletter.remaining import minus, nothing_left, redeemable, remaining, total
from fapiao.streams.validation.amounts import PRICE_TOLERANCE, TAX_TOLERANCE
from fapiao.streams.validation.red import ALLOWANCE_REASON, ERROR_REASON, RETURN_REASON, red_not_supported
from fapiao.streams.validation.registry import error

__all__ = ["Grant", "Refusal", "claim"]

_ZERO = Decimal(0)
_PRICE = Decimal("0.00000001")  # a unit price's places on the wire


@dataclass(frozen=True)
class Grant:
    """The red may go ahead: `order` is what it takes back, `entry` what the blue's row books."""

    order: RedOrder
    entry: RedEntry


@dataclass(frozen=True)
class Refusal:
    findings: tuple[Finding, ...]


def claim(blue: InvoiceState | None, red: InvoiceRequest) -> Grant | Refusal:
    """Whether `red` may take back what it asks of `blue` now, given every red already counted against it."""
    findings = list(_standing(blue, red))
    if findings or blue is None or blue.request is None:
        return Refusal(tuple(findings))
    left = {line.original_line: line for line in remaining(blue.request, blue.reds)}
    wanted = list(_wanted(blue, red, left, findings))
    if findings:
        return Refusal(tuple(findings))
    return Grant(_order(blue, red, wanted, left), RedEntry(red.serial, "reserved", tuple(wanted)))


def _standing(blue: InvoiceState | None, red: InvoiceRequest) -> Iterator[Finding]:
    """Is there an issued blue to take back, through a provider that can, stated as the red states it?"""
    if blue is None or blue.request is None or blue.request.kind is not RequestKind.BLUE or \
            blue.status not in (Status.ISSUED, Status.RED_FLUSHED):
        state = "不存在" if blue is None else blue.status.value
        yield error("red_original_not_issued", "original_serial",
                    f"原蓝票 {red.original_serial} 未开具成功 ({state}),不能红冲",
                    f"the blue {red.original_serial} is not an issued blue invoice "
                    f"({'unknown' if blue is None else blue.status.value}); nothing to take back")
        return
    original = blue.request
    unsupported = red_not_supported(original.provider, original.invoice_type, "original_serial")
    if unsupported is not None:
        yield unsupported
        return
    yield from _mismatches(original, red)
    if red.red_reason == ERROR_REASON and any(entry.state in ("reserved", "issued") for entry in blue.reds):
        yield error("red_partial_not_allowed", "red_reason",
                    "原蓝票已部分红冲,只能选择销货退回、服务中止或销售折让",
                    "the blue is already partly taken back: only 02, 03 or 04 may take back the rest")


def _mismatches(blue: InvoiceRequest, red: InvoiceRequest) -> Iterator[Finding]:
    """What the red states differently from its blue (it may leave all of it out)."""
    stated = [("provider", red.provider, blue.provider), ("invoice_type", red.invoice_type, blue.invoice_type)]
    stated += _party("seller", red.seller, blue.seller) + _party("buyer", red.buyer, blue.buyer)
    lines = redeemable(blue)
    for i, line in enumerate(red.lines):
        described = lines.get(line.original_line or 0)
        if described is not None:
            stated += [(f"lines[{i}].tax_code", line.tax_code, described[0].tax_code),
                       (f"lines[{i}].tax_rate", line.tax_rate, described[0].tax_rate)]
    for path, theirs, ours in stated:
        if theirs is not None and theirs != ours:
            yield error("red_original_mismatch", path, f"红字发票的 {path} 与原蓝票不一致 ({theirs} ≠ {ours})",
                        f"the red's {path} differs from its blue's ({theirs} != {ours}); leave it out or state the blue's")


def _party(role: str, stated: Party | None, blue: Party | None) -> list[tuple[str, object, object]]:
    if stated is None or blue is None:
        return []
    return [(f"{role}.tax_id", stated.tax_id, blue.tax_id), (f"{role}.name", stated.name, blue.name)]


def _wanted(blue: InvoiceState, red: InvoiceRequest, left: dict[int, RedLine],
            findings: list[Finding]) -> Iterator[RedLine]:
    """What each line of the red takes (positive magnitudes); findings appended for what it may not."""
    assert blue.request is not None
    if not red.lines:
        yield from _whole(red, left, findings)
        return
    described = redeemable(blue.request)
    for i, line in enumerate(red.lines):
        number = line.original_line or 0
        if number not in left:
            findings.append(error("red_line_unknown", f"lines[{i}].original_line",
                                  f"原蓝票没有可红冲的第 {number} 行 (折扣行随被折扣行一起红冲)",
                                  f"the blue has no line {number} to take back (a discount line goes with the line "
                                  "it discounts)"))
            continue
        want = RedLine(number, -line.amount, -line.tax_amount, None if line.quantity is None else -line.quantity)
        findings.extend(_line_findings(i, want, left[number], described[number], red.red_reason))
        yield want


def _whole(red: InvoiceRequest, left: dict[int, RedLine], findings: list[Finding]) -> Iterator[RedLine]:
    """A red without lines takes back all that remains, each line that has something left."""
    lines = [line for line in left.values() if line.amount > _ZERO or line.tax_amount > _ZERO]
    if nothing_left(left.values()):
        findings.append(error("red_exceeds_remaining", "original_serial", "原蓝票已全部红冲,没有可红冲的金额",
                              "nothing remains of the blue: it is fully taken back"))
        return
    amount, tax = total(lines)
    for path, stated, expected in (("total_amount", red.total_amount, -amount), ("total_tax", red.total_tax, -tax),
                                   ("total_with_tax", red.total_with_tax, -(amount + tax))):
        if stated is not None and stated != expected:
            findings.append(error("red_exceeds_remaining" if stated < expected else f"{path}_mismatch", path,
                                  f"全额红冲的 {path} 应为剩余可红冲的 {expected}, 实为 {stated}",
                                  f"a red without lines takes back what remains: {path} should be {expected}, "
                                  f"got {stated}"))
    for line in lines:
        yield RedLine(line.original_line, line.amount, line.tax_amount,
                      None if red.red_reason == ALLOWANCE_REASON else line.quantity)


def _line_findings(i: int, want: RedLine, left: RedLine, described: tuple[Line, RedLine],
                   reason: str | None) -> Iterator[Finding]:
    path = f"lines[{i}]"
    for name, asked, free in (("amount", want.amount, left.amount), ("tax_amount", want.tax_amount, left.tax_amount),
                              ("quantity", want.quantity, left.quantity)):
        if asked is not None and free is not None and asked > free:
            yield error("red_exceeds_remaining", f"{path}.{name}",
                        f"原蓝票第 {want.original_line} 行剩余可红冲 {name} 为 {free}, 本次红冲 {asked}",
                        f"line {want.original_line} of the blue has {free} of {name} left to take back; "
                        f"this red asks for {asked}")
    line, whole = described
    if want.quantity is not None and whole.quantity is None:
        yield error("red_original_mismatch", f"{path}.quantity", "原蓝票该行没有数量,红冲不能填数量",
                    "the blue line has no quantity: leave the red's out")
    rate = line.tax_rate or _ZERO
    if abs(want.amount * rate - want.tax_amount) > TAX_TOLERANCE:
        yield error("red_tax_mismatch", f"{path}.tax_amount",
                    f"金额×税率 ({want.amount * rate}) 与税额 ({want.tax_amount}) 相差超过 {TAX_TOLERANCE}",
                    f"amount × the blue line's rate ({want.amount * rate}) differs from the tax ({want.tax_amount}) "
                    f"by more than {TAX_TOLERANCE}")
    if reason == RETURN_REASON and want.quantity is not None and whole.quantity:
        price = whole.amount / whole.quantity
        if abs(want.quantity * price - want.amount) > PRICE_TOLERANCE:
            yield error("red_price_mismatch", f"{path}.amount",
                        f"销货退回只退数量: 数量×原单价 ({want.quantity * price:.2f}) 与金额 ({want.amount}) 不符",
                        f"a return (02) takes back goods at the blue's price: quantity × price "
                        f"({want.quantity * price:.2f}) differs from the amount ({want.amount})")


def _order(blue: InvoiceState, red: InvoiceRequest, wanted: list[RedLine], left: dict[int, RedLine]) -> RedOrder:
    """The red as the provider must see it, with what remains of the blue once it is issued."""
    original = blue.request
    assert original is not None
    described = redeemable(original)
    allowance = red.red_reason == ALLOWANCE_REASON
    lines = tuple(_red_line(described[take.original_line], take, allowance) for take in wanted)
    amount, tax = total(wanted)
    request = InvoiceRequest(
        serial=red.serial, provider=original.provider, invoice_type=original.invoice_type,
        seller=original.seller, buyer=original.buyer, lines=lines,
        total_amount=-amount, total_tax=-tax, total_with_tax=-(amount + tax),
        remark=red.remark, drawer=red.drawer or original.drawer, payee=red.payee or original.payee,
        reviewer=red.reviewer or original.reviewer, order_no=red.order_no, erp_order_no=red.erp_order_no,
        source=red.source, requested_at=red.requested_at, options=original.options, kind=RequestKind.RED,
        original_serial=blue.serial, red_reason=red.red_reason)
    after = {take.original_line: take for take in wanted}
    return RedOrder(
        request=request, original_serial=blue.serial, original_invoice=blue.invoice or InvoiceInfo(),
        reason=red.red_reason or "", lines=tuple(wanted), whole=not red.lines,
        remaining=tuple(minus(line, after.get(number)) for number, line in left.items()))


def _red_line(described: tuple[Line, RedLine], take: RedLine, allowance: bool) -> Line:
    """The blue's line, negated to what the red takes (an allowance carries no quantity or price).

    A discounted line and its discount are taken back as one line, so its price is what was paid for each
    unit after the discount: the line's own price would not match its merged amount.
    """
    line, whole = described
    merged = whole.amount != line.amount
    price = None if allowance or not whole.quantity else \
        (whole.amount / whole.quantity).quantize(_PRICE) if merged else line.unit_price
    return Line(name=line.name, tax_code=line.tax_code, tax_rate=line.tax_rate, amount=-take.amount,
                tax_amount=-take.tax_amount, quantity=None if allowance or take.quantity is None else -take.quantity,
                unit_price=price, unit=line.unit, specification=line.specification, kind="normal",
                policy=line.policy, goods_id=line.goods_id, original_line=take.original_line)
