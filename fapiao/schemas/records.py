"""The records that cross topics, as frozen dataclasses: the shapes of the Avro contracts in this folder.

Money, rates, quantities and prices are `Decimal` everywhere. Times are aware UTC `datetime`s.
These types carry no behaviour beyond conversion to and from plain dicts (the Avro/JSON shape);
rules live in `fapiao.streams`, I/O in `fapiao.connectors`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Mapping

__all__ = [
    "Party",
    "Line",
    "InvoiceRequest",
    "Finding",
    "Severity",
    "InvoiceInfo",
    "Signal",
    "SignalKind",
    "InvoiceEvent",
    "EventType",
    "InvoiceResult",
    "Status",
    "CallbackRecord",
    "HistoryEntry",
    "InvoiceState",
    "INVOICE_TYPES",
    "PROVIDERS",
]

PROVIDERS = ("kingdee", "yipiaoyun")

INVOICE_TYPES = (
    "digital_special",  # 数电专票
    "digital_normal",  # 数电普票
    "special",  # 增值税专用发票 (tax device)
    "normal",  # 增值税普通发票 (tax device)
    "electronic_special",  # 电子专票
    "electronic_normal",  # 电子普票
    "roll",  # 卷式发票
)


@dataclass(frozen=True, slots=True)
class Party:
    """Seller or buyer. `kind` is "company" or "individual" for a buyer, None for a seller."""

    name: str
    tax_id: str | None = None
    kind: str | None = None
    address: str | None = None
    phone: str | None = None
    bank: str | None = None
    bank_account: str | None = None
    email: str | None = None
    mobile: str | None = None


@dataclass(frozen=True, slots=True)
class Line:
    """One invoice line. `amount` is tax-exclusive; `unit_price` too."""

    name: str
    tax_code: str
    tax_rate: Decimal
    amount: Decimal
    tax_amount: Decimal
    quantity: Decimal | None = None
    unit_price: Decimal | None = None
    unit: str | None = None
    specification: str | None = None
    kind: str = "normal"  # normal | discount | discounted
    policy: str | None = None  # 优惠政策 code, e.g. "03" 免税
    goods_id: str | None = None  # a provider-side goods identifier


@dataclass(frozen=True, slots=True)
class InvoiceRequest:
    """What the ERP publishes on `fapiao.requests`, one per serial (发票流水号)."""

    serial: str
    provider: str
    invoice_type: str
    seller: Party
    buyer: Party
    lines: tuple[Line, ...]
    total_amount: Decimal
    total_tax: Decimal
    total_with_tax: Decimal
    remark: str | None = None
    drawer: str | None = None
    payee: str | None = None
    reviewer: str | None = None
    order_no: str | None = None
    erp_order_no: str | None = None
    source: str | None = None
    requested_at: datetime | None = None
    options: Mapping[str, str] = field(default_factory=dict)


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class Finding:
    """One thing wrong (or doubtful) with a request, addressed to the ERP."""

    code: str
    field: str
    severity: Severity
    message_zh: str
    message_en: str


@dataclass(frozen=True, slots=True)
class InvoiceInfo:
    """What a provider says about an issued invoice (or an application's H5 link)."""

    number: str | None = None
    code: str | None = None
    issued_at: str | None = None  # provider's own text, e.g. "2024-03-11 12:06:51"
    pdf_url: str | None = None
    ofd_url: str | None = None
    xml_url: str | None = None
    h5_url: str | None = None
    total_amount: Decimal | None = None
    total_tax: Decimal | None = None


class SignalKind(StrEnum):
    """What the invoice agent is told. Everything that changes a serial's state arrives as one of these."""

    REQUEST = "request"  # the ERP's request (parsed), re-keyed by serial
    ACCEPTED = "accepted"  # provider took the submission; result comes later
    ISSUED = "issued"  # provider says the invoice exists
    PENDING = "pending"  # provider says 开票中
    FAILED = "failed"  # blocking: provider rejected it, with code and message
    RETRYABLE = "retryable"  # nothing happened at the provider; safe to send again later
    SESSION = "session"  # seller cannot issue now (no tax device online, bureau login lost)
    IN_DOUBT = "in_doubt"  # the provider may or may not have it (timeout after send)
    NOT_FOUND = "not_found"  # a query found no such serial at the provider
    DUE = "due"  # the reconcile timer: a waiting serial's time has come


@dataclass(frozen=True, slots=True)
class Signal:
    """An input to the lifecycle fold, keyed by serial on `fapiao.signals`."""

    serial: str
    kind: SignalKind
    at: datetime
    source: str  # "intake", "issue", "callback", "reconcile"
    attempt: int = 0  # the submission attempt this answers (0: not about an attempt)
    request: InvoiceRequest | None = None
    findings: tuple[Finding, ...] = ()
    fingerprint: str | None = None  # sha256 of the request's canonical content
    code: str | None = None  # provider code
    message: str | None = None  # provider message
    invoice: InvoiceInfo | None = None
    origin: str | None = None  # "topic[partition]@offset" of the record it came from


class EventType(StrEnum):
    """Transitions written to `fapiao.events`; replaying them rebuilds every serial's state."""

    RECEIVED = "received"
    REJECTED = "rejected"
    VALIDATED = "validated"
    SUBMITTING = "submitting"
    ACCEPTED = "accepted"
    RETRY_WAIT = "retry_wait"
    IN_DOUBT = "in_doubt"
    QUERYING = "querying"
    ISSUED = "issued"
    FAILED = "failed"
    PAUSED = "paused"
    DUPLICATE_REQUEST = "duplicate_request"
    SERIAL_CONFLICT = "serial_conflict"
    ORPHAN_CALLBACK = "orphan_callback"


@dataclass(frozen=True, slots=True)
class InvoiceEvent:
    """One transition of one serial. `seq` counts from 1, gapless per serial."""

    serial: str
    seq: int
    type: EventType
    at: datetime
    provider: str | None = None
    attempt: int = 0
    request: InvoiceRequest | None = None  # on `received`, so the log alone can rebuild state
    fingerprint: str | None = None
    findings: tuple[Finding, ...] = ()
    code: str | None = None
    message: str | None = None
    invoice: InvoiceInfo | None = None
    due_at: datetime | None = None  # when a waiting serial should be looked at again
    origin: str | None = None


class Status(StrEnum):
    """A serial's lifecycle state (see DESIGN.md, "Lifecycle of a serial")."""

    RECEIVED = "received"
    REJECTED = "rejected"
    VALIDATED = "validated"
    SUBMITTING = "submitting"
    ACCEPTED = "accepted"
    RETRY_WAIT = "retry_wait"
    IN_DOUBT = "in_doubt"
    QUERYING = "querying"
    PAUSED = "paused"
    ISSUED = "issued"
    FAILED = "failed"

    @property
    def terminal(self) -> bool:
        return self in (Status.ISSUED, Status.FAILED, Status.REJECTED)


@dataclass(frozen=True, slots=True)
class InvoiceResult:
    """The terminal summary of one serial on `fapiao.results`, for the ERP and downstream readers."""

    serial: str
    status: Status
    at: datetime
    provider: str | None = None
    invoice_type: str | None = None
    seller_tax_id: str | None = None
    invoice: InvoiceInfo | None = None
    total_amount: Decimal | None = None
    total_tax: Decimal | None = None
    total_with_tax: Decimal | None = None
    errors: tuple[Finding, ...] = ()
    code: str | None = None
    message: str | None = None
    order_no: str | None = None
    erp_order_no: str | None = None
    attempts: int = 0
    fingerprint: str | None = None


@dataclass(frozen=True, slots=True)
class CallbackRecord:
    """A provider webhook POST exactly as the gateway received it, for `fapiao.callbacks`."""

    provider: str
    route: str
    received_at: datetime
    remote_addr: str
    headers: Mapping[str, str]
    body: bytes
    serial: str | None = None
    verdict: str = "accepted"  # accepted | malformed | rejected (signature, secret)
    reason: str | None = None



@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """One past transition, kept in the state row so support can see a serial's story without the log."""

    seq: int
    type: EventType
    at: datetime
    attempt: int = 0
    code: str | None = None
    message: str | None = None


@dataclass(frozen=True, slots=True)
class InvoiceState:
    """A serial's row in the state table: the fold of its events so far."""

    serial: str
    status: Status
    seq: int
    created_at: datetime
    updated_at: datetime
    attempt: int = 0
    provider: str | None = None
    request: InvoiceRequest | None = None
    fingerprint: str | None = None
    findings: tuple[Finding, ...] = ()
    code: str | None = None
    message: str | None = None
    invoice: InvoiceInfo | None = None
    due_at: datetime | None = None
    history: tuple[HistoryEntry, ...] = ()
