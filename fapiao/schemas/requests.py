"""InvoiceRequest from and to its plain-dict shape (JSON with decimal strings, or a decoded Avro record).

`parse_request` never raises for bad input: it returns the request it could build, or None, and the
structural findings (missing field, wrong type, a number that is not an exact decimal). The VAT rules
proper live in `fapiao.streams.validation`; this module only decides whether there is a request at all.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone
from decimal import Decimal, InvalidOperation
from typing import Any, Mapping

from fapiao.schemas.convert import tidy, to_datum
from fapiao.schemas.records import Finding, InvoiceRequest, Line, Party, RequestKind, Severity

__all__ = ["parse_request", "request_to_dict", "fingerprint", "MAX_SCALE", "MAX_INTEGER_DIGITS"]

# What the Avro decimals on the wire can carry: 8 places (unit prices), 14 integer digits.
MAX_SCALE = 8
MAX_INTEGER_DIGITS = 14

class _Shape:
    """Collects structural findings while reading a dict."""

    def __init__(self) -> None:
        self.findings: list[Finding] = []

    def fail(self, code: str, path: str, zh: str, en: str) -> None:
        self.findings.append(Finding(code, path, Severity.ERROR, zh, en))

    def text(self, obj: Mapping[str, Any], key: str, path: str, required: bool = False) -> str | None:
        value = obj.get(key)
        if value is None or value == "":
            if required:
                self.fail("missing_field", path, f"缺少必填字段 {path}", f"{path} is required")
            return None
        if isinstance(value, bool) or not isinstance(value, (str, int)):
            self.fail("invalid_type", path, f"{path} 应为字符串", f"{path} must be a string")
            return None
        return str(value)

    def decimal(self, obj: Mapping[str, Any], key: str, path: str, required: bool = False) -> Decimal | None:
        value = obj.get(key)
        if value is None or value == "":
            if required:
                self.fail("missing_field", path, f"缺少必填字段 {path}", f"{path} is required")
            return None
        if isinstance(value, float):
            # A float has already lost the cents: refuse it rather than guess.
            self.fail("invalid_decimal", path, f"{path} 必须是十进制字符串,不能是浮点数",
                      f"{path} must be a decimal string, not a binary float")
            return None
        if isinstance(value, bool) or not isinstance(value, (str, int, Decimal)):
            self.fail("invalid_decimal", path, f"{path} 不是数字", f"{path} is not a decimal number")
            return None
        try:
            number = Decimal(str(value).strip())
        except InvalidOperation:
            self.fail("invalid_decimal", path, f"{path} 不是数字", f"{path} is not a decimal number")
            return None
        if not number.is_finite():
            self.fail("invalid_decimal", path, f"{path} 不是有限数字", f"{path} is not a finite number")
            return None
        places = max(0, -number.as_tuple().exponent)  # type: ignore[operator]
        integer_digits = len(str(abs(int(number)))) if abs(number) >= 1 else 0
        if places > MAX_SCALE or integer_digits > MAX_INTEGER_DIGITS:
            self.fail("amount_out_of_range", path, f"{path} 超出可表示范围 (整数≤{MAX_INTEGER_DIGITS}位, 小数≤{MAX_SCALE}位)",
                      f"{path} is out of range (at most {MAX_INTEGER_DIGITS} integer digits and {MAX_SCALE} places)")
            return None
        return tidy(number)

    def whole(self, obj: Mapping[str, Any], key: str, path: str, required: bool = False) -> int | None:
        """A whole number of at least 1 (a line number), from an int or its text."""
        value = obj.get(key)
        if value is None or value == "":
            if required:
                self.fail("missing_field", path, f"缺少必填字段 {path}", f"{path} is required")
            return None
        text = str(value).strip() if isinstance(value, (int, str)) and not isinstance(value, bool) else ""
        if not text.isdigit() or int(text) < 1:
            self.fail("invalid_line_number", path, f"{path} 应为从 1 开始的行号", f"{path} must be a line number from 1")
            return None
        return int(text)

    def mapping(self, obj: Mapping[str, Any], key: str, path: str, required: bool = True) -> Mapping[str, Any] | None:
        value = obj.get(key)
        if value is None:
            if required:
                self.fail("missing_field", path, f"缺少必填字段 {path}", f"{path} is required")
            return None
        if not isinstance(value, Mapping):
            self.fail("invalid_type", path, f"{path} 应为对象", f"{path} must be an object")
            return None
        return value


def _party(shape: _Shape, obj: Mapping[str, Any], path: str, buyer: bool) -> Party | None:
    name = shape.text(obj, "name", f"{path}.name", required=True)
    kind = shape.text(obj, "kind", f"{path}.kind", required=buyer) if buyer else None
    if kind is not None and kind not in ("company", "individual"):
        shape.fail("invalid_buyer_kind", f"{path}.kind", "购方类型只能是 company 或 individual",
                   "buyer.kind must be company or individual")
    rest = {k: shape.text(obj, k, f"{path}.{k}") for k in
            ("tax_id", "address", "phone", "bank", "bank_account", "email", "mobile")}
    if name is None:
        return None
    return Party(name=name, kind=kind, **rest)


def _line(shape: _Shape, obj: Any, path: str, red: bool) -> Line | None:
    """A line; a red's names its blue line and may leave name, tax code and rate to it."""
    if not isinstance(obj, Mapping):
        shape.fail("invalid_type", path, f"{path} 应为对象", f"{path} must be an object")
        return None
    before = len(shape.findings)
    name = shape.text(obj, "name", f"{path}.name", required=not red)
    tax_code = shape.text(obj, "tax_code", f"{path}.tax_code", required=not red)
    original_line = shape.whole(obj, "original_line", f"{path}.original_line", required=red)
    numbers = {
        "tax_rate": shape.decimal(obj, "tax_rate", f"{path}.tax_rate", required=not red),
        "amount": shape.decimal(obj, "amount", f"{path}.amount", required=True),
        "tax_amount": shape.decimal(obj, "tax_amount", f"{path}.tax_amount", required=True),
        "quantity": shape.decimal(obj, "quantity", f"{path}.quantity"),
        "unit_price": shape.decimal(obj, "unit_price", f"{path}.unit_price"),
    }
    texts = {k: shape.text(obj, k, f"{path}.{k}") for k in ("unit", "specification", "policy", "goods_id")}
    kind = shape.text(obj, "kind", f"{path}.kind") or "normal"
    if kind not in ("normal", "discount", "discounted"):
        shape.fail("invalid_line_kind", f"{path}.kind", "行性质只能是 normal、discount 或 discounted",
                   "line kind must be normal, discount or discounted")
    if len(shape.findings) != before:
        return None
    return Line(name=name, tax_code=tax_code, kind=kind, original_line=original_line if red else None,
                **numbers, **texts)  # type: ignore[arg-type]


def _requested_at(shape: _Shape, obj: Mapping[str, Any]) -> datetime | None:
    if isinstance(obj.get("requested_at"), datetime):  # an Avro-decoded request
        moment: datetime = obj["requested_at"]
        return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
    raw = shape.text(obj, "requested_at", "requested_at")
    if raw is None:
        return None
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        shape.fail("invalid_time", "requested_at", "requested_at 不是 ISO 8601 时间",
                   "requested_at is not an ISO 8601 time")
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _kind(shape: _Shape, obj: Mapping[str, Any]) -> RequestKind | None:
    raw = shape.text(obj, "kind", "kind")
    if raw is None:
        return RequestKind.BLUE  # requests from before reds existed
    try:
        return RequestKind(raw)
    except ValueError:
        shape.fail("invalid_kind", "kind", "kind 只能是 blue、red 或 red_cancel", "kind must be blue, red or red_cancel")
        return None


def parse_request(obj: Any) -> tuple[InvoiceRequest | None, list[Finding]]:
    """Build an InvoiceRequest from its dict shape; return it (or None) and the structural findings.

    A blue request must state everything. A red must name its blue (`original_serial`) and a
    `red_reason`; the rest it may leave to its blue (`docs/red-letter.md`). A red_cancel needs only its
    serial and the red it withdraws.
    """
    shape = _Shape()
    if not isinstance(obj, Mapping):
        shape.fail("malformed_request", "", "请求不是 JSON 对象", "the request is not a JSON object")
        return None, shape.findings
    serial = shape.text(obj, "serial", "serial", required=True)
    kind = _kind(shape, obj)
    if kind is None:
        return None, shape.findings  # what else is required depends on the kind
    blue = kind is RequestKind.BLUE
    original_serial = shape.text(obj, "original_serial", "original_serial", required=not blue)
    red_reason = shape.text(obj, "red_reason", "red_reason", required=kind is RequestKind.RED)
    provider = shape.text(obj, "provider", "provider", required=blue)
    invoice_type = shape.text(obj, "invoice_type", "invoice_type", required=blue)
    seller_obj = shape.mapping(obj, "seller", "seller", required=blue)
    buyer_obj = shape.mapping(obj, "buyer", "buyer", required=blue)
    seller = _party(shape, seller_obj, "seller", buyer=False) if seller_obj is not None else None
    buyer = _party(shape, buyer_obj, "buyer", buyer=True) if buyer_obj is not None else None
    raw_lines = obj.get("lines")
    lines: list[Line | None] = []
    if raw_lines is None and not blue:
        pass  # a red without lines takes back all that remains; a red_cancel has none
    elif not isinstance(raw_lines, list):
        shape.fail("missing_field" if raw_lines is None else "invalid_type", "lines",
                   "lines 应为数组", "lines must be an array")
    else:
        lines = [_line(shape, line, f"lines[{i}]", red=not blue) for i, line in enumerate(raw_lines)]
    # A red without lines may leave its totals to what remains of the blue; with lines they are required.
    totals_required = blue or bool(lines)
    totals = {k: shape.decimal(obj, k, k, required=totals_required)
              for k in ("total_amount", "total_tax", "total_with_tax")}
    texts = {k: shape.text(obj, k, k) for k in
             ("remark", "drawer", "payee", "reviewer", "order_no", "erp_order_no", "source")}
    requested_at = _requested_at(shape, obj)
    options_obj = obj.get("options") or {}
    options: dict[str, str] = {}
    if not isinstance(options_obj, Mapping):
        shape.fail("invalid_type", "options", "options 应为对象", "options must be an object")
    else:
        for key, value in options_obj.items():
            if isinstance(value, (dict, list)) or value is None:
                shape.fail("invalid_type", f"options.{key}", "选项值应为字符串", "option values must be strings")
            else:
                options[str(key)] = str(value).lower() if isinstance(value, bool) else str(value)
    if shape.findings:
        return None, shape.findings
    request = InvoiceRequest(
        serial=serial, provider=provider, invoice_type=invoice_type,  # type: ignore[arg-type]
        seller=seller, buyer=buyer, lines=tuple(lines),  # type: ignore[arg-type]
        requested_at=requested_at, options=options, kind=kind,  # type: ignore[arg-type]
        original_serial=original_serial, red_reason=red_reason, **totals, **texts,
    )
    return request, []


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items() if v is not None}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def request_to_dict(request: InvoiceRequest) -> dict[str, Any]:
    """The JSON shape of a request: decimals as strings, None fields left out."""
    # The record converters compiled per class, not dataclasses.asdict: intake fingerprints every
    # request, and asdict's deep copy was most of that.
    return _plain(to_datum(request))  # type: ignore[no-any-return]


def fingerprint(request: InvoiceRequest) -> str:
    """sha256 of the request's canonical content: equal requests, equal fingerprints.

    Decimals are normalised so "2.0" and "2.00" count as the same amount; `requested_at` and `source`
    are transport facts, not content, and are left out.
    """
    shape = request_to_dict(request)
    shape.pop("requested_at", None)
    shape.pop("source", None)

    for line in shape.get("lines", []):
        for key in ("tax_rate", "amount", "tax_amount", "quantity", "unit_price"):
            if key in line:
                line[key] = str(Decimal(line[key]).normalize())
    for key in ("total_amount", "total_tax", "total_with_tax"):
        if key in shape:
            shape[key] = str(Decimal(shape[key]).normalize())
    if shape.get("kind") == RequestKind.BLUE.value:
        del shape["kind"]  # a blue's fingerprint stays what it was before requests had a kind
    canonical = json.dumps(shape, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()
