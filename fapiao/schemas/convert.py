"""Records to plain dicts (the Avro datum shape) and back, driven by the dataclasses' type hints."""

from __future__ import annotations

import dataclasses
import types
import typing
from datetime import datetime
from decimal import Decimal
from enum import Enum
from functools import cache
from typing import Any, Mapping, TypeVar

__all__ = ["to_datum", "from_datum", "tidy", "to_json"]

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
    """A record as the nested dict/list shape fastavro writes (enums as their string values)."""
    if dataclasses.is_dataclass(record) and not isinstance(record, type):
        return {f.name: to_datum(getattr(record, f.name)) for f in dataclasses.fields(record)}
    if isinstance(record, Enum):
        return record.value
    if isinstance(record, (list, tuple)):
        return [to_datum(item) for item in record]
    if isinstance(record, Mapping):
        return {key: to_datum(value) for key, value in record.items()}
    return record


@cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _build(hint: Any, value: Any) -> Any:
    if value is None:
        return None
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        (inner,) = [arg for arg in typing.get_args(hint) if arg is not type(None)]
        return _build(inner, value)
    if origin is tuple:
        item = typing.get_args(hint)[0]
        return tuple(_build(item, v) for v in value)
    if origin in (Mapping, dict) or hint is Mapping:
        return dict(value)
    if isinstance(hint, type):
        if dataclasses.is_dataclass(hint):
            return from_datum(hint, value)
        if issubclass(hint, Enum):
            return hint(value)
        if hint is Decimal:
            return tidy(value if isinstance(value, Decimal) else Decimal(str(value)))
        if hint is datetime and isinstance(value, str):
            return datetime.fromisoformat(value)
        if hint is bytes and isinstance(value, str):
            return value.encode("utf-8")
    return value


def from_datum(cls: type[_R], datum: Mapping[str, Any]) -> _R:
    """A record of class `cls` from its datum; fields the datum lacks take their defaults."""
    hints = _hints(cls)
    kwargs = {f.name: _build(hints[f.name], datum[f.name])
              for f in dataclasses.fields(cls) if f.name in datum}  # type: ignore[arg-type]
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
