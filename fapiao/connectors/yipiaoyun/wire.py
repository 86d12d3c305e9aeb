"""JSON on the wire with exact decimals: `Decimal` is written as a JSON number from its digits, never via float.

The vendor documents its money fields as Double; a float round trip would turn 24.8 into 24.800000000000001
on some paths, so we print the decimal's own digits, and read numbers back as `Decimal`.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

__all__ = ["dumps", "loads"]


def _encode(value: Any) -> str:
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"{value} is not a JSON number")
        return format(value, "f")
    if isinstance(value, dict):
        return "{" + ",".join(f"{json.dumps(str(k), ensure_ascii=False)}:{_encode(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(_encode(v) for v in value) + "]"
    if isinstance(value, float):
        raise TypeError("refusing a binary float on the wire: use Decimal")
    return json.dumps(value, ensure_ascii=False)


def dumps(value: Any) -> bytes:
    """UTF-8 JSON; decimals exact, floats refused."""
    return _encode(value).encode("utf-8")


def loads(body: bytes | str) -> Any:
    """Parse JSON with every non-integer number as `Decimal`."""
    return json.loads(body, parse_float=Decimal)
