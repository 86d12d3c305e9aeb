"""The worker's Prometheus metrics (served at `GET /metrics` on its web port). Pure: no faust, no I/O.

    fapiao_records_in_total{topic}                 records read (the faust sensor in `pipeline` counts them)
    fapiao_records_out_total{topic}                records sent, changelog included
    fapiao_results_total{status,provider}          terminal results published
    fapiao_provider_call_seconds{provider,operation}   provider HTTP latency, operation submit | query
    fapiao_provider_calls_in_flight{provider}      provider calls waiting for an answer now
    fapiao_in_doubt_serials                        serials this worker holds whose state is in_doubt
    fapiao_due_signals_total                       DUE signals the reconcile timer sent (retries, queries, rechecks)
    fapiao_consumer_lag{topic,partition}           highwater − committed offset, per assigned partition
    fapiao_stalled_partitions                      partitions the commit watchdog finds stalled (readiness fails)

docs/operations.md says what each one means for an operator.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Awaitable, Callable

from fapiao.connectors.provider import Outcome, Provider, RedProvider
from fapiao.metrics import Registry
from fapiao.schemas.records import InvoiceRequest, InvoiceResult, InvoiceState, RedForm, RedOrder, Status

__all__ = ["WorkerMetrics", "MeteredProvider", "MeteredRedProvider", "metered"]

# Provider calls take from milliseconds (a sandbox) to the timeout (10 s by default) and beyond.
_CALL_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class WorkerMetrics:
    """Every series one worker exposes, and the little state the in-doubt gauge needs."""

    def __init__(self) -> None:
        self.registry = registry = Registry()
        self.records_in = registry.counter("fapiao_records_in_total", "Records read, by topic.", ("topic",))
        self.records_out = registry.counter("fapiao_records_out_total", "Records sent, by topic.", ("topic",))
        self.results = registry.counter("fapiao_results_total", "Terminal results published, by status and provider.",
                                        ("status", "provider"))
        self.provider_seconds = registry.histogram(
            "fapiao_provider_call_seconds", "Provider call latency, by provider and operation (submit, query).",
            ("provider", "operation"), _CALL_BUCKETS)
        self.in_flight = registry.gauge("fapiao_provider_calls_in_flight", "Provider calls waiting for an answer.",
                                        ("provider",))
        self.in_doubt = registry.gauge("fapiao_in_doubt_serials", "Serials held here whose state is in_doubt.")
        self.due_signals = registry.counter("fapiao_due_signals_total",
                                            "DUE signals the reconcile timer sent (retries, queries, rechecks).")
        self.lag = registry.gauge("fapiao_consumer_lag", "Highwater minus committed offset, per partition.",
                                  ("topic", "partition"))
        self.stalled = registry.gauge("fapiao_stalled_partitions",
                                      "Partitions with lag whose committed offset has not moved for the watchdog's limit.")
        self._in_doubt: set[str] = set()

    def result(self, result: InvoiceResult) -> None:
        self.results.inc(result.status.value, result.provider or "none")

    def row(self, state: InvoiceState) -> None:
        """A serial's row changed (or was recovered): keep the in-doubt count in step."""
        if state.status is Status.IN_DOUBT:
            self._in_doubt.add(state.serial)
        else:
            self._in_doubt.discard(state.serial)
        self.in_doubt.set(len(self._in_doubt))

    def forget_rows(self) -> None:
        """Before the rows are read again after a rebalance: serials elsewhere now are not counted here."""
        self._in_doubt.clear()
        self.in_doubt.set(0)

    def render(self) -> str:
        return self.registry.render()


@dataclass
class MeteredProvider:
    """A provider whose calls are timed and counted while in flight; otherwise the provider itself."""

    provider: Provider
    metrics: WorkerMetrics

    @property
    def name(self) -> str:
        return self.provider.name

    async def submit(self, request: InvoiceRequest) -> Outcome:
        return await self._timed("submit", self.provider.submit, request)

    async def query(self, request: InvoiceRequest) -> Outcome:
        return await self._timed("query", self.provider.query, request)

    async def aclose(self) -> None:
        await self.provider.aclose()

    async def _timed(self, operation: str, call: Callable[..., Awaitable[Outcome]], *args: Any) -> Outcome:
        self.metrics.in_flight.inc(self.name)
        started = time.perf_counter()
        try:
            return await call(*args)
        finally:
            self.metrics.in_flight.dec(self.name)
            self.metrics.provider_seconds.observe(time.perf_counter() - started, self.name, operation)


class MeteredRedProvider(MeteredProvider):
    """A metered provider that can take invoices back: its red-letter calls are timed too."""

    provider: RedProvider

    async def apply_red_form(self, order: RedOrder) -> Outcome:
        return await self._timed("apply_red_form", self.provider.apply_red_form, order)

    async def query_red_form(self, order: RedOrder, form: RedForm) -> Outcome:
        return await self._timed("query_red_form", self.provider.query_red_form, order, form)

    async def revoke_red_form(self, order: RedOrder, form: RedForm) -> Outcome:
        return await self._timed("revoke_red_form", self.provider.revoke_red_form, order, form)

    async def answer_red_form(self, form: RedForm, seller_tax_id: str, confirm: bool) -> Outcome:
        return await self._timed("answer_red_form", self.provider.answer_red_form, form, seller_tax_id, confirm)

    async def submit_red(self, order: RedOrder, form: RedForm | None) -> Outcome:
        return await self._timed("submit_red", self.provider.submit_red, order, form)

    async def query_red(self, order: RedOrder) -> Outcome:
        return await self._timed("query_red", self.provider.query_red, order)


def metered(provider: Provider, metrics: WorkerMetrics) -> MeteredProvider:
    """`provider` timed and counted, with its red-letter calls where it has them."""
    if isinstance(provider, RedProvider):
        return MeteredRedProvider(provider, metrics)
    return MeteredProvider(provider, metrics)
