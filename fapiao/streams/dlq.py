"""Dead-letter records: the original bytes, where they came from and why they could not be handled."""

from __future__ import annotations

import base64
import json
from typing import Any

from fapiao import clock

__all__ = ["dead_letter"]


def dead_letter(*, topic: str, partition: int, offset: int, key: bytes | None, value: bytes | None,
                reason: str, stage: str) -> bytes:
    """A JSON DLQ record; the original key and value are kept byte for byte (Base64)."""
    record: dict[str, Any] = {
        "topic": topic, "partition": partition, "offset": offset, "stage": stage, "reason": reason[:2000],
        "at": clock.now().isoformat(),
        "key_b64": base64.b64encode(key).decode("ascii") if key is not None else None,
        "value_b64": base64.b64encode(value).decode("ascii") if value is not None else None,
    }
    return json.dumps(record, ensure_ascii=False).encode("utf-8")
