"""Intake's pure part: which ERP records become REQUEST signals, with what, and which are parked."""

from __future__ import annotations

import hashlib
import json

import pytest
from streams_support import T0, build_request

from fapiao.samples import valid_request
from fapiao.schemas.codec import Codec
from fapiao.schemas.records import Signal, SignalKind
from fapiao.schemas.requests import fingerprint
from fapiao.streams.intake import request_signal

ORIGIN = "fapiao.requests[3]@41"


def _signal(value: bytes) -> Signal:
    signal = request_signal(Codec(), value, ORIGIN, T0)
    assert isinstance(signal, Signal), signal
    return signal


def test_a_json_request_becomes_a_request_signal_keyed_by_its_serial_with_its_origin() -> None:
    shape = valid_request("SO-JSON-1", "kingdee")
    signal = _signal(json.dumps(shape, ensure_ascii=False).encode())
    assert (signal.serial, signal.kind, signal.source, signal.origin, signal.at) == (
        "SO-JSON-1", SignalKind.REQUEST, "intake", ORIGIN, T0)
    assert signal.request is not None and signal.findings == ()
    assert signal.fingerprint == fingerprint(signal.request)
    assert str(signal.request.total_with_tax) == shape["total_with_tax"]  # a Decimal, exactly the ERP's


def test_an_avro_request_comes_to_the_same_signal_as_its_json() -> None:
    request = build_request("SO-AVRO-1")
    from_avro = _signal(Codec().encode(request))
    from_json = _signal(json.dumps(valid_request("SO-AVRO-1", "kingdee"), ensure_ascii=False).encode())
    assert from_avro.request == request
    assert from_avro.fingerprint == from_json.fingerprint == fingerprint(request)


def test_a_request_that_breaks_structural_rules_still_becomes_a_signal_carrying_its_findings() -> None:
    value = json.dumps({"serial": "SO-BROKEN-1", "lines": "not a list"}).encode()
    signal = _signal(value)
    assert signal.serial == "SO-BROKEN-1" and signal.request is None and signal.findings
    assert signal.fingerprint == hashlib.sha256(value).hexdigest()  # the bytes: nothing else identifies it


@pytest.mark.parametrize(("value", "reason"), [
    (b"\xff\xfe not utf-8", ""),
    (b"[1, 2, 3]", ""),
    (b"", ""),
    (b'{"serial": 12345}', "no serial"),
    (b'{"serial": "   "}', "no serial"),
    (b'{"lines": []}', "no serial"),
])
def test_a_record_without_a_serial_to_key_it_by_is_parked_with_the_reason(value: bytes, reason: str) -> None:
    parked = request_signal(Codec(), value, ORIGIN, T0)
    assert isinstance(parked, str) and parked and reason in parked
