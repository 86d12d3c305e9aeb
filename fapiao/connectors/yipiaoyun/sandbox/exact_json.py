"""JSON whose numbers keep their exact digits both ways, as the sandbox reads requests and writes answers.

票申 carries money as JSON numbers (Double in its docs, providers.md §2.2). Read as floats, 24.80 could come
back as 24.800000000000001; so every fraction is read as a Decimal and a Decimal is written as its own
digits. A float never reaches an answer: writing one is a bug, and raises.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

__all__ = ["read", "write"]


def read(body: bytes) -> Any:
    """The JSON value of `body`, fractions as Decimals. Raises ValueError on anything that is not JSON."""
    return json.loads(body, parse_float=Decimal)


def write(value: Any) -> bytes:
    """`value` (dicts, lists, str, int, Decimal, bool, None) as compact UTF-8 JSON."""
    return _json(value).encode("utf-8")


def _json(value: Any) -> str:
    match value:
        case None | bool() | str():
            return json.dumps(value, ensure_ascii=False)
        case int():
            return str(value)
        case Decimal() if value.is_finite():
            return str(value)  # e.g. "24.80" or "1E+2": valid JSON numbers, read back to the same Decimal
        case dict():
            return "{" + ",".join(f"{json.dumps(str(k), ensure_ascii=False)}:{_json(v)}" for k, v in value.items()) + "}"
        case list() | tuple():
            return "[" + ",".join(_json(item) for item in value) + "]"
    raise TypeError(f"not written to JSON by the sandbox: {type(value).__name__} {value!r}")
