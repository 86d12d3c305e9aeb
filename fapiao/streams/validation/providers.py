"""What each provider supports: invoice types, tax rates, goods-name length; and the serial/provider/type rules.

Kingdee maps every type to one of its two interfaces (数电 by ALLE.INVOICE.OPEN, the rest by BILL.PUSH);
票申/易票云 takes only its three tax-device types s/c/ce. The mapped value is what the provider calls it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Iterator, Mapping

from fapiao.schemas.records import PROVIDERS, Finding, InvoiceRequest, RequestKind
from fapiao.streams.validation.registry import error, rule

__all__ = ["Profile", "PROFILES", "profile_for", "SPECIAL_TYPES", "ELECTRONIC_TYPES", "DIGITAL_TYPES"]

SPECIAL_TYPES = frozenset({"digital_special", "special", "electronic_special"})  # 专票: buyer tax ID required
ELECTRONIC_TYPES = frozenset({"digital_special", "digital_normal", "electronic_special", "electronic_normal"})
DIGITAL_TYPES = frozenset({"digital_special", "digital_normal"})  # 数电

# providers.md 3.1: the proposed allow-list for blue 数电 invoices.
COMMON_RATES = frozenset(Decimal(r) for r in ("0", "0.01", "0.015", "0.03", "0.05", "0.06", "0.09", "0.13"))


@dataclass(frozen=True)
class Profile:
    """The provider facts the common rules depend on."""

    invoice_types: Mapping[str, str]  # our type -> the provider's name (interface or type code)
    tax_rates: frozenset[Decimal]
    goods_name_bytes: int  # GBK bytes


PROFILES: Mapping[str, Profile] = {
    "kingdee": Profile(
        invoice_types={"digital_special": "ALLE.INVOICE.OPEN", "digital_normal": "ALLE.INVOICE.OPEN",
                       "special": "BILL.PUSH", "normal": "BILL.PUSH", "roll": "BILL.PUSH",
                       "electronic_normal": "BILL.PUSH", "electronic_special": "BILL.PUSH"},
        tax_rates=COMMON_RATES,
        goods_name_bytes=92,  # legacy 税控 limit, 简称 included
    ),
    "yipiaoyun": Profile(
        invoice_types={"special": "s", "normal": "c", "electronic_normal": "ce"},
        # Its own (legacy) list: 0,3,5,6,9,10,13,16 %.
        tax_rates=frozenset(Decimal(r) for r in ("0", "0.03", "0.05", "0.06", "0.09", "0.10", "0.13", "0.16")),
        goods_name_bytes=94,  # 47 汉字 or 94 single-byte characters
    ),
}

# An unknown provider is reported once by `provider_supported`; the other rules still run with these.
_FALLBACK = PROFILES["kingdee"]


def profile_for(provider: str) -> Profile:
    """The provider's profile, or the common one for an unknown provider."""
    return PROFILES.get(provider, _FALLBACK)


_SERIAL = re.compile(r"[A-Za-z0-9_-]+")
SERIAL_MAX = 30  # Kingdee documents serialNo 【长度30】; the SDK's 50 is not the vendor's word


@rule(kinds=tuple(RequestKind))
def serial_format(request: InvoiceRequest) -> Iterator[Finding]:
    serial = request.serial
    if not 1 <= len(serial) <= SERIAL_MAX:
        yield error("serial_length", "serial", f"发票流水号长度须为 1 到 {SERIAL_MAX} 个字符,当前 {len(serial)}",
                    f"serial must be 1 to {SERIAL_MAX} characters long, got {len(serial)}")
    elif not _SERIAL.fullmatch(serial):
        yield error("serial_format", "serial", "发票流水号只能包含字母、数字、下划线和连字符",
                    "serial may only contain letters, digits, underscore and hyphen")


@rule()
def provider_supported(request: InvoiceRequest) -> Iterator[Finding]:
    profile = PROFILES.get(request.provider)
    if profile is None:
        yield error("provider_unsupported", "provider", f"不支持的开票服务商 {request.provider!r}",
                    f"unsupported provider {request.provider!r}; expected one of {', '.join(PROVIDERS)}")
    elif request.invoice_type not in profile.invoice_types:
        yield error("invoice_type_unsupported", "invoice_type",
                    f"{request.provider} 不支持发票类型 {request.invoice_type!r}",
                    f"{request.provider} does not support invoice type {request.invoice_type!r}; "
                    f"supported: {', '.join(profile.invoice_types)}")
