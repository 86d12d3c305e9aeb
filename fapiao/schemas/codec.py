"""One codec for every topic: Avro single-object encoding, or the Confluent wire format with a registry.

Writes:
    no registry  ->  C3 01 | CRC-64-AVRO fingerprint (8 bytes, little-endian) | Avro body
    registry     ->  00 | schema id (4 bytes, big-endian) | Avro body
Reads both, plus UTF-8 JSON for requests (an ERP may publish JSON with the same field names).
A single-object record written with an older schema still decodes: every schema version this
package ever wrote is kept in `avro/history/` and resolved against the current one.
"""

from __future__ import annotations

import copy
import json
import struct
from decimal import Decimal
from functools import cache
from importlib import resources
from io import BytesIO
from typing import Any, Callable, NamedTuple, TypeVar

import fastavro
from fastavro.schema import expand_schema, load_schema, to_parsing_canonical_form

from fapiao.exceptions import FapiaoStreamError
from fapiao.schemas.convert import from_datum, to_avro_datum

__all__ = ["Codec", "DecodeError", "crc64_avro", "schema_for"]

_R = TypeVar("_R")
SINGLE_OBJECT_MARKER = b"\xc3\x01"
CONFLUENT_MAGIC = b"\x00"
# Request bodies kept by the identity of the request they encode. A serial's request object is written
# again and again (the REQUEST signal, `received`, `submitting`, each row write): about 45 µs each, nine
# tenths of such a record's encoding. Bounded; a miss only costs that encoding once more.
REQUEST_BODIES = 1024


class DecodeError(FapiaoStreamError):
    """Bytes that are not a record of the expected kind, in any format this codec reads."""


_EMPTY = 0xC15D213AA4D7A795


def _table() -> list[int]:
    table = []
    for i in range(256):
        fp = i
        for _ in range(8):
            fp = (fp >> 1) ^ (_EMPTY & -(fp & 1))
        table.append(fp)
    return table


_FP_TABLE = _table()


def crc64_avro(data: bytes) -> int:
    """The Avro spec's 64-bit Rabin fingerprint (CRC-64-AVRO) of `data`."""
    fp = _EMPTY
    for byte in data:
        fp = (fp >> 8) ^ _FP_TABLE[(fp ^ byte) & 0xFF]
    return fp


def _avro_dir() -> Any:
    return resources.files("fapiao.schemas").joinpath("avro")


@cache
def schema_for(name: str) -> dict[str, Any]:
    """The current parsed schema of record `name` (e.g. "InvoiceEvent")."""
    with resources.as_file(_avro_dir().joinpath(f"fapiao.{name}.avsc")) as path:
        return load_schema(str(path))  # type: ignore[no-any-return]


def _once(schema: Any, defined: set[str]) -> Any:
    """`schema` with every named type defined at its first appearance and referred to by name after.

    fastavro's `expand_schema` writes a named type's whole definition wherever it is used, and a schema
    that defines one name twice does not parse: a record that carries a request twice (the request, and
    a red's order) would.
    """
    if isinstance(schema, list):
        return [_once(branch, defined) for branch in schema]
    if not isinstance(schema, dict):
        return schema
    if schema.get("type") in ("record", "enum", "fixed") and "name" in schema:
        if schema["name"] in defined:
            return schema["name"]
        defined.add(schema["name"])
    out = dict(schema)
    if "fields" in out:
        out["fields"] = [{**field, "type": _once(field["type"], defined)} for field in out["fields"]]
    for key in ("items", "values"):
        if key in out:
            out[key] = _once(out[key], defined)
    return out


def _record(name: str, fields: list[dict[str, Any]]) -> dict[str, Any]:
    """A parsed record schema of `fields` (taken from an expanded schema), each named type defined once."""
    defined: set[str] = set()
    return fastavro.parse_schema({  # type: ignore[no-any-return]
        "type": "record", "name": name,
        "fields": [{**field, "type": _once(copy.deepcopy(field["type"]), defined)} for field in fields]})


@cache
def _projected(name: str, without: frozenset[str]) -> dict[str, Any]:
    """The current schema of `name` without some top-level fields, as a reader schema."""
    expanded = expand_schema(schema_for(name))
    return _record(expanded["name"], [field for field in expanded["fields"] if field["name"] not in without])


class _Splice(NamedTuple):
    """A record written in three pieces around its `request` field: the fields before it, the union
    branch that says a request follows, the request's own body, then the fields after it."""

    head: dict[str, Any]
    branch: bytes
    tail: dict[str, Any]


@cache
def _splice(name: str) -> _Splice | None:
    """How to write record `name` around its request; None when it carries none.

    Avro writes a record as its fields' encodings one after another, so these pieces concatenated are
    byte for byte what one write of the whole record gives (a test holds them to that).
    """
    expanded = expand_schema(schema_for(name))
    fields = [field["name"] for field in expanded["fields"]]
    if "request" not in fields:
        return None
    at = fields.index("request")
    union = expanded["fields"][at]["type"]
    (branch,) = [index for index, kind in enumerate(union) if isinstance(kind, dict) and kind.get("type") == "record"]

    # An Avro union index is a zig-zag varint: index n < 64 is the single byte 2n.
    return _Splice(_record(f"{expanded['name']}Head", expanded["fields"][:at]), bytes([2 * branch]),
                   _record(f"{expanded['name']}Tail", expanded["fields"][at + 1:]))


def _write(schema: dict[str, Any], datum: Any) -> bytes:
    body = BytesIO()
    fastavro.schemaless_writer(body, schema, datum)
    return body.getvalue()


@cache
def _fingerprint(name: str) -> bytes:
    return struct.pack("<Q", crc64_avro(to_parsing_canonical_form(schema_for(name)).encode("utf-8")))


@cache
def _writers() -> dict[bytes, tuple[str, dict[str, Any]]]:
    """fingerprint -> (record name, writer schema) for every current and historical schema."""
    known: dict[bytes, tuple[str, dict[str, Any]]] = {}
    history = _avro_dir().joinpath("history")
    if history.is_dir():
        for entry in history.iterdir():
            if entry.name.endswith(".avsc"):
                schema = fastavro.parse_schema(json.loads(entry.read_text(encoding="utf-8")))
                canonical = to_parsing_canonical_form(schema).encode("utf-8")
                known[struct.pack("<Q", crc64_avro(canonical))] = (schema["name"].split(".")[-1], schema)
    for entry in _avro_dir().iterdir():
        if entry.name.endswith(".avsc"):
            name = entry.name[len("fapiao."):-len(".avsc")]
            known[_fingerprint(name)] = (name, schema_for(name))
    return known


class Codec:
    """Encodes records for the wire and decodes them back, in whichever format they came."""

    def __init__(self, registry: Callable[[str, dict[str, Any]], int] | None = None,
                 lookup: Callable[[int], dict[str, Any]] | None = None) -> None:
        """`registry(subject, schema) -> id` and `lookup(id) -> schema` switch on the Confluent format."""
        self._register = registry
        self._lookup = lookup
        self._requests: dict[int, tuple[Any, bytes]] = {}  # id(request) -> (request, its Avro body)
        # The last record written and its body: the fold sends a transition that owes a call twice in a row
        # (to the log and to the issue agent), and the second write is then free. Held, so `is` is sound.
        self._last: tuple[Any, bytes] = (None, b"")

    def encode(self, record: Any, topic: str | None = None) -> bytes:
        """Avro bytes of a record (one of `fapiao.schemas.records`)."""
        name = type(record).__name__.removesuffix("Record")
        schema = schema_for(name)
        if self._last[0] is record:
            body = self._last[1]
        else:
            body = self._body(name, schema, record)
            self._last = (record, body)
        if self._register is not None:
            schema_id = self._register(f"{topic or name}-value", schema)
            return CONFLUENT_MAGIC + struct.pack(">I", schema_id) + body
        return SINGLE_OBJECT_MARKER + _fingerprint(name) + body

    def _body(self, name: str, schema: dict[str, Any], record: Any) -> bytes:
        datum = to_avro_datum(record)
        request = getattr(record, "request", None)
        splice = _splice(name) if request is not None else None
        if splice is None:
            return _write(schema, datum)
        return _write(splice.head, datum) + splice.branch + self._request_body(request, datum["request"][1]) \
            + _write(splice.tail, datum)

    def _request_body(self, request: Any, datum: dict[str, Any]) -> bytes:
        """The Avro body of `request`, written once while the same request object keeps coming back.

        Sound because records are frozen; the one mutable part, a request's `options` dict, must never be
        changed after the request is built (nothing does).
        """
        known = self._requests.get(id(request))
        if known is not None and known[0] is request:  # held here, so its id cannot have been reused
            return known[1]
        body = _write(schema_for("InvoiceRequest"), datum)
        self._requests[id(request)] = (request, body)
        if len(self._requests) > REQUEST_BODIES:
            del self._requests[next(iter(self._requests))]
        return body

    def decode(self, data: bytes, cls: type[_R]) -> _R:
        """The record of class `cls` in `data`; raise `DecodeError` when it is not one."""
        name = cls.__name__.removesuffix("Record")
        datum = self.decode_datum(data, name)
        try:
            return from_datum(cls, datum)
        except Exception as exc:  # an Avro string no enum allows, or a JSON object without the fields
            raise DecodeError(f"not a valid {name}: {type(exc).__name__}: {exc}") from exc

    def decode_datum(self, data: bytes, name: str, without: frozenset[str] = frozenset()) -> dict[str, Any]:
        """The plain datum of record `name`, from single-object, Confluent, or (requests only) JSON bytes.

        Fields named in `without` are skipped, not built: a reader that needs an event's status but not
        the request it carries reads it two to three times faster.
        """
        reader = _projected(name, without) if without else schema_for(name)
        try:
            if data.startswith(SINGLE_OBJECT_MARKER):
                known = _writers().get(data[2:10])
                if known is None:
                    raise DecodeError("single-object record with an unknown schema fingerprint")
                writer_name, writer = known
                if writer_name != name:
                    raise DecodeError(f"a {writer_name} record where a {name} was expected")
                return fastavro.schemaless_reader(BytesIO(data[10:]), writer, reader)  # type: ignore[return-value]
            if data.startswith(CONFLUENT_MAGIC) and len(data) > 5:
                if self._lookup is None:
                    raise DecodeError("Confluent wire format needs FAPIAO_SCHEMA_REGISTRY_URL to be set")
                (schema_id,) = struct.unpack(">I", data[1:5])
                writer = fastavro.parse_schema(self._lookup(schema_id))
                return fastavro.schemaless_reader(BytesIO(data[5:]), writer, reader)  # type: ignore[return-value]
            if name == "InvoiceRequest":
                return _json_object(data)
        except DecodeError:
            raise
        except Exception as exc:  # fastavro raises many types for corrupt bodies; all mean "not this record"
            raise DecodeError(f"not a valid Avro {name}: {type(exc).__name__}: {exc}") from exc
        raise DecodeError(f"not a {name}: neither Avro single-object nor Confluent wire format")


def _json_object(data: bytes) -> dict[str, Any]:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DecodeError(f"neither Avro nor UTF-8 JSON: {exc}") from exc
    try:
        value = json.loads(text, parse_float=Decimal)
    except (json.JSONDecodeError, RecursionError) as exc:
        raise DecodeError(f"not valid JSON: {exc}") from exc
    if not isinstance(value, dict):
        raise DecodeError(f"JSON request must be an object, not {type(value).__name__}")
    return value
