"""The gateway's Prometheus metrics, rendered as text: no client library needed for two series."""

from __future__ import annotations

from collections import Counter

__all__ = ["Metrics"]

_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


class Metrics:
    def __init__(self) -> None:
        self.requests: Counter[tuple[str, int]] = Counter()
        self.ack_buckets = [0] * len(_BUCKETS)
        self.ack_count = 0
        self.ack_sum = 0.0

    def observe_request(self, route: str, status: int) -> None:
        self.requests[(route, status)] += 1

    def observe_ack(self, seconds: float) -> None:
        self.ack_count += 1
        self.ack_sum += seconds
        for i, bound in enumerate(_BUCKETS):
            if seconds <= bound:
                self.ack_buckets[i] += 1

    def render(self) -> str:
        lines = ["# HELP fapiao_gateway_requests_total Callback requests by route and HTTP status.",
                 "# TYPE fapiao_gateway_requests_total counter"]
        lines += [f'fapiao_gateway_requests_total{{route="{route}",status="{status}"}} {count}'
                  for (route, status), count in sorted(self.requests.items())]
        lines += ["# HELP fapiao_gateway_broker_ack_seconds Time from produce to broker acknowledgement.",
                  "# TYPE fapiao_gateway_broker_ack_seconds histogram"]
        lines += [f'fapiao_gateway_broker_ack_seconds_bucket{{le="{bound}"}} {count}'
                  for bound, count in zip(_BUCKETS, self.ack_buckets)]
        lines += [f'fapiao_gateway_broker_ack_seconds_bucket{{le="+Inf"}} {self.ack_count}',
                  f"fapiao_gateway_broker_ack_seconds_sum {self.ack_sum:.6f}",
                  f"fapiao_gateway_broker_ack_seconds_count {self.ack_count}"]
        return "\n".join(lines) + "\n"
