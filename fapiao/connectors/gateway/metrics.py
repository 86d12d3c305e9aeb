"""The gateway's Prometheus metrics (prometheus_client, through `fapiao.metrics`)."""

from __future__ import annotations

from fapiao.metrics import Registry

__all__ = ["Metrics"]


class Metrics:
    """Requests by route and status, records stored by verdict, broker ack latency, 429s, in flight."""

    def __init__(self) -> None:
        self.registry = Registry()
        self.requests = self.registry.counter("fapiao_gateway_requests_total",
                                              "Callback gateway requests by route and HTTP status.", ("route", "status"))
        self.stored = self.registry.counter("fapiao_gateway_records_total", "Callbacks stored on the topic, by verdict.",
                                            ("verdict",))
        self.ack = self.registry.histogram("fapiao_gateway_broker_ack_seconds",
                                           "Time from produce to broker acknowledgement.")
        self.rate_limited = self.registry.counter("fapiao_gateway_rate_limited_total",
                                                  "Callbacks refused with 429 (not stored).")
        self.in_flight = self.registry.gauge("fapiao_gateway_in_flight", "Requests being handled now.")

    def observe_request(self, route: str, status: int) -> None:
        self.requests.inc(route, str(status))

    def observe_ack(self, seconds: float, verdict: str) -> None:
        self.stored.inc(verdict)
        self.ack.observe(seconds)

    def render(self) -> str:
        return self.registry.render()
