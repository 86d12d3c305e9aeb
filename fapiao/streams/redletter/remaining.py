"""What remains of a blue invoice to take back: pure arithmetic over its lines and the reds against it.

A blue's lines are taken back line by line, except that a discounted line (被折扣行) and the discount
line that follows it are one line for a red: the provider requires them merged (需合并被折扣行与折扣行),
so they are taken back together, under the discounted line's number. Amounts, taxes and quantities are
positive magnitudes here; signs are the wire's business.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Iterable

from fapiao.schemas.records import InvoiceRequest, Line, RedEntry, RedLine

__all__ = ["redeemable", "taken", "remaining", "minus", "nothing_left", "total", "COUNTED"]

_ZERO = Decimal(0)
COUNTED = frozenset({"reserved", "issued"})  # the reds whose share is set aside or gone


def redeemable(blue: InvoiceRequest) -> dict[int, tuple[Line, RedLine]]:
    """Each line a red may name (1-based), with the blue line it describes and its whole amounts."""
    lines: dict[int, tuple[Line, RedLine]] = {}
    for index, line in enumerate(blue.lines, start=1):
        if line.kind == "discount" and index - 1 in lines:
            number = index - 1  # folded into the discounted line it follows
            described, whole = lines[number]
            lines[number] = (described, RedLine(number, whole.amount + line.amount, whole.tax_amount + line.tax_amount,
                                                whole.quantity))
        else:
            lines[index] = (line, RedLine(index, line.amount, line.tax_amount, line.quantity))
    return lines


def taken(reds: Iterable[RedEntry]) -> dict[int, RedLine]:
    """What the counted reds take, summed per blue line."""
    sums: dict[int, RedLine] = {}
    for entry in reds:
        if entry.state in COUNTED:
            for line in entry.lines:
                sums[line.original_line] = _add(sums.get(line.original_line), line)
    return sums


def _add(into: RedLine | None, line: RedLine) -> RedLine:
    if into is None:
        return line
    quantity = None if into.quantity is None and line.quantity is None else \
        (into.quantity or _ZERO) + (line.quantity or _ZERO)
    return RedLine(into.original_line, into.amount + line.amount, into.tax_amount + line.tax_amount, quantity)


def minus(whole: RedLine, part: RedLine | None) -> RedLine:
    """`whole` less `part`, line for line (a quantity only where the whole has one)."""
    if part is None:
        return whole
    quantity = None if whole.quantity is None else whole.quantity - (part.quantity or _ZERO)
    return RedLine(whole.original_line, whole.amount - part.amount, whole.tax_amount - part.tax_amount, quantity)


def remaining(blue: InvoiceRequest, reds: Iterable[RedEntry]) -> tuple[RedLine, ...]:
    """Per redeemable line of the blue, what is left once every counted red is taken off."""
    gone = taken(reds)
    return tuple(minus(whole, gone.get(number)) for number, (_, whole) in redeemable(blue).items())


def nothing_left(lines: Iterable[RedLine]) -> bool:
    """True when no amount and no tax remains on any line."""
    return all(line.amount <= _ZERO and line.tax_amount <= _ZERO for line in lines)


def total(lines: Iterable[RedLine]) -> tuple[Decimal, Decimal]:
    """(amount, tax) summed over lines."""
    amount, tax = _ZERO, _ZERO
    for line in lines:
        amount += line.amount
        tax += line.tax_amount
    return amount, tax
