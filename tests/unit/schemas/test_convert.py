"""Records to datums and back, tidy decimals, and the JSON view of a record."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from schemas_support import T0, every_record, minimal_records

from fapiao.schemas.convert import from_datum, tidy, to_datum, to_json
from fapiao.schemas.records import (
    CallbackRecord,
    EventType,
    InvoiceEvent,
    InvoiceInfo,
    InvoiceRequest,
    Line,
    Party,
    Signal,
    SignalKind,
    Status,
)


@pytest.mark.parametrize(("written", "tidied"), [
    ("100", "100.00"),
    ("100.00000000", "100.00"),  # what an Avro decimal(22, 8) gives back for 100.00
    ("0.06000000", "0.06"),
    ("0.10000000", "0.10"),
    ("0.1", "0.10"),
    ("12.345", "12.345"),
    ("12.34500000", "12.345"),
    ("0.00000001", "0.00000001"),
    ("1.23456789", "1.23456789"),
    ("-5.5", "-5.50"),
    ("-0.00000000", "-0.00"),
    ("0", "0.00"),
    ("1E+3", "1000.00"),
    ("99999999999999.99000000", "99999999999999.99"),
])
def test_tidy_keeps_the_places_written_and_at_least_two(written: str, tidied: str) -> None:
    assert format(tidy(Decimal(written)), "f") == tidied
    assert tidy(Decimal(written)) == Decimal(written)  # never another amount


@settings(max_examples=200, deadline=None)
@given(st.decimals(min_value=Decimal("-99999999999999.99999999"), max_value=Decimal("99999999999999.99999999"),
                   places=8, allow_nan=False, allow_infinity=False))
def test_tidy_is_exact_idempotent_and_at_most_eight_places(number: Decimal) -> None:
    tidied = tidy(number)
    assert tidied == number
    assert tidy(tidied).as_tuple() == tidied.as_tuple()
    places = -tidied.as_tuple().exponent  # type: ignore[operator]
    assert 2 <= places <= 8
    if places > 2:
        assert tidied.as_tuple().digits[-1] != 0  # no trailing zero beyond the cents


@pytest.mark.parametrize("record", every_record() + minimal_records(), ids=lambda r: type(r).__name__)
def test_every_record_survives_its_datum(record: Any) -> None:
    assert from_datum(type(record), to_datum(record)) == record


def test_a_datum_is_plain_data() -> None:
    record = every_record()[7]  # an InvoiceEvent
    datum = to_datum(record)
    assert datum["type"] == "submitting" and isinstance(datum["request"]["lines"], list)
    assert isinstance(datum["findings"], list) and datum["findings"][0]["severity"] == "error"
    assert isinstance(datum["request"]["options"], dict)
    assert datum["due_at"] == record.due_at and datum["request"]["total_amount"] == record.request.total_amount


def test_a_datum_lacking_fields_takes_the_defaults() -> None:
    line = from_datum(Line, {"name": "服务", "tax_code": "3040201010000000000", "tax_rate": Decimal("0.06"),
                             "amount": Decimal("1"), "tax_amount": Decimal("0.06")})
    assert (line.kind, line.policy, line.goods_id, line.quantity) == ("normal", None, None, None)
    assert str(line.amount) == "1.00"


def test_a_datum_with_extra_fields_ignores_them() -> None:
    assert from_datum(Party, {"name": "张三", "nickname": "三"}) == Party(name="张三")


def test_from_datum_builds_enums_tuples_and_nested_records() -> None:
    event = from_datum(InvoiceEvent, {"serial": "S", "seq": 1, "type": "issued", "at": T0,
                                      "invoice": {"number": "1", "total_amount": Decimal("1.50000000")},
                                      "findings": []})
    assert event.type is EventType.ISSUED and event.findings == ()
    assert event.invoice == InvoiceInfo(number="1", total_amount=Decimal("1.50"))
    assert str(event.invoice.total_amount) == "1.50"  # type: ignore[union-attr]


def test_from_datum_reads_json_text_for_times_and_bytes() -> None:
    record = from_datum(CallbackRecord, {"provider": "kingdee", "route": "/cb", "received_at": "2025-03-11T04:06:51+00:00",
                                         "remote_addr": "::1", "headers": {"a": "b"}, "body": "{}"})
    assert record.received_at == datetime(2025, 3, 11, 4, 6, 51, tzinfo=timezone.utc)
    assert record.body == b"{}"


def test_from_datum_refuses_a_value_no_enum_allows() -> None:
    with pytest.raises(ValueError):
        from_datum(Signal, {"serial": "S", "kind": "bogus", "at": T0, "source": "x"})


def test_to_json_is_json() -> None:
    for record in every_record():
        text = json.dumps(to_json(record), ensure_ascii=False)
        assert json.loads(text) == to_json(record)


def test_to_json_writes_decimals_as_text_times_as_iso_and_bytes_as_text() -> None:
    records = every_record()
    request: InvoiceRequest = records[0]
    plain = to_json(request)
    assert plain["total_amount"] == str(request.total_amount) and isinstance(plain["total_amount"], str)
    assert plain["lines"][0]["tax_rate"] == str(request.lines[0].tax_rate)
    assert plain["requested_at"] == T0.isoformat()
    callback = to_json(records[-1])
    assert callback["body"] == '{"serial":"S1","状态":"成功"}' and callback["received_at"] == T0.isoformat()
    assert to_json(records[8])["status"] == Status.ISSUED.value
    assert to_json(Signal(serial="S", kind=SignalKind.DUE, at=T0, source="r"))["kind"] == "due"


def test_to_json_never_fails_on_bytes_that_are_not_utf8() -> None:
    record = CallbackRecord(provider="kingdee", route="/cb", received_at=T0, remote_addr="::1", headers={},
                            body="发票".encode("gbk"))
    assert isinstance(to_json(record)["body"], str)
