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
    "RequestKind",
    "RED_REASONS",
    "RED_FORM_STATUSES",
    "RedForm",
    "RedLine",
    "RedOrder",
    "RedEntry",
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
    """One invoice line. `amount` is tax-exclusive; `unit_price` too.

    A blue line states name, tax code and rate; a red one may leave them to the blue line it names.
    """

    name: str | None
    tax_code: str | None
    tax_rate: Decimal | None
    amount: Decimal
    tax_amount: Decimal
    quantity: Decimal | None = None
    unit_price: Decimal | None = None
    unit: str | None = None
    specification: str | None = None
    kind: str = "normal"  # normal | discount | discounted
    policy: str | None = None  # 优惠政策 code, e.g. "03" 免税
    goods_id: str | None = None  # a provider-side goods identifier
    original_line: int | None = None  # on a red: the 1-based line of the blue it takes back


class RequestKind(StrEnum):
    """What an InvoiceRequest asks for; a request without `kind` is blue, as before reds existed."""

    BLUE = "blue"
    RED = "red"  # take back (part of) an issued blue: 红字发票
    RED_CANCEL = "red_cancel"  # withdraw a red whose 红字确认单 still awaits the counterparty


# The tax bureau's red reasons (红冲原因). Providers number them differently: each connector maps them.
RED_REASONS = {"01": ("开票有误", "issued in error"), "02": ("销货退回", "goods returned"),
               "03": ("服务中止", "service stopped"), "04": ("销售折让", "sales allowance")}

# The tax bureau's 红字确认单 statuses, named in Chinese as its refusals quote them ("当前红字发票确认单状态为：…")
# and in English. One table for the fold and every connector; what a status means for a red (issue it,
# wait, give up) each decides in its own module, and a test holds every decision to this table.
# 11 is listed by one bureau front end only (../shared/red-letter.md); a provider's own statuses
# (Nuonuo's 15 申请中, 16 申请失败) are not the bureau's and are not here.
RED_FORM_STATUSES = {
    "01": ("无需确认", "needs no confirmation"),
    "02": ("销方录入待购方确认", "raised by the seller, awaiting the buyer"),
    "03": ("购方录入待销方确认", "raised by the buyer, awaiting the seller"),
    "04": ("购销双方已确认", "confirmed by both sides"),
    "05": ("作废（销方录入购方否认）", "void: the buyer refused"),
    "06": ("作废（购方录入销方否认）", "void: the seller refused"),
    "07": ("作废（超72小时未确认）", "void: not confirmed within 72 hours"),
    "08": ("作废（发起方已撤销）", "void: revoked by whoever raised it"),
    "09": ("作废（确认后撤销）", "void: revoked after confirmation"),
    "10": ("作废（异常凭证）", "void: abnormal voucher"),
    "11": ("作废（纳税人状态异常阻断）", "void: taxpayer status blocked"),
}


@dataclass(frozen=True, slots=True)
class InvoiceRequest:
    """What the ERP publishes on `fapiao.requests`, one per serial (发票流水号).

    A blue request states everything. A red one (`kind` "red") names its blue by `original_serial` and a
    `red_reason`; it may leave out provider, invoice type, seller and buyer (they come from the blue),
    its lines (take back all that remains) and then its totals. A `red_cancel` names the red to withdraw.
    """

    serial: str
    provider: str | None
    invoice_type: str | None
    seller: Party | None
    buyer: Party | None
    lines: tuple[Line, ...]
    total_amount: Decimal | None
    total_tax: Decimal | None
    total_with_tax: Decimal | None
    remark: str | None = None
    drawer: str | None = None
    payee: str | None = None
    reviewer: str | None = None
    order_no: str | None = None
    erp_order_no: str | None = None
    source: str | None = None
    requested_at: datetime | None = None
    options: Mapping[str, str] = field(default_factory=dict)
    kind: RequestKind = RequestKind.BLUE
    original_serial: str | None = None  # red: the blue's serial; red_cancel: the red's serial
    red_reason: str | None = None  # a key of RED_REASONS


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


@dataclass(frozen=True, slots=True)
class RedForm:
    """A 红字确认单 (red-letter confirmation form) as the provider last described it."""

    number: str | None = None  # 红字确认单编号 (Kingdee redInfoBillNo)
    uuid: str | None = None  # the bureau's id of the form (Kingdee govRedConfirmBillUuid)
    status: str | None = None  # a key of RED_FORM_STATUSES, or a provider's own (see `fapiao.streams.redletter.forms`)
    entered_at: datetime | None = None  # when the form was raised
    deadline: datetime | None = None  # unanswered by then, it lapses (07); None when nobody must answer


@dataclass(frozen=True, slots=True)
class RedLine:
    """What a red takes back of one blue line, or what remains of one: amounts as positive magnitudes.

    Signs are a wire matter: the provider's red lines are negative, and the connector writes them so.
    """

    original_line: int  # 1-based line of the blue
    amount: Decimal
    tax_amount: Decimal
    quantity: Decimal | None = None


@dataclass(frozen=True, slots=True)
class RedOrder:
    """A red the blue's row has granted: everything a provider needs to take back (part of) the blue.

    `request` is the red as the provider must see it: the blue's provider, type, seller and buyer, and
    one negative line per blue line taken back (its `original_line` set), with negative totals.
    """

    request: InvoiceRequest
    original_serial: str
    original_invoice: InvoiceInfo  # the blue's number, code and issue time
    reason: str  # a key of RED_REASONS
    lines: tuple[RedLine, ...]  # what is taken back, positive magnitudes
    whole: bool  # it takes back everything that remained of the blue
    remaining: tuple[RedLine, ...] = ()  # what remains of the blue once this red is issued


@dataclass(frozen=True, slots=True)
class RedEntry:
    """One red as its blue's row tracks it."""

    serial: str
    state: str  # reserved | issued | released | refused
    lines: tuple[RedLine, ...] = ()
    invoice_number: str | None = None


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
    FORM = "form"  # a provider's word on a red's 红字确认单 (`form`), in answer to a revoke
    # Between a red and its blue (`peer` is the other serial), derived from their transitions:
    RED_RESERVE = "red_reserve"  # to the blue: may this red (`request`) take back what it asks?
    RED_GRANTED = "red_granted"  # to the red: yes, as `red` says
    RED_DENIED = "red_denied"  # to the red: no, for `findings`
    RED_SETTLE = "red_settle"  # to the blue: the red was issued (`invoice`)
    RED_RELEASE = "red_release"  # to the blue: the red ended without an invoice; its share is free again
    RED_CANCEL = "red_cancel"  # to the red, from a red_cancel request: withdraw your form
    RED_CANCEL_DONE = "red_cancel_done"  # to the red_cancel: the form was revoked
    RED_CANCEL_REFUSED = "red_cancel_refused"  # to the red_cancel: it could not be, for `findings`


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
    peer: str | None = None  # the other serial of a red and its blue (or of a red_cancel and its red)
    red: RedOrder | None = None
    form: RedForm | None = None
    # a REQUEST's record exactly as the ERP wrote it (JSON or Avro): intake only re-keys it, the fold parses it
    raw: bytes | None = None


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
    # A red's own road (see DESIGN.md, "Red-letter"):
    RESERVING = "reserving"  # asked its blue's row for its share
    AWAITING_COUNTERPARTY = "awaiting_counterparty"  # the form waits for the other party, until its deadline
    CONFIRMED = "confirmed"  # the form needs nobody (01) or was confirmed (04): the red may be issued
    REVOKING = "revoking"  # the form is to be revoked (a provider call), for a red_cancel
    CANCEL_REQUESTED = "cancel_requested"  # a red_cancel asked this red to withdraw (`peer`)
    CANCEL_REFUSED = "cancel_refused"  # ...and it cannot (`findings`)
    # A red_cancel's road:
    CANCELLING = "cancelling"  # asked its red to withdraw
    WITHDRAWN = "withdrawn"  # the red's form was revoked
    # A blue's book of the reds against it:
    RED_RESERVED = "red_reserved"  # a red's share is set aside (`red`)
    RED_REFUSED = "red_refused"  # a red was refused (`findings`)
    RED_SETTLED = "red_settled"  # a red was issued: its share is gone for good
    RED_RELEASED = "red_released"  # a red ended without an invoice: its share is free again
    RED_FLUSHED = "red_flushed"  # nothing remains of the blue: fully taken back


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
    peer: str | None = None  # the other serial of a red pair, on the transitions between them
    red: RedOrder | None = None  # on a red's calls and on `red_reserved`: what is taken back
    form: RedForm | None = None  # what the transition learned of, or sends to, the red's form


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
    # a red's
    RESERVING = "reserving"
    AWAITING_COUNTERPARTY = "awaiting_counterparty"
    CONFIRMED = "confirmed"
    REVOKING = "revoking"
    # a red_cancel's
    CANCELLING = "cancelling"
    WITHDRAWN = "withdrawn"
    # a blue's, once reds took all of it back
    RED_FLUSHED = "red_flushed"

    @property
    def terminal(self) -> bool:
        return self in _TERMINAL


_TERMINAL = frozenset({Status.ISSUED, Status.FAILED, Status.REJECTED, Status.WITHDRAWN, Status.RED_FLUSHED})


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
    kind: RequestKind = RequestKind.BLUE
    original_serial: str | None = None  # a red's blue (a red_cancel's red)
    form: RedForm | None = None  # a red's 红字确认单: number, uuid, last status
    remaining: tuple[RedLine, ...] | None = None  # a red's: what remains of its blue after it


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
    red: RedOrder | None = None  # a red's, once its blue granted it
    form: RedForm | None = None  # a red's 红字确认单 as last heard, with its deadline
    peer: str | None = None  # a red: the red_cancel withdrawing it; a red_cancel: its red
    reds: tuple[RedEntry, ...] = ()  # a blue's: every red against it
