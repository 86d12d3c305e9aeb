"""Per-seller admission to the provider: a circuit breaker for session errors and a rate limit.

Pure bookkeeping: every method takes `now` (monotonic seconds) and returns a decision; the issue
agent does the waiting. One gate per worker; a seller's serials may be spread over workers, and
each worker learns of a paused seller from its own calls.

Circuit, per seller tax ID:

    closed ──(session error)──► open ──(probe_after elapses)──► half-open ──(probe answers)──► closed
                                 ▲                                  │
                                 └────────(probe: session error)────┘

While open, submissions for that seller are not sent: they are answered "paused" at once and their
serials wait for the next probe. Other sellers are not affected. Queries always go through: they
change nothing at the provider.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

__all__ = ["SellerGate", "Admission", "Circuit"]


class Circuit(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


@dataclass(frozen=True)
class Admission:
    """May this call go now? `wait_s` is the rate limit's delay before it may."""

    allowed: bool
    wait_s: float = 0.0


@dataclass
class _Seller:
    circuit: Circuit = Circuit.CLOSED
    open_until: float = 0.0
    probing: bool = False
    tat: float = 0.0  # GCRA's theoretical arrival time of the next call


@dataclass
class SellerGate:
    """Circuit and token bucket (rate `rate_per_s`, burst `burst`) for each seller."""

    probe_after_s: float = 10.0
    rate_per_s: float = 50.0
    burst: int = 100
    _sellers: dict[str, _Seller] = field(default_factory=dict)

    def circuit(self, seller: str) -> Circuit:
        return self._sellers.get(seller, _Seller()).circuit

    def paused(self) -> list[str]:
        """Sellers whose circuit is not closed."""
        return sorted(s for s, state in self._sellers.items() if state.circuit is not Circuit.CLOSED)

    def admit_submit(self, seller: str, now: float) -> Admission:
        """A submission: refused while the seller's circuit is open (one probe passes when it half-opens)."""
        state = self._sellers.setdefault(seller, _Seller())
        if state.circuit is Circuit.OPEN and now >= state.open_until:
            state.circuit, state.probing = Circuit.HALF_OPEN, False
        if state.circuit is Circuit.OPEN or (state.circuit is Circuit.HALF_OPEN and state.probing):
            return Admission(False)
        if state.circuit is Circuit.HALF_OPEN:
            state.probing = True
        return Admission(True, self._reserve(state, now))

    def admit_query(self, seller: str, now: float) -> Admission:
        """A query: never refused, only rate limited."""
        return Admission(True, self._reserve(self._sellers.setdefault(seller, _Seller()), now))

    def on_submit_answer(self, seller: str, session_error: bool, now: float) -> None:
        """Record how a submission went: a session error opens the circuit, anything else closes it."""
        state = self._sellers.setdefault(seller, _Seller())
        state.probing = False
        if session_error:
            state.circuit, state.open_until = Circuit.OPEN, now + self.probe_after_s
        else:
            state.circuit = Circuit.CLOSED

    def abandon(self, seller: str) -> None:
        """A submission admitted but never answered (cancelled): a probe in flight is free to go again."""
        if seller in self._sellers:
            self._sellers[seller].probing = False

    def _reserve(self, state: _Seller, now: float) -> float:
        """Reserve the next slot (GCRA, the token bucket as arithmetic); return how long to wait for it."""
        interval = 1.0 / self.rate_per_s
        tolerance = (self.burst - 1) * interval  # a full bucket lets `burst` calls go at once
        arrival = max(state.tat, now)
        state.tat = arrival + interval
        return max(0.0, arrival - now - tolerance)
