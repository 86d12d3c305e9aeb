"""Field lengths in GBK bytes (1 汉字 = 2 bytes), the unit the tax platforms count in (providers.md 3.5).

A character GBK cannot encode cannot be printed on a fapiao at all, so it is an error of its own.
The remark limit of 230 bytes is the legacy one; the 数电 limit is unknown and some vendors allow more,
so on 数电 types a remark over 230 bytes is a warning, not a rejection — up to a ceiling of
2,000 bytes, past which no platform takes it and it is an error on every type.
"""

from __future__ import annotations

from typing import Callable, Iterator

from fapiao.schemas.records import Finding, InvoiceRequest, Party
from fapiao.streams.validation.providers import DIGITAL_TYPES, profile_for
from fapiao.streams.validation.registry import error, rule, warning

__all__ = ["gbk_length"]

_NAME = 100
_ADDRESS_PHONE = 120
_BANK_ACCOUNT = 150
_UNIT = 22
_SPECIFICATION = 40
_REMARK = 230
_REMARK_CEILING = 2000  # our bound for 数电, whose own limit is undocumented (providers.md 3.5 [?])


def gbk_length(text: str) -> int | None:
    """Length in GBK bytes, or None when a character has no GBK encoding."""
    if text.isascii():  # the common case, and it needs no encoding
        return len(text)
    try:
        return len(text.encode("gbk"))
    except UnicodeEncodeError:
        return None


def _joined(*parts: str | None) -> str | None:
    """Fields the platform prints together (address + phone), or None when all are absent."""
    present = [part for part in parts if part]
    return "".join(present) if present else None


def _party(prefix: str, party: Party) -> Iterator[tuple[str, str | None, int]]:
    yield f"{prefix}.name", party.name, _NAME
    yield f"{prefix}.address", _joined(party.address, party.phone), _ADDRESS_PHONE
    yield f"{prefix}.bank", _joined(party.bank, party.bank_account), _BANK_ACCOUNT


def _limited(request: InvoiceRequest) -> Iterator[tuple[str, str | None, int]]:
    """(path, text, limit in GBK bytes) for every length-limited text; joined fields report at their first."""
    yield from _party("seller", request.seller)
    yield from _party("buyer", request.buyer)
    goods_name = profile_for(request.provider).goods_name_bytes
    for i, line in enumerate(request.lines):
        yield f"lines[{i}].name", line.name, goods_name
        yield f"lines[{i}].unit", line.unit, _UNIT
        yield f"lines[{i}].specification", line.specification, _SPECIFICATION


def _length(path: str, text: str, limit: int, over: Callable[..., Finding] = error) -> Iterator[Finding]:
    """Check one text; `over` makes the finding for a text over its limit (an error unless told)."""
    length = gbk_length(text)
    if length is None:
        yield error("not_gbk", path, f"{path} 含有 GBK 无法表示的字符", f"{path} has characters GBK cannot encode")
    elif length > limit:
        yield over("field_too_long", path, f"{path} 长度 {length} 字节,超过 {limit} 字节 (GBK)",
                   f"{path} is {length} GBK bytes, over the limit of {limit}")


@rule()
def gbk_lengths(request: InvoiceRequest) -> Iterator[Finding]:
    for path, text, limit in _limited(request):
        if text is not None:
            yield from _length(path, text, limit)
    if request.remark is not None:
        if request.invoice_type in DIGITAL_TYPES and (gbk_length(request.remark) or 0) <= _REMARK_CEILING:
            yield from _length("remark", request.remark, _REMARK, warning)
        else:
            yield from _length("remark", request.remark, _REMARK if request.invoice_type not in DIGITAL_TYPES
                               else _REMARK_CEILING)
