"""The envelope codec: Base64, the published AES vector, exact decimals, request ids, reply reading."""

from __future__ import annotations

import base64
import time
from decimal import Decimal

import pytest
from hypothesis import given, strategies as st

from fapiao.connectors.kingdee.envelope import DataCodec, aes_key, envelope, new_request_id, read_reply
from fapiao.connectors.wire import loads, text

INVOICE = {"serialNo": "KD1", "amount": Decimal("2.00"), "taxRate": "0.06", "lines": [{"price": Decimal("0.12345678")}]}


def test_aes_key_matches_the_published_vector() -> None:
    assert base64.b64encode(aes_key("synthetic-key")).decode() == "QRV4pRsmj5Vcn3z+fM22Qg=="


def test_base64_data_is_the_utf8_json() -> None:
    wire = DataCodec().encode({"buyerName": "示例", "amount": Decimal("2.00")})
    assert base64.b64decode(wire).decode() == '{"buyerName":"示例","amount":2.00}'
    assert DataCodec().open(wire) == {"buyerName": "示例", "amount": Decimal("2.00")}


def test_aes_wire_is_nonce_ciphertext_tag_and_round_trips() -> None:
    codec = DataCodec("synthetic-key")
    wire = codec.encode(INVOICE)
    assert len(base64.b64decode(wire)) == 12 + len(text(INVOICE).encode()) + 16
    assert codec.open(wire) == INVOICE
    assert codec.encode(INVOICE) != wire  # a fresh nonce every time


def test_aes_refuses_another_password_and_plain_base64() -> None:
    wire = DataCodec("synthetic-key").encode(INVOICE)
    with pytest.raises(ValueError):
        DataCodec("other-key").open(wire)
    with pytest.raises(ValueError):
        DataCodec("synthetic-key").open(DataCodec().encode(INVOICE))


@pytest.mark.parametrize("password", [None, "synthetic-key"])
def test_decode_takes_objects_base64_aes_and_plain_strings(password: str | None) -> None:
    codec = DataCodec(password)
    assert codec.decode({"a": 1}) == {"a": 1}
    assert codec.decode(None) is None
    assert codec.decode(DataCodec().encode(INVOICE)) == INVOICE
    assert codec.decode(codec.encode(INVOICE)) == INVOICE
    assert codec.decode("300_20240311134422540_0001") == "300_20240311134422540_0001"


def test_dumps_writes_decimals_exactly_and_refuses_floats() -> None:
    assert text({"a": Decimal("0.10"), "b": Decimal("1E+2"), "c": [Decimal("-0.01")]}) == '{"a":0.10,"b":100,"c":[-0.01]}'
    with pytest.raises(TypeError):
        text({"amount": 0.1})
    with pytest.raises(ValueError):
        text(Decimal("NaN"))


@given(st.decimals(allow_nan=False, allow_infinity=False, places=8, min_value=-10**14, max_value=10**14))
def test_decimals_survive_the_round_trip(amount: Decimal) -> None:
    assert loads(text({"amount": amount}))["amount"] == amount


def test_request_id_is_13_digit_milliseconds_and_3_random_digits() -> None:
    before = time.time_ns() // 1_000_000
    request_id = new_request_id()
    assert len(request_id) == 16 and request_id.isdigit()
    assert before <= int(request_id[:13]) <= time.time_ns() // 1_000_000


def test_envelope_has_the_four_fields() -> None:
    assert envelope("ERP", "ALLE.INVOICE.OPEN", "ZGF0YQ==", "1714981252080746") == {
        "requestId": "1714981252080746", "businessSystemCode": "ERP",
        "interfaceCode": "ALLE.INVOICE.OPEN", "data": "ZGF0YQ=="}


def test_read_reply_accepts_message_or_errormsg_and_rejects_non_envelopes() -> None:
    reply = read_reply('{"success":true,"errorCode":"0000","errorMsg":"ok","data":"KD1"}'.encode(), DataCodec())
    assert reply is not None and reply.ok and reply.message == "ok" and reply.data == "KD1"
    failed = read_reply(b'{"success":false,"errorCode":"10127","message":"dup"}', DataCodec())
    assert failed is not None and not failed.ok and failed.code == "10127"
    assert read_reply(b"<html>502</html>", DataCodec()) is None
    assert read_reply(b'["x"]', DataCodec()) is None
