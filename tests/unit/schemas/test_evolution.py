"""Old records still decode: every schema in avro/history/ is read by the current codec, defaults filled in.

`history/fapiao.InvoiceRequest.v0.avsc` is the request before buyer email/mobile, line policy/goods_id,
`source` and `options`. A record an ERP wrote with it must still become an InvoiceRequest today. The `.v1`
request and the `.v0` signal, event, result and state are those records before red-letter invoices; the
`.v1` signal is the signal before a REQUEST carried the ERP's record raw (it carried the request parsed).
"""

from __future__ import annotations

import dataclasses
import io
import json
import struct
from datetime import datetime, timezone
from importlib import resources
from pathlib import Path
from typing import Any

import fastavro
import pytest
from fastavro.schema import fingerprint as fastavro_fingerprint
from fastavro.schema import to_parsing_canonical_form
from fastavro.utils import generate_many
from hypothesis import given, settings
from hypothesis import strategies as st
from schemas_support import build_request

from fapiao.schemas.codec import Codec, crc64_avro, schema_for
from fapiao.schemas.convert import to_avro_datum, to_datum
from fapiao.schemas.records import InvoiceRequest, Line, Party, Signal, SignalKind
from fapiao.schemas.requests import parse_request
from fapiao.streams.erp import parsed

HISTORY = Path(str(resources.files("fapiao.schemas").joinpath("avro", "history")))
V0 = HISTORY / "fapiao.InvoiceRequest.v0.avsc"


def history() -> list[Path]:
    return sorted(HISTORY.glob("*.avsc"))


def load(path: Path) -> dict[str, Any]:
    return fastavro.parse_schema(json.loads(path.read_text(encoding="utf-8")))  # type: ignore[no-any-return]


def current_name(path: Path) -> str:
    """fapiao.InvoiceRequest.v0.avsc -> InvoiceRequest"""
    return path.name.split(".")[1]


def single_object(schema: dict[str, Any], datum: Any) -> bytes:
    """What a producer holding `schema` put on the wire: C3 01, its fingerprint, the Avro body."""
    canonical = to_parsing_canonical_form(schema)
    body = io.BytesIO()
    fastavro.schemaless_writer(body, schema, datum)
    return b"\xc3\x01" + bytes.fromhex(fastavro_fingerprint(canonical, "CRC-64-AVRO")) + body.getvalue()


def as_v0(request: InvoiceRequest) -> InvoiceRequest:
    """The request a v0 writer could have sent: the fields v0 lacks at their defaults."""
    def party(p: Party) -> Party:
        return dataclasses.replace(p, email=None, mobile=None)

    def line(item: Line) -> Line:
        return dataclasses.replace(item, policy=None, goods_id=None)

    return dataclasses.replace(request, seller=party(request.seller), buyer=party(request.buyer),
                               lines=tuple(line(item) for item in request.lines), source=None, options={})


def test_there_is_history_and_it_is_self_contained() -> None:
    assert V0 in history()
    for path in history():
        schema = load(path)  # parses alone: every named type it uses is defined inside it
        assert schema["name"] == f"fapiao.{current_name(path)}"
        assert to_parsing_canonical_form(schema) != to_parsing_canonical_form(schema_for(current_name(path)))


def test_v0_lacks_what_was_added_later() -> None:
    v0 = json.loads(V0.read_text(encoding="utf-8"))
    fields = {f["name"]: f for f in v0["fields"]}
    assert "source" not in fields and "options" not in fields
    assert {f["name"] for f in fields["lines"]["type"]["items"]["fields"]}.isdisjoint({"policy", "goods_id"})
    assert {f["name"] for f in fields["seller"]["type"]["fields"]}.isdisjoint({"email", "mobile"})


def _fields(schema: Any, found: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Every record in a parsed schema: name -> {field name: field}."""
    if isinstance(schema, dict):
        if schema.get("type") == "record":
            found.setdefault(schema["name"], {f["name"]: f for f in schema["fields"]})
            for f in schema["fields"]:
                _fields(f["type"], found)
        elif schema.get("type") in ("array", "map"):
            _fields(schema.get("items", schema.get("values")), found)
    elif isinstance(schema, list):
        for branch in schema:
            _fields(branch, found)
    return found


@pytest.mark.parametrize("path", history(), ids=lambda p: p.name)
def test_every_field_added_since_has_a_default(path: Path) -> None:
    """The structural rule of backward compatibility: a reader field the writer lacks needs a default."""
    old, new = _fields(load(path), {}), _fields(schema_for(current_name(path)), {})
    for record, fields in new.items():
        if record not in old:
            continue
        added = set(fields) - set(old[record])
        assert all("default" in fields[name] for name in added), (record, added)


def _contains(new: Any, old: Any) -> bool:
    if isinstance(old, dict):
        return isinstance(new, dict) and all(k in new and _contains(new[k], v) for k, v in old.items())
    if isinstance(old, list):
        return isinstance(new, list) and len(new) == len(old) and all(map(_contains, new, old))
    return bool(new == old)


@pytest.mark.parametrize("path", history(), ids=lambda p: p.name)
def test_the_current_schema_reads_generated_old_records(path: Path) -> None:
    """reader = current, writer = old, for data fastavro generates from the old schema."""
    writer, reader = load(path), schema_for(current_name(path))
    for datum in generate_many(writer, 50):
        body = io.BytesIO()
        fastavro.schemaless_writer(body, writer, datum)
        as_written = fastavro.schemaless_reader(io.BytesIO(body.getvalue()), writer)
        read = fastavro.schemaless_reader(io.BytesIO(body.getvalue()), writer, reader)
        assert _contains(read, as_written)  # every old value kept, under the same name
        added = [field for field in reader["fields"] if field["name"] not in as_written]
        assert added, "a history schema must differ from the current one at its top level"
        assert all(read[field["name"]] == field["default"] for field in added)  # and what is new at its default
        if path == V0:
            assert all(line["policy"] is None and line["goods_id"] is None for line in read["lines"])


def test_a_request_signal_written_before_raw_records_decodes_and_is_taken_as_parsed() -> None:
    request = build_request()
    old = Signal(serial=request.serial, kind=SignalKind.REQUEST, at=datetime(2025, 3, 11, tzinfo=timezone.utc),
                 source="intake", request=request, fingerprint="f", origin="fapiao.requests[0]@7")
    written = single_object(load(HISTORY / "fapiao.Signal.v1.avsc"), to_avro_datum(old))
    decoded = Codec().decode(written, Signal)
    assert decoded == old and decoded.raw is None
    assert parsed(Codec(), decoded) is decoded  # the fold decides on the request it carries


def test_the_codec_knows_the_v0_fingerprint() -> None:
    canonical = to_parsing_canonical_form(load(V0)).encode("utf-8")
    prefix = single_object(load(V0), to_datum(as_v0(build_request())))[:10]
    assert prefix[2:] == struct.pack("<Q", crc64_avro(canonical))


@pytest.mark.parametrize("provider", ["kingdee", "yipiaoyun"])
def test_a_v0_request_decodes_into_todays_request_with_defaults(provider: str) -> None:
    today = build_request(provider=provider, requested_at="2025-03-11T04:06:51.123+00:00")
    today = dataclasses.replace(today, lines=tuple(dataclasses.replace(item, policy="03", goods_id="G1")
                                                   for item in today.lines))
    data = single_object(load(V0), to_datum(today))  # a v0 writer drops what it does not know
    decoded = Codec().decode(data, InvoiceRequest)
    assert decoded == as_v0(today)
    assert (decoded.source, dict(decoded.options)) == (None, {})
    assert all(item.policy is None and item.goods_id is None and item.kind == "normal" for item in decoded.lines)
    assert decoded.buyer.email is None and decoded.buyer.mobile is None
    assert decoded.total_with_tax == today.total_with_tax and str(decoded.total_tax) == str(today.total_tax)


def test_a_v0_request_takes_the_intake_path_too() -> None:
    """Intake reads requests as datums and parses them with parse_request, as it does JSON."""
    today = build_request()
    datum = Codec().decode_datum(single_object(load(V0), to_datum(today)), "InvoiceRequest")
    request, findings = parse_request(datum)
    assert findings == [] and request == as_v0(today)


@settings(max_examples=100, deadline=None)
@given(serial=st.text("ABCDEFGHJKLMNPQRSTUVWXYZ0123456789-_", min_size=1, max_size=30), seed=st.integers(0, 2**32),
       provider=st.sampled_from(["kingdee", "yipiaoyun"]))
def test_any_v0_request_decodes(serial: str, seed: int, provider: str) -> None:
    today = build_request(serial, provider, seed)
    decoded = Codec().decode(single_object(load(V0), to_datum(today)), InvoiceRequest)
    assert decoded == as_v0(today)
