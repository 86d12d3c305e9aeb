"""The issue agent's answer when a worker has no client for a request's provider."""

from __future__ import annotations

from fapiao import clock
from fapiao.schemas.records import EventType, InvoiceEvent, SignalKind
from fapiao.streams.issuing import call_provider
from fapiao.streams.sellers import SellerGate


async def test_an_unconfigured_provider_fails_a_submission_but_never_a_query(invoice_request) -> None:
    def transition(kind: EventType) -> InvoiceEvent:
        return InvoiceEvent(serial=invoice_request.serial, seq=3, type=kind, at=clock.now(), provider="kingdee",
                            attempt=1, request=invoice_request)

    submitted = await call_provider({}, SellerGate(), transition(EventType.SUBMITTING))
    queried = await call_provider({}, SellerGate(), transition(EventType.QUERYING))
    assert (submitted.kind, submitted.code) == (SignalKind.FAILED, "provider_not_configured")
    assert (queried.kind, queried.code) == (SignalKind.IN_DOUBT, "provider_not_configured")
