"""Money arithmetic: precision, signs, the line tolerances, the 1.27 cumulative tax rule and the header totals.

All tolerances are from providers.md 3.2: price × quantity within 0.01 of the amount, amount × rate
within 0.06 of the tax, and the signed sum of the per-line tax deviations within 1.27 (the 税控 rule
for 价税分离; whether 数电 still applies it is unknown, so it is enforced).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Iterator

from fapiao.schemas.records import Finding, InvoiceRequest, RequestKind
from fapiao.streams.validation.registry import error, rule

__all__ = ["PRICE_TOLERANCE", "TAX_TOLERANCE", "TAX_DEVIATION_LIMIT"]

PRICE_TOLERANCE = Decimal("0.01")
TAX_TOLERANCE = Decimal("0.06")
TAX_DEVIATION_LIMIT = Decimal("1.27")
_MONEY_PLACES = 2
_PRICE_PLACES = 8  # unit price and quantity
_INTEGER_LIMIT = Decimal(10) ** 12  # integer part at most 12 digits
_ZERO = Decimal(0)


def _numbers(request: InvoiceRequest) -> Iterator[tuple[str, Decimal, int]]:
    """Every number of the request with its path and the decimal places it may have."""
    for i, line in enumerate(request.lines):
        yield f"lines[{i}].amount", line.amount, _MONEY_PLACES
        yield f"lines[{i}].tax_amount", line.tax_amount, _MONEY_PLACES
        if line.quantity is not None:
            yield f"lines[{i}].quantity", line.quantity, _PRICE_PLACES
        if line.unit_price is not None:
            yield f"lines[{i}].unit_price", line.unit_price, _PRICE_PLACES
    for path, total in (("total_amount", request.total_amount), ("total_tax", request.total_tax),
                        ("total_with_tax", request.total_with_tax)):
        if total is not None:  # a red without lines may leave its totals to what remains of its blue
            yield path, total, _MONEY_PLACES


def _places(number: Decimal) -> int:
    """Decimal places of the value: trailing zeros an ERP writes ("1.100") do no harm."""
    exponent = number.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


@rule(kinds=(RequestKind.BLUE, RequestKind.RED))
def number_precision(request: InvoiceRequest) -> Iterator[Finding]:
    for path, number, places in _numbers(request):
        if abs(number) >= _INTEGER_LIMIT:
            yield error("amount_too_large", path, f"{path} 整数部分超过 12 位", f"{path} has more than 12 integer digits")
        elif _places(number) > places:
            yield error("amount_precision", path, f"{path} 最多 {places} 位小数",
                        f"{path} may have at most {places} decimal places")


@rule()
def line_signs(request: InvoiceRequest) -> Iterator[Finding]:
    """Blue invoice: every amount, quantity and price positive, except a discount line's negative amount."""
    for i, line in enumerate(request.lines):
        if line.kind == "discount":
            if line.amount >= _ZERO:
                yield error("discount_not_negative", f"lines[{i}].amount", "折扣行金额必须为负数",
                            "a discount line's amount must be negative")
            continue
        for name, value in (("amount", line.amount), ("quantity", line.quantity), ("unit_price", line.unit_price)):
            if value is not None and value <= _ZERO:
                yield error("amount_not_positive", f"lines[{i}].{name}", f"蓝字发票的 {name} 必须大于零",
                            f"a blue invoice line's {name} must be positive")


@rule()
def line_arithmetic(request: InvoiceRequest) -> Iterator[Finding]:
    for i, line in enumerate(request.lines):
        if line.quantity is not None and line.unit_price is not None:
            product = line.quantity * line.unit_price
            if abs(product - line.amount) > PRICE_TOLERANCE:
                yield error("line_amount_mismatch", f"lines[{i}].amount",
                            f"数量×单价 ({product}) 与金额 ({line.amount}) 相差超过 {PRICE_TOLERANCE}",
                            f"quantity × unit price ({product}) differs from the amount ({line.amount}) "
                            f"by more than {PRICE_TOLERANCE}")
        expected = line.amount * line.tax_rate
        if abs(expected - line.tax_amount) > TAX_TOLERANCE:
            yield error("line_tax_mismatch", f"lines[{i}].tax_amount",
                        f"金额×税率 ({expected}) 与税额 ({line.tax_amount}) 相差超过 {TAX_TOLERANCE}",
                        f"amount × rate ({expected}) differs from the tax ({line.tax_amount}) "
                        f"by more than {TAX_TOLERANCE}")


@rule()
def tax_deviation_total(request: InvoiceRequest) -> Iterator[Finding]:
    deviation = sum((line.amount * line.tax_rate - line.tax_amount for line in request.lines), _ZERO)
    if abs(deviation) > TAX_DEVIATION_LIMIT:
        yield error("tax_deviation_total", "total_tax",
                    f"各行税额误差累计 {deviation} 超过 {TAX_DEVIATION_LIMIT} 元,请拆分开票",
                    f"the line tax deviations add up to {deviation}, over {TAX_DEVIATION_LIMIT}; split the invoice")


@rule(kinds=(RequestKind.BLUE, RequestKind.RED))
def totals(request: InvoiceRequest) -> Iterator[Finding]:
    """The header totals are the lines' sums (a red's too: negative), and 价税合计 is amount plus tax."""
    if request.total_amount is None or request.total_tax is None:
        return  # a red without lines: its totals, when it states them, are checked against its blue
    amount = sum((line.amount for line in request.lines), _ZERO)
    tax = sum((line.tax_amount for line in request.lines), _ZERO)
    checks = [("total_with_tax_mismatch", "total_with_tax", "价税合计不等于合计金额加合计税额",
               request.total_with_tax, request.total_amount + request.total_tax)]
    if request.lines:
        checks[:0] = [("total_amount_mismatch", "total_amount", "合计金额不等于各行金额之和", request.total_amount, amount),
                      ("total_tax_mismatch", "total_tax", "合计税额不等于各行税额之和", request.total_tax, tax)]
    for code, path, zh, stated, expected in checks:
        if stated != expected:
            yield error(code, path, f"{zh}: 应为 {expected}, 实为 {stated}", f"{path} should be {expected}, got {stated}")
