"""parse_request: a request or structural findings, never an exception; money only as exact decimals."""

from __future__ import annotations

import copy
import dataclasses
import json
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from schemas_support import request_shape

from fapiao.schemas.records import Severity
from fapiao.schemas.requests import (
    MAX_INTEGER_DIGITS,
    MAX_SCALE,
    _plain,
    fingerprint,
    parse_request,
    request_to_dict,
)


def codes(shape: Any) -> list[tuple[str, str]]:
    request, findings = parse_request(shape)
    assert (request is None) == bool(findings)
    assert all(f.severity is Severity.ERROR and f.message_zh and f.message_en for f in findings)
    return [(f.code, f.field) for f in findings]


def test_a_sample_parses(shape: dict[str, Any]) -> None:
    request, findings = parse_request(shape)
    assert findings == [] and request is not None
    assert request.serial == shape["serial"] and request.source == "demo"
    assert [str(line.amount) for line in request.lines] == [line["amount"] for line in shape["lines"]]


@pytest.mark.parametrize("path", ["lines[0].amount", "lines[0].tax_rate", "lines[0].unit_price", "total_amount",
                                  "total_tax", "total_with_tax", "lines[0].quantity"])
@pytest.mark.parametrize("value", [0.1, 100.0, 1e-2])
def test_a_float_is_refused_as_money(shape: dict[str, Any], path: str, value: float) -> None:
    """A binary float has already lost the cents: refuse it rather than guess."""
    target, key = (shape["lines"][0], path.split(".")[1]) if path.startswith("lines") else (shape, path)
    target[key] = value
    assert codes(shape) == [("invalid_decimal", path)]


@pytest.mark.parametrize(("value", "code"), [
    (True, "invalid_decimal"), ("abc", "invalid_decimal"), ("1,000.00", "invalid_decimal"), ([1], "invalid_decimal"),
    ({"v": 1}, "invalid_decimal"), ("NaN", "invalid_decimal"), ("Infinity", "invalid_decimal"),
    ("-inf", "invalid_decimal"), ("1." + "0" * 8 + "1", "amount_out_of_range"),
    ("1" * (MAX_INTEGER_DIGITS + 1), "amount_out_of_range"), (10 ** MAX_INTEGER_DIGITS, "amount_out_of_range"),
])
def test_a_total_that_is_no_exact_decimal_in_range_is_refused(shape: dict[str, Any], value: Any, code: str) -> None:
    shape["total_amount"] = value
    assert codes(shape) == [(code, "total_amount")]


@pytest.mark.parametrize(("value", "parsed"), [
    ("  12.30 ", "12.30"), ("-0.5", "-0.50"), (7, "7.00"), (Decimal("0.12345678"), "0.12345678"),
    ("1" * MAX_INTEGER_DIGITS + "." + "1" * MAX_SCALE, "1" * MAX_INTEGER_DIGITS + "." + "1" * MAX_SCALE),
    ("1E+2", "100.00"),
])
def test_exact_decimals_are_read_as_written(shape: dict[str, Any], value: Any, parsed: str) -> None:
    shape["total_amount"] = value
    request, findings = parse_request(shape)
    assert findings == [] and request is not None
    assert format(request.total_amount, "f") == parsed


@pytest.mark.parametrize("obj", [None, [], "request", 42, ["serial"]])
def test_something_other_than_an_object_is_malformed(obj: Any) -> None:
    assert codes(obj) == [("malformed_request", "")]


@pytest.mark.parametrize("key", ["serial", "provider", "invoice_type", "seller", "buyer", "lines", "total_amount",
                                 "total_tax", "total_with_tax"])
def test_every_required_field_is_named_when_missing(shape: dict[str, Any], key: str) -> None:
    del shape[key]
    assert codes(shape) == [("missing_field", key)]


@pytest.mark.parametrize(("change", "expected"), [
    ({"serial": ""}, [("missing_field", "serial")]),
    ({"serial": ["S"]}, [("invalid_type", "serial")]),
    ({"serial": True}, [("invalid_type", "serial")]),
    ({"seller": "深圳"}, [("invalid_type", "seller")]),
    ({"seller": {"tax_id": "X"}}, [("missing_field", "seller.name")]),
    ({"buyer": {"name": "张三"}}, [("missing_field", "buyer.kind")]),
    ({"buyer": {"name": "张三", "kind": "robot"}}, [("invalid_buyer_kind", "buyer.kind")]),
    ({"lines": {"0": {}}}, [("invalid_type", "lines")]),
    ({"lines": ["line"]}, [("invalid_type", "lines[0]")]),
    ({"requested_at": "yesterday"}, [("invalid_time", "requested_at")]),
    ({"options": ["a"]}, [("invalid_type", "options")]),
    ({"options": {"store": {"id": 1}}}, [("invalid_type", "options.store")]),
    ({"options": {"store": None}}, [("invalid_type", "options.store")]),
    ({"remark": {"text": "x"}}, [("invalid_type", "remark")]),
])
def test_structural_mistakes_are_findings_at_their_path(shape: dict[str, Any], change: dict[str, Any],
                                                        expected: list[tuple[str, str]]) -> None:
    shape.update(change)
    assert codes(shape) == expected


def test_line_mistakes_are_found_together(shape: dict[str, Any]) -> None:
    shape["lines"][0].update(kind="gift", tax_rate=None, amount=0.5)
    del shape["lines"][0]["name"]
    assert codes(shape) == [("missing_field", "lines[0].name"), ("missing_field", "lines[0].tax_rate"),
                            ("invalid_decimal", "lines[0].amount"), ("invalid_line_kind", "lines[0].kind")]


def test_options_are_text(shape: dict[str, Any]) -> None:
    shape["options"] = {"auto_deal": True, "invoice_point": 3, "store_no": "S001"}
    request, _ = parse_request(shape)
    assert request is not None and dict(request.options) == {"auto_deal": "true", "invoice_point": "3",
                                                              "store_no": "S001"}


@pytest.mark.parametrize(("written", "moment"), [
    ("2025-03-11T12:06:51+08:00", datetime(2025, 3, 11, 4, 6, 51, tzinfo=timezone.utc)),
    ("2025-03-11T04:06:51", datetime(2025, 3, 11, 4, 6, 51, tzinfo=timezone.utc)),  # naive: taken as UTC
    (datetime(2025, 3, 11, 4, 6, 51), datetime(2025, 3, 11, 4, 6, 51, tzinfo=timezone.utc)),  # from Avro
])
def test_requested_at_is_an_aware_time(shape: dict[str, Any], written: Any, moment: datetime) -> None:
    shape["requested_at"] = written
    request, _ = parse_request(shape)
    assert request is not None and request.requested_at == moment and request.requested_at.tzinfo is not None


def test_parse_request_does_not_touch_its_input(shape: dict[str, Any]) -> None:
    before = copy.deepcopy(shape)
    parse_request(shape)
    assert shape == before


# -- request_to_dict and fingerprint ---------------------------------------------------------------------

shapes = st.builds(request_shape, serial=st.text("ABCXYZ0123456789-_", min_size=1, max_size=30),
                   provider=st.sampled_from(["kingdee", "yipiaoyun"]), seed=st.integers(0, 2**32))


@settings(max_examples=150, deadline=None)
@given(shapes)
def test_request_to_dict_parses_back_to_the_same_request(shape: dict[str, Any]) -> None:
    request, _ = parse_request(shape)
    assert request is not None
    again, findings = parse_request(request_to_dict(request))
    assert findings == [] and again == request
    assert request_to_dict(again) == request_to_dict(request)  # the same text, places and all
    assert fingerprint(again) == fingerprint(request)


@settings(max_examples=150, deadline=None)
@given(shapes)
def test_request_to_dict_is_the_plain_form_of_dataclasses_asdict(shape: dict[str, Any]) -> None:
    # Fingerprints are stored in rows: the faster converter must give exactly the shape asdict gave.
    request, _ = parse_request(shape)
    assert request is not None
    reference = json.dumps(_plain({**dataclasses.asdict(request), "options": dict(request.options)}),
                           sort_keys=True, ensure_ascii=False)
    assert json.dumps(request_to_dict(request), sort_keys=True, ensure_ascii=False) == reference


def test_request_to_dict_leaves_out_nothing_but_empty_fields(shape: dict[str, Any]) -> None:
    request, _ = parse_request(shape)
    assert request is not None
    plain = request_to_dict(request)
    assert "remark" not in plain and "requested_at" not in plain
    assert plain["lines"][0]["amount"] == shape["lines"][0]["amount"]
    assert all(isinstance(v, str) for v in (plain["total_amount"], plain["total_tax"], plain["total_with_tax"]))


def test_fingerprint_counts_amounts_not_their_spelling(shape: dict[str, Any]) -> None:
    base, _ = parse_request(shape)
    respelled = copy.deepcopy(shape)
    respelled["lines"][0]["quantity"] = respelled["lines"][0]["quantity"] + ".000"
    respelled["total_amount"] = str(Decimal(shape["total_amount"]) * 1)
    other, _ = parse_request(respelled)
    assert base is not None and other is not None and fingerprint(base) == fingerprint(other)


@pytest.mark.parametrize(("key", "value"), [("requested_at", "2025-01-01T00:00:00+08:00"), ("source", "erp-b")])
def test_fingerprint_ignores_transport_facts(shape: dict[str, Any], key: str, value: str) -> None:
    base, _ = parse_request(shape)
    other, _ = parse_request({**shape, key: value})
    assert base is not None and other is not None and fingerprint(base) == fingerprint(other)


@pytest.mark.parametrize("change", [
    {"remark": "另一张"}, {"total_amount": "0.01"}, {"buyer": {"kind": "individual", "name": "李四"}},
    {"options": {"store_no": "S002"}}, {"invoice_type": "roll"}, {"erp_order_no": "SO-2"},
])
def test_fingerprint_sees_every_content_change(shape: dict[str, Any], change: dict[str, Any]) -> None:
    base, _ = parse_request(shape)
    other, _ = parse_request({**shape, **change})
    assert base is not None and other is not None and fingerprint(base) != fingerprint(other)


def test_fingerprint_is_a_stable_sha256(shape: dict[str, Any]) -> None:
    request, _ = parse_request(shape)
    assert request is not None
    value = fingerprint(request)
    assert len(value) == 64 and int(value, 16) >= 0
    assert fingerprint(parse_request(request_shape())[0]) == value  # type: ignore[arg-type]
