"""The gateway's Prometheus metrics, rendered as text: no client library needed for a handful of series."""

from __future__ import annotations

from collections import Counter

__all__ = ["Metrics"]

_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


class Metrics:
    """Requests by route and status, records stored by verdict, broker ack latency, 429s, in flight."""

    def __init__(self) -> None:
        self.requests: Counter[tuple[str, int]] = Counter()
        self.stored: Counter[str] = Counter()
        self.ack_buckets = [0] * len(_BUCKETS)
        self.ack_count = 0
        self.ack_sum = 0.0
        self.rate_limited = 0
        self.in_flight = 0

    def observe_request(self, route: str, status: int) -> None:
        self.requests[(route, status)] += 1

    def observe_ack(self, seconds: float, verdict: str) -> None:
        self.stored[verdict] += 1
        self.ack_count += 1
        self.ack_sum += seconds
        for i, bound in enumerate(_BUCKETS):
            if seconds <= bound:
                self.ack_buckets[i] += 1

    def render(self) -> str:
        lines = _header("fapiao_gateway_requests_total", "counter", "Callback gateway requests by route and HTTP status.")
        lines += [f'fapiao_gateway_requests_total{{route="{route}",status="{status}"}} {count}'
                  for (route, status), count in sorted(self.requests.items())]
        lines += _header("fapiao_gateway_records_total", "counter", "Callbacks stored on the topic, by verdict.")
        lines += [f'fapiao_gateway_records_total{{verdict="{verdict}"}} {count}'
                  for verdict, count in sorted(self.stored.items())]
        lines += _header("fapiao_gateway_broker_ack_seconds", "histogram", "Time from produce to broker acknowledgement.")
        lines += [f'fapiao_gateway_broker_ack_seconds_bucket{{le="{bound}"}} {count}'
                  for bound, count in zip(_BUCKETS, self.ack_buckets)]
        lines += [f'fapiao_gateway_broker_ack_seconds_bucket{{le="+Inf"}} {self.ack_count}',
                  f"fapiao_gateway_broker_ack_seconds_sum {self.ack_sum:.6f}",
                  f"fapiao_gateway_broker_ack_seconds_count {self.ack_count}"]
        lines += _header("fapiao_gateway_rate_limited_total", "counter", "Callbacks refused with 429 (not stored).")
        lines.append(f"fapiao_gateway_rate_limited_total {self.rate_limited}")
        lines += _header("fapiao_gateway_in_flight", "gauge", "Requests being handled now.")
        lines.append(f"fapiao_gateway_in_flight {self.in_flight}")
        return "\n".join(lines) + "\n"


def _header(name: str, kind: str, help_text: str) -> list[str]:
    return [f"# HELP {name} {help_text}", f"# TYPE {name} {kind}"]
