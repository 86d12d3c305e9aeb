"""An index filled by hand from synthetic lifecycles, as the feed would fill it from the topics."""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal
from itertools import count

from fapiao.audit.model import DlqFact, Position, RequestFact, Seen
from fapiao.audit.synthetic import Lifecycle
from fapiao.console.index import Index

T0 = datetime(2024, 3, 11, 8, 0, tzinfo=timezone.utc)
_offsets = count()


def at(topic: str) -> Position:
    return Position(topic, 0, next(_offsets))


def request_fact(item: Lifecycle) -> RequestFact:
    request = item.request
    totals = tuple(Decimal(request[k]) for k in ("total_amount", "total_tax", "total_with_tax"))
    return RequestFact(item.serial, item.events[0].at if item.events else T0, at("f.requests"),
                       request.get("provider"), (request.get("seller") or {}).get("tax_id"),
                       request.get("invoice_type"), totals)  # type: ignore[arg-type]


def fill(index: Index, *items: Lifecycle) -> Index:
    """File each lifecycle's request, events and result, in that order."""
    for item in items:
        index.add("requests", request_fact(item))
        for event in item.events:
            index.add("events", Seen.of(event, event.at, at("f.events")))
        if item.result is not None:
            index.add("results", Seen.of(item.result, item.result.at, at("f.results")))
    return index


def dead(key: str | None, value: bytes, reason: str = "not JSON") -> DlqFact:
    return DlqFact(Position("f.requests", 0, 7), "intake", reason, T0, at("f.dlq"), key, value)
