"""Records to plain dicts (the Avro datum shape) and back, driven by the dataclasses' type hints."""

from __future__ import annotations

import dataclasses
import types
import typing
from datetime import datetime
from decimal import Decimal
from enum import Enum
from functools import cache
from typing import Any, Callable, Mapping, TypeVar

__all__ = ["to_datum", "to_avro_datum", "from_datum", "tidy", "to_json"]

_R = TypeVar("_R")
_TWO_PLACES = Decimal("0.01")


def tidy(number: Decimal) -> Decimal:
    """Drop the trailing zeros an Avro decimal's fixed scale adds, keeping at least 2 places.

    `Decimal("100.00000000")` read back from the wire becomes `Decimal("100.00")`, so a value keeps
    the places it was written with (up to the schema's scale) and reads as money.
    """
    if number == number.to_integral_value():
        return number.quantize(_TWO_PLACES)
    stripped = number.normalize()
    return stripped.quantize(_TWO_PLACES) if stripped.as_tuple().exponent > -2 else stripped  # type: ignore[operator]


def to_datum(record: Any) -> Any:
    """A record as plain nested dicts and lists (enums as their string values)."""
    return _to(record, tagged=False)


def to_avro_datum(record: Any) -> Any:
    """Like `to_datum`, with optional nested records in fastavro's tuple notation `(type name, dict)`.

    Naming the union branch spares fastavro validating the whole nested record against each branch
    just to choose one, which cost most of a write.
    """
    return _to(record, tagged=True)


def _to(record: Any, tagged: bool) -> Any:
    if dataclasses.is_dataclass(record) and not isinstance(record, type):
        return _writer(type(record), tagged)(record)
    if isinstance(record, Enum):
        return record.value
    if isinstance(record, (list, tuple)):
        return [_to(item, tagged) for item in record]
    if isinstance(record, Mapping):
        return {key: _to(value, tagged) for key, value in record.items()}
    return record


# Converters are built once per record class from its type hints: records are converted by the
# hundred thousand, and asking `typing` about every field of every record dominated the codec.

def _plain_writer(hint: Any, tagged: bool) -> Callable[[Any], Any] | None:
    """How to write a field of this type, or None when its value is written as it is."""
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        (inner,) = [arg for arg in typing.get_args(hint) if arg is not type(None)]
        write = _plain_writer(inner, tagged)
        if tagged and isinstance(inner, type) and dataclasses.is_dataclass(inner):
            branch = f"fapiao.{inner.__name__}"
            return lambda value: None if value is None else (branch, write(value))  # type: ignore[misc]
        return None if write is None else (lambda value: None if value is None else write(value))
    if origin is tuple:
        item = _plain_writer(typing.get_args(hint)[0], tagged)
        return list if item is None else (lambda values: [item(v) for v in values])
    if origin in (Mapping, dict) or hint is Mapping:
        return dict
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return lambda value: _writer(hint, tagged)(value)
    if isinstance(hint, type) and issubclass(hint, Enum):
        return lambda value: value.value
    return None  # str, int, Decimal, datetime, bytes: fastavro takes them as they are


@cache
def _writer(cls: type, tagged: bool) -> Callable[[Any], dict[str, Any]]:
    hints = _hints(cls)
    plan = [(f.name, _plain_writer(hints[f.name], tagged)) for f in dataclasses.fields(cls)]

    def write(record: Any) -> dict[str, Any]:
        return {name: getattr(record, name) if convert is None else convert(getattr(record, name))
                for name, convert in plan}

    return write


@cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _reader_for(hint: Any) -> Callable[[Any], Any] | None:
    """How to read a field of this type from a datum, or None when the value is used as it is."""
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        (inner,) = [arg for arg in typing.get_args(hint) if arg is not type(None)]
        read = _reader_for(inner)
        return None if read is None else (lambda value: None if value is None else read(value))
    if origin is tuple:
        item = _reader_for(typing.get_args(hint)[0])
        return tuple if item is None else (lambda values: tuple(item(v) for v in values))
    if origin in (Mapping, dict) or hint is Mapping:
        return dict
    if isinstance(hint, type):
        if dataclasses.is_dataclass(hint):
            return lambda value: from_datum(hint, value)
        if issubclass(hint, Enum):
            return hint
        if hint is Decimal:
            return lambda value: tidy(value if isinstance(value, Decimal) else Decimal(str(value)))
        if hint is datetime:
            return lambda value: datetime.fromisoformat(value) if isinstance(value, str) else value
        if hint is bytes:
            return lambda value: value.encode("utf-8") if isinstance(value, str) else value
    return None


@cache
def _reader(cls: type) -> list[tuple[str, Callable[[Any], Any] | None]]:
    hints = _hints(cls)
    return [(f.name, _reader_for(hints[f.name])) for f in dataclasses.fields(cls)]  # type: ignore[arg-type]


def from_datum(cls: type[_R], datum: Mapping[str, Any]) -> _R:
    """A record of class `cls` from its datum; fields the datum lacks take their defaults."""
    kwargs = {}
    for name, read in _reader(cls):
        if name in datum:
            value = datum[name]
            kwargs[name] = value if read is None or value is None else read(value)
    return cls(**kwargs)


def to_json(record: Any) -> Any:
    """A record as JSON-ready data: decimals as strings, times in ISO 8601, bytes as UTF-8 text."""
    def plain(value: Any) -> Any:
        if isinstance(value, dict):
            return {key: plain(item) for key, item in value.items()}
        if isinstance(value, list):
            return [plain(item) for item in value]
        if isinstance(value, Decimal):
            return str(value)
        if isinstance(value, datetime):
            return value.isoformat()
        if isinstance(value, bytes):
            return value.decode("utf-8", errors="replace")
        return value

    return plain(to_datum(record))
