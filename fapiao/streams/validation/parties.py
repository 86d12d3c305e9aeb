"""Names and contacts: names present and free of markup, phone characters, and the 税控 专票 buyer details."""

from __future__ import annotations

from typing import Iterator

from fapiao.schemas.records import Finding, InvoiceRequest
from fapiao.streams.validation.registry import error, rule

_MARKUP = frozenset("<>")  # the platforms render names into XML
_PHONE_CHARS = frozenset("0123456789()（）-+ ")
# A 税控 (tax device) 专票 prints the buyer's address, phone, bank and account; 数电 专票 does not need them.
_LEGACY_SPECIAL_BUYER = ("address", "phone", "bank", "bank_account")


def _names(request: InvoiceRequest) -> Iterator[tuple[str, str]]:
    yield "seller.name", request.seller.name
    yield "buyer.name", request.buyer.name
    for i, line in enumerate(request.lines):
        yield f"lines[{i}].name", line.name


@rule()
def names(request: InvoiceRequest) -> Iterator[Finding]:
    for path, name in _names(request):
        if not name.strip():
            yield error("name_required", path, f"{path} 不能为空", f"{path} must not be blank")
        elif not _MARKUP.isdisjoint(name):
            yield error("name_forbidden_characters", path, f"{path} 不能包含 < 或 >", f"{path} must not contain < or >")


@rule()
def phone_format(request: InvoiceRequest) -> Iterator[Finding]:
    for path, phone in (("seller.phone", request.seller.phone), ("buyer.phone", request.buyer.phone),
                        ("buyer.mobile", request.buyer.mobile)):
        if phone is not None and not _PHONE_CHARS.issuperset(phone):
            yield error("phone_format", path, f"{path} 只能包含数字、括号、连字符、加号和空格",
                        f"{path} may only contain digits, brackets, hyphen, plus and space")


@rule()
def legacy_special_buyer(request: InvoiceRequest) -> Iterator[Finding]:
    if request.invoice_type != "special":
        return
    for name in _LEGACY_SPECIAL_BUYER:
        if not getattr(request.buyer, name):
            yield error("buyer_details_required", f"buyer.{name}", f"增值税专用发票必须填写购方 {name}",
                        f"a tax-device special VAT invoice needs buyer.{name}")
