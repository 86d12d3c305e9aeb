"""What an audit counts: outcomes per status, provider, seller and invoice type, and the money issued."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from fapiao.audit.ledger import Ledger, SerialLog
from fapiao.schemas.convert import tidy

__all__ = ["Row", "Summary", "summarize"]

_ZERO = Decimal("0.00")


@dataclass(frozen=True)
class Row:
    """One requested serial, as a finance person reads it (no buyer data: it can be personal)."""

    serial: str
    status: str  # the result's status, or the lifecycle status while in progress
    provider: str | None
    seller_tax_id: str | None
    invoice_type: str | None
    requested_at: datetime
    finished_at: datetime | None  # when the result was written
    invoice_number: str | None = None
    total_amount: Decimal | None = None
    total_tax: Decimal | None = None

    @property
    def terminal(self) -> bool:
        return self.finished_at is not None

    @property
    def latency_s(self) -> float | None:
        return (self.finished_at - self.requested_at).total_seconds() if self.finished_at else None


@dataclass
class Summary:
    rows: list[Row]
    dlq: int
    records: int
    by_status: Counter[str] = field(default_factory=Counter)
    by_provider: Counter[str] = field(default_factory=Counter)
    by_seller: Counter[str] = field(default_factory=Counter)
    by_invoice_type: Counter[str] = field(default_factory=Counter)
    issued_amount: Decimal = _ZERO
    issued_tax: Decimal = _ZERO

    def count(self, status: str) -> int:
        return self.by_status.get(status, 0)

    @property
    def in_progress(self) -> list[Row]:
        return [row for row in self.rows if not row.terminal]

    def to_json(self, now: datetime) -> dict[str, object]:
        return {
            "requests": len(self.rows), "issued": self.count("issued"), "rejected": self.count("rejected"),
            "failed": self.count("failed"), "in_progress": len(self.in_progress), "dlq": self.dlq,
            "records": self.records,
            "by_status": dict(self.by_status), "by_provider": dict(self.by_provider),
            "by_seller": dict(self.by_seller), "by_invoice_type": dict(self.by_invoice_type),
            "issued_amount": str(self.issued_amount), "issued_tax": str(self.issued_tax),
            "oldest_in_progress_s": max((round((now - row.requested_at).total_seconds(), 1)
                                         for row in self.in_progress), default=None),
        }


def _row(log: SerialLog) -> Row | None:
    request = log.request
    if request is None:
        return None  # a result without a request is an invariant's business, not a count
    seen = log.result
    if seen is None:
        state = log.state()
        return Row(log.serial, state.status.value if state else "received", request.provider, request.seller_tax_id,
                   request.invoice_type, request.at, None)
    invoice = seen["invoice"] or {}
    return Row(log.serial, seen["status"], request.provider or seen["provider"],
               request.seller_tax_id or seen["seller_tax_id"], request.invoice_type or seen["invoice_type"],
               request.at, seen["at"], invoice.get("number"), _money(seen["total_amount"]), _money(seen["total_tax"]))


def _money(value: Decimal | None) -> Decimal | None:
    return tidy(value) if value is not None else None  # the wire's fixed scale, back to the places written


def summarize(ledger: Ledger) -> Summary:
    """Counts over the serials that have a request; totals over their issued results."""
    rows = sorted((row for row in map(_row, ledger.serials.values()) if row is not None),
                  key=lambda row: (row.requested_at, row.serial))
    summary = Summary(rows, dlq=len(ledger.facts.dlq), records=ledger.facts.records)
    for row in rows:
        summary.by_status[row.status] += 1
        summary.by_provider[row.provider or "?"] += 1
        summary.by_seller[row.seller_tax_id or "?"] += 1
        summary.by_invoice_type[row.invoice_type or "?"] += 1
        if row.status == "issued":
            summary.issued_amount += row.total_amount or _ZERO
            summary.issued_tax += row.total_tax or _ZERO
    return summary
