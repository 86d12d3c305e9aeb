"""Shared fixtures for the validation tests: valid base requests in their JSON shape, and a builder
that changes fields by path (`lines[0].tax_rate`, `buyer.tax_id`) and keeps the totals consistent."""

from __future__ import annotations

import copy
import re
from decimal import Decimal
from typing import Any, Callable, Mapping

import pytest

from fapiao.schemas.records import Finding, Severity
from fapiao.streams.validation import check

Build = Callable[..., dict[str, Any]]

_BASE: dict[str, Any] = {
    "serial": "ERP20250101000001",
    "provider": "kingdee",
    "invoice_type": "digital_normal",
    "seller": {"tax_id": "91440300MA5G9GK78Y", "name": "深圳市示例科技有限公司", "address": "深圳市南山区科技园",
               "phone": "0755-86000000", "bank": "招商银行深圳分行", "bank_account": "755900000000001"},
    "buyer": {"kind": "company", "tax_id": "91440300358768292H", "name": "示例采购方有限公司",
              "address": "广州市天河区", "phone": "020-38000000", "bank": "中国银行广州分行",
              "bank_account": "440100000000003", "email": "ap@example.com"},
    "lines": [
        {"name": "信息技术服务", "tax_code": "3040201010000000000", "tax_rate": "0.06", "amount": "100.00",
         "tax_amount": "6.00", "quantity": "2", "unit_price": "50", "unit": "项"},
        {"name": "办公用品", "tax_code": "1060511020000000000", "tax_rate": "0.13", "amount": "31.50",
         "tax_amount": "4.10", "quantity": "3", "unit_price": "10.5", "unit": "件", "specification": "A4"},
    ],
    "drawer": "李四",
    "erp_order_no": "SO-1",
}
# 票申/易票云 takes electronic_normal (ce), with an order number and a delivery contact.
_PROVIDER_DEFAULTS = {"kingdee": {}, "yipiaoyun": {"invoice_type": "electronic_normal"}}

_HAN = re.compile(r"[\u4e00-\u9fff]")
_STEP = re.compile(r"(\w+)(?:\[(\d+)\])?")
_TOTALS = ("total_amount", "total_tax", "total_with_tax")


def _set(obj: dict[str, Any], path: str, value: Any) -> None:
    """Set (or with None, remove) the field at `path`, e.g. `lines[0].tax_rate`."""
    *parents, last = [_STEP.fullmatch(step).groups() for step in path.split(".")]  # type: ignore[union-attr]
    for key, index in parents:
        obj = obj.setdefault(key, {}) if index is None else obj[key][int(index)]
    key, index = last
    if index is not None:
        obj[key][int(index)] = value
    elif value is None:
        obj.pop(key, None)
    else:
        obj[key] = value


def _with_totals(request: dict[str, Any]) -> None:
    amount = sum((Decimal(line["amount"]) for line in request["lines"]), Decimal(0))
    tax = sum((Decimal(line["tax_amount"]) for line in request["lines"]), Decimal(0))
    request.update(total_amount=str(amount), total_tax=str(tax), total_with_tax=str(amount + tax))


def build_request(changes: Mapping[str, Any] | None = None, provider: str = "kingdee") -> dict[str, Any]:
    """A valid request for `provider` with `changes` applied by path.

    The totals are recomputed from the changed lines, then any total named in `changes` is set as given.
    """
    request = copy.deepcopy(_BASE)
    request.update(provider=provider, **_PROVIDER_DEFAULTS[provider])
    for path, value in (changes or {}).items():
        if path not in _TOTALS:
            _set(request, path, value)
    _with_totals(request)
    for path, value in (changes or {}).items():
        if path in _TOTALS:
            _set(request, path, value)
    return request


def error_pairs(findings: list[Finding]) -> list[tuple[str, str]]:
    """(code, field) of every error, in order."""
    return [(f.code, f.field) for f in findings if f.severity is Severity.ERROR]


@pytest.fixture(scope="session")
def build() -> Build:
    return build_request


@pytest.fixture(scope="session")
def errors() -> Callable[[dict[str, Any]], list[tuple[str, str]]]:
    """Parse and validate a request dict; its errors as (code, field) pairs.

    Fails the test if the request does not parse, or if a finding lacks its Chinese or English message.
    """

    def run(obj: dict[str, Any]) -> list[tuple[str, str]]:
        request, findings = check(obj)
        assert request is not None, findings
        for finding in findings:
            assert _HAN.search(finding.message_zh) and not _HAN.search(finding.message_en), finding
        return error_pairs(findings)

    return run
