"""The facts an audit works on: every record read from the five topics, decoded, with where it was.

Pure data. `fapiao.audit.reader` fills it from Kafka; tests build it by hand.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from datetime import datetime
from decimal import Decimal
from typing import Any, Generic, Mapping, TypeVar

from fapiao.schemas.codec import Codec
from fapiao.schemas.convert import from_datum
from fapiao.schemas.records import CallbackRecord, InvoiceEvent, InvoiceResult

__all__ = ["Position", "Seen", "RequestFact", "DlqFact", "Facts", "Violation"]

_R = TypeVar("_R")
_CODEC = Codec()  # single-object encoding: no registry, no I/O


@dataclass(frozen=True, order=True)
class Position:
    """Where a record sits: topic, partition, offset."""

    topic: str
    partition: int
    offset: int

    def __str__(self) -> str:
        # The same spelling as an event's `origin`, so the two can be compared as text.
        return f"{self.topic}[{self.partition}]@{self.offset}"


@dataclass(frozen=True, eq=False)
class Seen(Generic[_R]):
    """A record read from a topic, with the broker's timestamp of it.

    It is kept as its Avro datum and decoded into `record` only when asked: most checks read a
    field or two (`seen["seq"]`, enums as their text), and full decoding would dominate the audit.
    """

    kind: type[_R]
    datum: Mapping[str, Any]
    at: datetime
    position: Position

    @classmethod
    def of(cls, record: _R, at: datetime, position: Position) -> "Seen[_R]":
        """A record as the reader would have seen it: through the wire format and back."""
        name = type(record).__name__.removesuffix("Record")
        return cls(type(record), _CODEC.decode_datum(_CODEC.encode(record), name), at, position)

    def __getitem__(self, name: str) -> Any:
        return self.datum[name]

    @cached_property
    def record(self) -> _R:
        return from_datum(self.kind, self.datum)


@dataclass(frozen=True)
class RequestFact:
    """A record of `fapiao.requests`: the fields the audit counts by, read from its datum."""

    serial: str | None  # None: no serial to key it by (a DLQ record is due)
    at: datetime
    position: Position
    provider: str | None = None
    seller_tax_id: str | None = None
    invoice_type: str | None = None
    totals: tuple[Decimal, Decimal, Decimal] | None = None  # amount, tax, with tax; None when not numbers
    kind: str = "blue"  # blue | red | red_cancel (anything else: a rejection is due)
    original_serial: str | None = None  # a red's blue, a red_cancel's red


@dataclass(frozen=True)
class DlqFact:
    """A record of `fapiao.dlq`: where its original came from, and what is at that place now."""

    source: Position
    stage: str
    reason: str
    at: datetime
    position: Position
    key: str | None
    value: bytes | None  # the original bytes the DLQ record carries
    found: bytes | None = None  # the bytes at `source` when the audit looked; None: nothing there
    source_checked: bool = False


@dataclass
class Facts:
    """Everything read, in log order per partition. `since`/`until` bound the window when given."""

    now: datetime
    since: datetime | None = None
    until: datetime | None = None
    requests: list[RequestFact] = field(default_factory=list)
    events: list[Seen[InvoiceEvent]] = field(default_factory=list)
    results: list[Seen[InvoiceResult]] = field(default_factory=list)
    callbacks: list[Seen[CallbackRecord]] = field(default_factory=list)
    dlq: list[DlqFact] = field(default_factory=list)
    undecodable: list[tuple[Position, str]] = field(default_factory=list)

    @property
    def records(self) -> int:
        return (len(self.requests) + len(self.events) + len(self.results) + len(self.callbacks)
                + len(self.dlq) + len(self.undecodable))


@dataclass(frozen=True)
class Violation:
    """One invariant that does not hold: its name, the serials that break it, and what was seen."""

    name: str
    serials: tuple[str, ...]
    detail: str

    def to_json(self) -> dict[str, object]:
        return {"name": self.name, "serials": list(self.serials), "detail": self.detail}
