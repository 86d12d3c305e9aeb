"""An ERP record's two readings (`fapiao.streams.erp`): intake's, which records become REQUEST signals and
which are parked, and the fold's, what request a signal comes to."""

from __future__ import annotations

import hashlib
import json

import pytest
from streams_support import T0, build_request

from fapiao.samples import valid_request
from fapiao.schemas.codec import Codec
from fapiao.schemas.records import Signal, SignalKind
from fapiao.schemas.requests import fingerprint
from fapiao.streams.erp import parsed, request_signal

ORIGIN = "fapiao.requests[3]@41"


def _signal(value: bytes) -> Signal:
    """The signal intake sends for `value`, as the fold reads it back from the broker and parses it."""
    sent = request_signal(Codec(), value, ORIGIN, T0)
    assert isinstance(sent, Signal), sent
    assert (sent.raw, sent.request, sent.fingerprint) == (value, None, None), "intake only re-keys the record"
    return parsed(Codec(), Codec().decode(Codec().encode(sent), Signal))


def test_a_signal_written_before_requests_travelled_raw_is_taken_as_it_is() -> None:
    old = Signal(serial="SO-OLD-1", kind=SignalKind.REQUEST, at=T0, source="intake", request=build_request("SO-OLD-1"),
                 fingerprint="f")
    assert parsed(Codec(), old) is old


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
