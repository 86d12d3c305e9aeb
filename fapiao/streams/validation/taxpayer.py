"""Taxpayer IDs (纳税人识别号): who must carry one, its shape, and the GB 32100-2015 check digit."""

from __future__ import annotations

from typing import Iterator

from fapiao.schemas.records import Finding, InvoiceRequest
from fapiao.streams.validation.providers import SPECIAL_TYPES
from fapiao.streams.validation.registry import error, rule

__all__ = ["uscc_check_digit"]

_ID_CHARS = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ")
_ID_LENGTHS = (15, 17, 18, 20)

# GB 32100-2015 统一社会信用代码: 31 characters (no I O Z S V), weights 3^(i-1) mod 31.
_USCC_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_VALUE = {c: i for i, c in enumerate(_USCC_CHARSET)}
_USCC_WEIGHTS = tuple(pow(3, i, 31) for i in range(17))


def uscc_check_digit(code17: str) -> str | None:
    """The 18th character of a 统一社会信用代码 from its first 17, or None if one is outside the charset."""
    try:
        total = sum(_USCC_VALUE[c] * w for c, w in zip(code17, _USCC_WEIGHTS, strict=True))
    except KeyError:
        return None
    return _USCC_CHARSET[(31 - total % 31) % 31]  # 31 -> '0'


def _tax_id_findings(tax_id: str, path: str, check_digit: bool) -> Iterator[Finding]:
    if len(tax_id) not in _ID_LENGTHS or not _ID_CHARS.issuperset(tax_id):
        yield error("tax_id_format", path, "纳税人识别号须为 15、17、18 或 20 位大写字母或数字",
                    "a taxpayer ID is 15, 17, 18 or 20 characters of 0-9 and A-Z")
    elif check_digit and len(tax_id) == 18 and uscc_check_digit(tax_id[:17]) != tax_id[17]:
        yield error("tax_id_checksum", path, "统一社会信用代码校验位错误 (GB 32100-2015)",
                    "the unified social credit code has a wrong check digit (GB 32100-2015)")


@rule()
def seller_tax_id(request: InvoiceRequest) -> Iterator[Finding]:
    if not request.seller.tax_id:
        yield error("seller_tax_id_required", "seller.tax_id", "缺少销方纳税人识别号", "the seller's tax ID is required")
    else:
        yield from _tax_id_findings(request.seller.tax_id, "seller.tax_id", check_digit=True)


@rule()
def buyer_tax_id(request: InvoiceRequest) -> Iterator[Finding]:
    buyer = request.buyer
    individual = buyer.kind == "individual"
    if not buyer.tax_id:
        if request.invoice_type in SPECIAL_TYPES:
            yield error("buyer_tax_id_required", "buyer.tax_id", "专用发票必须填写购方纳税人识别号",
                        "a special VAT invoice needs the buyer's tax ID")
        elif not individual:
            yield error("buyer_tax_id_required", "buyer.tax_id", "购方为企业时必须填写纳税人识别号",
                        "a company buyer needs a tax ID")
        return
    # An individual's 18-character ID may be a resident ID number (身份证), which has its own check digit.
    yield from _tax_id_findings(buyer.tax_id, "buyer.tax_id", check_digit=not individual)
