"""What a callback must pass before the gateway stores it, and the configuration that sets it.

In the order the gateway applies them (cheapest first, and nothing stored before the source is trusted):

    allow-list     the remote address is in a configured CIDR            else 403, not stored
    rate           a token bucket per remote address has a token         else 429, not stored
    size           the body is at most `max_body` bytes                  else 413, not stored
    content type   JSON, plain text or a form                            else 415, stored as malformed
    shared secret  `X-Fapiao-Token` or `?token=` on the secret routes    else 403, stored as rejected

Refusals that are not stored are counted in metrics only: storing them would let anyone fill the
topic (a flood of 429s is exactly what the rate limit is for). Behind a reverse proxy, the remote
address is the proxy's: configure the limits there, or give each provider its own proxy route.
"""

from __future__ import annotations

import hmac
import ipaddress
import time
from dataclasses import dataclass
from ipaddress import IPv4Network, IPv6Network

from aiohttp import web

from fapiao.exceptions import ConfigurationError
from fapiao.settings import Settings

__all__ = ["GatewayConfig", "TokenBuckets", "CONTENT_TYPES", "TOKEN_HEADER", "allowed", "token_ok"]

CONTENT_TYPES = frozenset({"application/json", "text/plain", "application/x-www-form-urlencoded"})
TOKEN_HEADER = "X-Fapiao-Token"


@dataclass(frozen=True)
class GatewayConfig:
    """Everything the gateway app needs besides its parsers, producer and codec."""

    topic: str  # where callbacks are stored as received
    signals_topic: str  # where what an accepted callback tells each serial goes: the fold's input
    max_body: int = 1024 * 1024
    ack_deadline_s: float = 5.0
    rate_per_s: float = 200.0
    burst: int = 400
    allow: tuple[IPv4Network | IPv6Network, ...] = ()  # empty: every source
    shared_secret: str | None = None  # None: no route needs a token
    secret_routes: frozenset[str] = frozenset({"kingdee"})

    @classmethod
    def from_settings(cls, settings: Settings, topic: str, signals_topic: str) -> "GatewayConfig":
        """Raise `ConfigurationError` naming the key when a CIDR does not parse."""
        try:
            allow = tuple(ipaddress.ip_network(cidr, strict=False) for cidr in settings.gateway_allow_cidrs)
        except ValueError as exc:
            raise ConfigurationError(f"FAPIAO_GATEWAY_ALLOW_CIDRS: {exc}") from exc
        return cls(topic=topic, signals_topic=signals_topic, max_body=settings.gateway_max_body_bytes,
                   ack_deadline_s=settings.gateway_ack_deadline_s, rate_per_s=settings.gateway_rate_per_s,
                   burst=settings.gateway_burst, allow=allow, shared_secret=settings.gateway_shared_secret,
                   secret_routes=frozenset(settings.gateway_secret_routes))

    def needs_token(self, provider: str) -> bool:
        return self.shared_secret is not None and provider in self.secret_routes


def allowed(remote: str, networks: tuple[IPv4Network | IPv6Network, ...]) -> bool:
    """Whether `remote` may call; an empty allow-list allows everyone, an unparsable address no one."""
    if not networks:
        return True
    try:
        address = ipaddress.ip_address(remote)
    except ValueError:
        return False
    return any(address in network for network in networks)


def token_ok(request: web.Request, secret: str) -> bool:
    """The shared secret from the header (preferred) or the query, compared in constant time."""
    given = request.headers.get(TOKEN_HEADER) or request.query.get("token") or ""
    return hmac.compare_digest(given.encode("utf-8"), secret.encode("utf-8"))


class TokenBuckets:
    """One token bucket per remote address: `burst` tokens, refilled at `rate_per_s`.

    At most `max_sources` buckets are kept (least recently used dropped first), so a scan from many
    addresses costs bounded memory; a dropped source merely starts again with a full bucket.
    """

    def __init__(self, rate_per_s: float, burst: int, max_sources: int = 10_000) -> None:
        self._rate = rate_per_s
        self._burst = float(burst)
        self._max = max_sources
        self._buckets: dict[str, tuple[float, float]] = {}  # source -> (tokens, monotonic time)

    def take(self, source: str, now: float | None = None) -> bool:
        """Spend one token of `source`; False when it has none left."""
        now = time.monotonic() if now is None else now
        tokens, then = self._buckets.pop(source, (self._burst, now))
        tokens = min(self._burst, tokens + (now - then) * self._rate)
        allowed_now = tokens >= 1.0
        # Re-inserting keeps the dict in least-recently-used order for eviction.
        self._buckets[source] = (tokens - 1.0 if allowed_now else tokens, now)
        if len(self._buckets) > self._max:
            del self._buckets[next(iter(self._buckets))]
        return allowed_now
