"""Builders for the schema tests: one record of every type, requests from fapiao.samples, a registry stub.

The conftest turns them into fixtures; hypothesis strategies import them directly.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from fapiao.samples import valid_request
from fapiao.schemas.records import (
    CallbackRecord,
    EventType,
    Finding,
    HistoryEntry,
    InvoiceEvent,
    InvoiceInfo,
    InvoiceRequest,
    InvoiceResult,
    InvoiceState,
    Line,
    Party,
    Severity,
    Signal,
    SignalKind,
    Status,
)
from fapiao.schemas.requests import fingerprint, parse_request

T0 = datetime(2025, 3, 11, 4, 6, 51, 123000, tzinfo=timezone.utc)  # millisecond precision, as on the wire


def request_shape(serial: str = "SO20250311000001", provider: str = "kingdee", seed: int | None = None,
                  **changes: Any) -> dict[str, Any]:
    """A valid request in its JSON shape, read back as an ERP's JSON would be (exact decimals)."""
    rng = random.Random(serial if seed is None else seed)
    shape = json.loads(json.dumps(valid_request(serial, provider, rng)), parse_float=Decimal)
    shape.update(changes)
    return shape  # type: ignore[no-any-return]


def build_request(serial: str = "SO20250311000001", provider: str = "kingdee", seed: int | None = None,
                  **changes: Any) -> InvoiceRequest:
    request, findings = parse_request(request_shape(serial, provider, seed, **changes))
    assert request is not None, findings
    return request


FINDING = Finding("total_with_tax_mismatch", "total_with_tax", Severity.ERROR, "价税合计不等于合计金额加合计税额",
                  "total_with_tax is not total_amount + total_tax")
INFO = InvoiceInfo(number="24442000000012345678", code="044001900111", issued_at="2025-03-11 12:06:51",
                   pdf_url="https://example.com/1.pdf", ofd_url="https://example.com/1.ofd",
                   xml_url="https://example.com/1.xml", h5_url="https://example.com/h5/1",
                   total_amount=Decimal("1234.56"), total_tax=Decimal("74.07"))


def every_record(request: InvoiceRequest | None = None) -> list[Any]:
    """One fully populated record of every type the codec writes."""
    request = request or build_request(requested_at=T0.isoformat())
    history = (HistoryEntry(seq=1, type=EventType.RECEIVED, at=T0),
               HistoryEntry(seq=2, type=EventType.RETRY_WAIT, at=T0, attempt=1, code="503", message="busy"))
    return [
        request,
        request.seller,
        request.lines[0],
        FINDING,
        INFO,
        history[1],
        Signal(serial=request.serial, kind=SignalKind.REQUEST, at=T0, source="intake", attempt=0, request=request,
               findings=(FINDING,), fingerprint=fingerprint(request), code="c", message="m", invoice=INFO,
               origin="fapiao.requests[3]@42"),
        InvoiceEvent(serial=request.serial, seq=3, type=EventType.SUBMITTING, at=T0, provider="kingdee", attempt=1,
                     request=request, fingerprint="ab" * 32, findings=(FINDING,), code="c", message="m", invoice=INFO,
                     due_at=T0 + timedelta(seconds=30), origin="fapiao.signals[1]@7"),
        InvoiceResult(serial=request.serial, status=Status.ISSUED, at=T0, provider="kingdee",
                      invoice_type=request.invoice_type, seller_tax_id=request.seller.tax_id, invoice=INFO,
                      total_amount=request.total_amount, total_tax=request.total_tax,
                      total_with_tax=request.total_with_tax, errors=(FINDING,), code="0000", message="开票成功",
                      order_no="PO-1", erp_order_no="SO-1", attempts=2, fingerprint="cd" * 32),
        InvoiceState(serial=request.serial, status=Status.ACCEPTED, seq=5, created_at=T0,
                     updated_at=T0 + timedelta(seconds=1), attempt=2, provider="kingdee", request=request,
                     fingerprint="ef" * 32, findings=(FINDING,), code="c", message="m", invoice=INFO,
                     due_at=T0 + timedelta(seconds=15), history=history),
        CallbackRecord(provider="yipiaoyun", route="/callbacks/yipiaoyun", received_at=T0, remote_addr="10.0.0.9",
                       headers={"content-type": "application/json", "x-sign": "abc"},
                       body='{"serial":"S1","状态":"成功"}'.encode(), serial="S1", verdict="accepted", reason=None),
    ]


def minimal_records() -> list[Any]:
    """One record of every type with only what is required: defaults must survive the wire too."""
    party = Party(name="张三")
    line = Line(name="服务", tax_code="3040201010000000000", tax_rate=Decimal("0.06"), amount=Decimal("1.00"),
                tax_amount=Decimal("0.06"))
    request = InvoiceRequest(serial="S", provider="kingdee", invoice_type="digital_normal", seller=party,
                             buyer=party, lines=(line,), total_amount=Decimal("1.00"), total_tax=Decimal("0.06"),
                             total_with_tax=Decimal("1.06"))
    return [request, party, line, Finding("c", "", Severity.WARNING, "", ""), InvoiceInfo(), HistoryEntry(seq=1, type=EventType.RECEIVED, at=T0),
            Signal(serial="S", kind=SignalKind.DUE, at=T0, source="reconcile"),
            InvoiceEvent(serial="S", seq=1, type=EventType.RECEIVED, at=T0),
            InvoiceResult(serial="S", status=Status.REJECTED, at=T0),
            InvoiceState(serial="S", status=Status.RECEIVED, seq=0, created_at=T0, updated_at=T0),
            CallbackRecord(provider="kingdee", route="/cb", received_at=T0, remote_addr="::1", headers={}, body=b"")]


@dataclass
class RegistryStub:
    """The two callables a Codec takes for the Confluent format, over an in-memory subject store."""

    schemas: dict[int, str] = field(default_factory=dict)
    subjects: dict[str, list[int]] = field(default_factory=dict)
    first_id: int = 100

    def register(self, subject: str, schema: dict[str, Any]) -> int:
        text = json.dumps(schema, sort_keys=True)  # what goes over HTTP
        for schema_id, known in self.schemas.items():
            if known == text:
                break
        else:
            schema_id = self.first_id + len(self.schemas)
            self.schemas[schema_id] = text
        self.subjects.setdefault(subject, []).append(schema_id)
        return schema_id

    def lookup(self, schema_id: int) -> dict[str, Any]:
        return json.loads(self.schemas[schema_id])  # type: ignore[no-any-return]
