"""Invoice lines: how many, tax code, tax rate and 优惠政策, and how a discount line sits after its line.

Zero-rate policy codes (providers.md 1.10 and 3.1): a line taxed at 0 must say why, with `policy`
"03" 免税 or "04" 不征税 (数电 privilegeType, mapped to yipiaoyun taxFlag 1 and 2), or "zero_rate" for
普通零税率 (yipiaoyun taxFlag 3), which has no privilegeType code of its own.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Iterator, Mapping

from fapiao.schemas.records import Finding, InvoiceRequest
from fapiao.streams.validation.providers import profile_for
from fapiao.streams.validation.registry import error, rule

__all__ = ["MAX_LINES", "POLICIES", "ZERO_RATE_POLICIES"]

MAX_LINES = 2000  # Nuonuo's documented cap, discount lines included; the 数电 limit is unknown
_TAX_CODE_LENGTH = 19

ZERO_RATE_POLICIES: Mapping[str, str] = {"03": "免税", "04": "不征税", "zero_rate": "普通零税率"}
# privilegeType 01..18 (providers.md 1.10), plus our code for 普通零税率.
POLICIES = frozenset({f"{n:02d}" for n in range(1, 19)} | ZERO_RATE_POLICIES.keys())
_ZERO = Decimal(0)


@rule()
def line_count(request: InvoiceRequest) -> Iterator[Finding]:
    count = len(request.lines)
    if count == 0:
        yield error("lines_required", "lines", "发票至少需要一行明细", "an invoice needs at least one line")
    elif count > MAX_LINES:
        yield error("too_many_lines", "lines", f"明细行数 {count} 超过 {MAX_LINES} 行,请拆分开票",
                    f"{count} lines is more than {MAX_LINES}; split the invoice")


@rule()
def tax_code_format(request: InvoiceRequest) -> Iterator[Finding]:
    for i, line in enumerate(request.lines):
        code = line.tax_code
        if len(code) != _TAX_CODE_LENGTH or not (code.isascii() and code.isdigit()):
            yield error("tax_code_format", f"lines[{i}].tax_code", "税收分类编码必须是 19 位数字",
                        "the tax classification code must be exactly 19 digits")


@rule()
def tax_rate_policy(request: InvoiceRequest) -> Iterator[Finding]:
    rates = profile_for(request.provider).tax_rates
    for i, line in enumerate(request.lines):
        if line.tax_rate not in rates:
            yield error("tax_rate_unsupported", f"lines[{i}].tax_rate", f"不支持的税率 {line.tax_rate}",
                        f"tax rate {line.tax_rate} is not allowed; allowed: {', '.join(map(str, sorted(rates)))}")
        if line.policy is not None and line.policy not in POLICIES:
            yield error("policy_unknown", f"lines[{i}].policy", f"未知的优惠政策代码 {line.policy!r}",
                        f"unknown tax policy code {line.policy!r}")
        elif line.tax_rate == _ZERO and line.policy not in ZERO_RATE_POLICIES:
            yield error("zero_rate_policy_required", f"lines[{i}].policy",
                        "零税率行须注明 03 免税、04 不征税或 zero_rate 普通零税率",
                        "a zero-rate line needs policy 03 (exempt), 04 (not taxable) or zero_rate")
        elif line.tax_rate != _ZERO and line.policy in ZERO_RATE_POLICIES:
            yield error("policy_rate_mismatch", f"lines[{i}].policy",
                        f"优惠政策 {ZERO_RATE_POLICIES[line.policy]} 只适用于零税率",
                        f"policy {line.policy} applies only to a zero rate")


@rule()
def discount_placement(request: InvoiceRequest) -> Iterator[Finding]:
    lines = request.lines
    for i, line in enumerate(lines):
        following = lines[i + 1] if i + 1 < len(lines) else None
        if line.kind == "discounted" and (following is None or following.kind != "discount"):
            yield error("discount_line_missing", f"lines[{i}].kind", "被折扣行后面必须紧跟其折扣行",
                        "a discounted line must be directly followed by its discount line")
        if line.kind != "discount":
            continue
        before = lines[i - 1] if i > 0 else None
        if before is None or before.kind != "discounted":
            yield error("discount_without_line", f"lines[{i}].kind", "折扣行必须紧跟在被折扣行之后",
                        "a discount line must directly follow the line it discounts (kind discounted)")
            continue
        if line.tax_code != before.tax_code:
            yield error("discount_tax_code_mismatch", f"lines[{i}].tax_code", "折扣行的税收分类编码必须与被折扣行相同",
                        "a discount line must have the tax code of the line it discounts")
        if line.tax_rate != before.tax_rate:
            yield error("discount_tax_rate_mismatch", f"lines[{i}].tax_rate", "折扣行的税率必须与被折扣行相同",
                        "a discount line must have the tax rate of the line it discounts")
        if abs(line.amount) > abs(before.amount):
            yield error("discount_exceeds_line", f"lines[{i}].amount", "折扣金额不能超过被折扣行金额",
                        "a discount may not exceed the amount of the line it discounts")
