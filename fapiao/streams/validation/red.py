"""The rules of a red (and of a red_cancel) that need no state: what the request says about itself.

What needs the blue (does it exist and is it issued, is enough of it left, do the parties match) is
decided by the blue's own row, in `fapiao.streams.redletter.claims`. See docs/red-letter.md.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Iterator

from fapiao.schemas.records import PROVIDERS, RED_REASONS, Finding, InvoiceRequest, RequestKind
from fapiao.streams.validation.providers import DIGITAL_TYPES
from fapiao.streams.validation.registry import error, rule

__all__ = ["RED_PROVIDERS", "ERROR_REASON", "ALLOWANCE_REASON", "RETURN_REASON", "red_not_supported"]

RED_PROVIDERS = frozenset({"kingdee"})  # 票申/易票云 documents no red-letter API (shared/red-letter.md §3)
ERROR_REASON = "01"  # 开票有误: taken back whole
RETURN_REASON = "02"  # 销货退回: the quantity changes, not the price
ALLOWANCE_REASON = "04"  # 销售折让: the price changes, not the goods
_ZERO = Decimal(0)
_BOTH = (RequestKind.RED, RequestKind.RED_CANCEL)


def red_not_supported(provider: str | None, invoice_type: str | None, field: str) -> Finding | None:
    """Why a red through this provider and type cannot be, or None when it can."""
    if provider is not None and provider not in RED_PROVIDERS:
        return error("red_not_supported", field, f"{provider} 未提供红字发票接口,请在服务商后台红冲",
                     f"{provider} documents no red-letter API; take the invoice back in its console")
    if invoice_type is not None and invoice_type not in DIGITAL_TYPES:
        return error("red_not_supported", field, f"{invoice_type} 类型的红冲没有文档化的接口,只支持数电票",
                     f"red-letter invoices of type {invoice_type} have no documented API; only 数电 types do")
    return None


@rule(kinds=_BOTH)
def original_is_another(request: InvoiceRequest) -> Iterator[Finding]:
    if request.original_serial == request.serial:
        yield error("red_original_is_self", "original_serial", "original_serial 不能是本请求自己的流水号",
                    "original_serial must name another serial than the request's own")


@rule(kinds=(RequestKind.RED,))
def reason(request: InvoiceRequest) -> Iterator[Finding]:
    if request.red_reason not in RED_REASONS:
        codes = ", ".join(f"{code} {zh}" for code, (zh, _) in RED_REASONS.items())
        yield error("invalid_red_reason", "red_reason", f"红冲原因只能是 {codes}",
                    f"red_reason must be one of {', '.join(RED_REASONS)}")


@rule(kinds=(RequestKind.RED,))
def provider_allows_red(request: InvoiceRequest) -> Iterator[Finding]:
    if request.provider is not None and request.provider not in PROVIDERS:
        yield error("provider_unsupported", "provider", f"不支持的开票服务商 {request.provider!r}",
                    f"unsupported provider {request.provider!r}; expected one of {', '.join(PROVIDERS)}")
        return
    finding = red_not_supported(request.provider, None, "provider") or red_not_supported(
        None, request.invoice_type, "invoice_type")
    if finding is not None:
        yield finding


@rule(kinds=(RequestKind.RED,))
def line_signs(request: InvoiceRequest) -> Iterator[Finding]:
    """A red line takes back: negative amount and quantity, tax not positive, a unit price as the blue's."""
    for i, line in enumerate(request.lines):
        for name, value, wrong in (("amount", line.amount, line.amount >= _ZERO),
                                   ("tax_amount", line.tax_amount, line.tax_amount > _ZERO),
                                   ("quantity", line.quantity, line.quantity is not None and line.quantity >= _ZERO),
                                   ("unit_price", line.unit_price,
                                    line.unit_price is not None and line.unit_price <= _ZERO)):
            if wrong:
                sign = "正数" if name == "unit_price" else "负数"
                yield error("red_line_sign", f"lines[{i}].{name}", f"红字发票行的 {name} 应为{sign},实为 {value}",
                            f"a red line's {name} must be {'positive' if name == 'unit_price' else 'negative'}, "
                            f"got {value}")
    for name, total in (("total_amount", request.total_amount), ("total_tax", request.total_tax),
                        ("total_with_tax", request.total_with_tax)):
        if total is not None and (total > _ZERO or total == _ZERO and name != "total_tax"):
            yield error("red_line_sign", name, f"红字发票的 {name} 应为负数,实为 {total}",
                        f"a red invoice's {name} must be negative, got {total}")


@rule(kinds=(RequestKind.RED,))
def lines_named_once(request: InvoiceRequest) -> Iterator[Finding]:
    seen: dict[int, int] = {}
    for i, line in enumerate(request.lines):
        if line.original_line in seen:
            yield error("red_line_repeated", f"lines[{i}].original_line",
                        f"原蓝票第 {line.original_line} 行已在 lines[{seen[line.original_line]}] 中冲红",
                        f"line {line.original_line} of the blue is already taken back by lines[{seen[line.original_line]}]")
        elif line.original_line is not None:
            seen[line.original_line] = i


@rule(kinds=(RequestKind.RED,))
def reason_allows_lines(request: InvoiceRequest) -> Iterator[Finding]:
    if request.red_reason == ERROR_REASON and request.lines:
        yield error("red_partial_not_allowed", "lines", "红冲原因为开票有误时不允许部分红冲,请不填 lines 全额红冲",
                    "an invoice issued in error (01) is taken back whole: leave lines out")
    if request.red_reason == ALLOWANCE_REASON:
        for i, line in enumerate(request.lines):
            for name, value in (("quantity", line.quantity), ("unit_price", line.unit_price)):
                if value is not None:
                    yield error("red_allowance_quantity", f"lines[{i}].{name}",
                                f"销售折让不填数量和单价 ({name})",
                                f"a sales allowance (04) changes the price, not the goods: leave {name} out")
