"""Builders for the streams tests (the conftest turns them into fixtures; property tests import them)."""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from fapiao.samples import valid_request
from fapiao.schemas.records import (
    Finding,
    InvoiceRequest,
    InvoiceState,
    Severity,
    Signal,
    SignalKind,
    Status,
)
from fapiao.schemas.requests import fingerprint, parse_request

T0 = datetime(2025, 3, 11, 4, 6, 51, tzinfo=timezone.utc)
# What a blue serial can be and be told; reds have statuses and signals of their own (test_red_*.py).
BLUE_STATUSES = tuple(s for s in Status if s not in (
    Status.RESERVING, Status.AWAITING_COUNTERPARTY, Status.CONFIRMED,
    Status.REVOKING, Status.CANCELLING, Status.WITHDRAWN, Status.RED_FLUSHED))
BLUE_KINDS = tuple(k for k in SignalKind if k is not SignalKind.FORM and not k.value.startswith("red_"))
SERIAL = "SO20250311000001"


def build_request(serial: str = SERIAL, provider: str = "kingdee", **changes: Any) -> InvoiceRequest:
    """A valid request from fapiao.samples, through JSON with exact decimals, as the ERP would send it."""
    shape = json.loads(json.dumps(valid_request(serial, provider)), parse_float=Decimal)
    request, findings = parse_request(shape)
    assert request is not None, findings
    return dataclasses.replace(request, **changes)


def build_signal(kind: SignalKind, serial: str = SERIAL, at: datetime = T0, source: str = "issue",
                 attempt: int = 0, **fields: Any) -> Signal:
    """A signal; a REQUEST carries a valid request and its fingerprint unless told otherwise."""
    if kind is SignalKind.REQUEST and "request" not in fields:
        fields["request"] = build_request(serial)
    if kind is SignalKind.REQUEST and "fingerprint" not in fields and fields["request"] is not None:
        fields["fingerprint"] = fingerprint(fields["request"])
    return Signal(serial=serial, kind=kind, at=at, source=source, attempt=attempt, **fields)


def build_state(status: Status, attempt: int = 2, serial: str = SERIAL, seq: int = 7,
                due_at: datetime | None = T0 + timedelta(seconds=30), **fields: Any) -> InvoiceState:
    """A state row in `status`, as if seven transitions had happened already."""
    request = fields.pop("request", build_request(serial))
    return InvoiceState(serial=serial, status=status, seq=seq, created_at=T0 - timedelta(minutes=1),
                        updated_at=T0 - timedelta(seconds=1), attempt=attempt, provider=request.provider,
                        request=request, fingerprint=fingerprint(request), due_at=due_at, **fields)


def finding(code: str, severity: Severity = Severity.ERROR, field: str = "serial") -> Finding:
    return Finding(code, field, severity, f"{code} 中文", f"{code} in English")


def no_findings(request: InvoiceRequest) -> list[Finding]:
    return []
