"""The callback gateway: provider webhook POST in, raw record onto `fapiao.callbacks` and what it tells each
serial onto `fapiao.signals`, then the reply the provider expects — only after the broker acknowledged them.

    POST /callbacks/{provider}   check, store, signal, then reply (503 when the broker does not acknowledge in time)
    GET  /healthz                the process is up
    GET  /readyz                 the broker answers
    GET  /metrics                Prometheus text

A body from a trusted source (see `guards`) is stored even when refused, with a verdict: `malformed`
(400, or 415 for a content type we do not take) or `rejected` (401 bad signature, 403 wrong shared
secret). Refused bodies never reach a state change: only an `accepted` callback is turned into signals
(`fapiao.streams.outcomes.callback_signals`, the gateway's one decision), keyed by serial on the fold's
own input topic, so every input of a serial still reaches the fold from one topic in one order.
Logs name the route, status and verdict only: never a body, header, query string or address.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Mapping

from aiohttp import web

from fapiao import clock
from fapiao.connectors.gateway.guards import CONTENT_TYPES, GatewayConfig, TokenBuckets, allowed, token_ok
from fapiao.connectors.gateway.metrics import Metrics
from fapiao.connectors.gateway.producer import AsyncProducer, NotAcknowledged
from fapiao.connectors.provider import CallbackFacts, CallbackParser
from fapiao.exceptions import MalformedCallback
from fapiao.schemas.codec import Codec
from fapiao.schemas.records import CallbackRecord
from fapiao.streams.outcomes import callback_signals

__all__ = ["create_app", "METRICS", "SERVER_OPTIONS"]

log = logging.getLogger("fapiao.gateway")
METRICS = web.AppKey("metrics", Metrics)
# How the app must be served (`web.run_app(**SERVER_OPTIONS)`): no access log, because request lines
# carry the query string, where a shared secret may travel.
SERVER_OPTIONS: dict[str, Any] = {"access_log": None}
# Headers that may carry credentials are not stored.
_SECRET_HEADERS = frozenset({"authorization", "cookie", "x-fapiao-token", "proxy-authorization"})
_Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True)
class Verdict:
    """What the gateway makes of a body: stored as `verdict`, answered with `status`."""

    verdict: str
    status: int
    serial: str | None = None
    reason: str | None = None
    facts: tuple[CallbackFacts, ...] = ()  # what an accepted body says, serial by serial


def _error(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)


def _headers(request: web.Request) -> dict[str, str]:
    return {k.lower(): v for k, v in request.headers.items() if k.lower() not in _SECRET_HEADERS}


def _judge(parser: CallbackParser, config: GatewayConfig, request: web.Request, body: bytes,
           headers: Mapping[str, str]) -> Verdict:
    """The verdict on a body from a trusted source: content type, shared secret, parse, signature."""
    if request.content_type not in CONTENT_TYPES:
        return Verdict("malformed", 415, reason=f"content type {request.content_type[:100]!r} not accepted")
    if config.shared_secret is not None and config.needs_token(parser.provider) \
            and not token_ok(request, config.shared_secret):
        return Verdict("rejected", 403, reason="shared secret missing or wrong")
    try:
        facts = parser.parse(body, headers)
    except MalformedCallback as exc:
        return Verdict("malformed", 400, reason=str(exc)[:500])
    except Exception as exc:  # hostile input found a parser bug: store it for audit, don't 500 forever
        return Verdict("malformed", 400, reason=f"unparsable ({type(exc).__name__})")
    serial = next((f.serial for f in facts if f.serial), None)
    if not parser.verify(body, headers):
        return Verdict("rejected", 401, serial, "signature missing or wrong")
    return Verdict("accepted", 200, serial, facts=tuple(facts))


def _route(request: web.Request, parsers: Mapping[str, CallbackParser]) -> str:
    """A metrics label with bounded values: unknown providers and paths collapse into one each."""
    provider = request.match_info.get("provider")
    if provider is not None:
        return f"/callbacks/{provider}" if provider in parsers else "/callbacks/{unknown}"
    resource = request.match_info.route.resource
    return resource.canonical if resource is not None else "unmatched"


def create_app(parsers: dict[str, CallbackParser], producer: AsyncProducer, codec: Codec,
               config: GatewayConfig) -> web.Application:
    metrics = Metrics()
    buckets = TokenBuckets(config.rate_per_s, config.burst)

    @web.middleware
    async def observe(request: web.Request, handler: _Handler) -> web.StreamResponse:
        """Count every answer, aiohttp's own (404, 405, 413 …) too, and log refusals without content."""
        route, started, status = _route(request, parsers), time.perf_counter(), 500
        metrics.in_flight.inc()
        try:
            response = await handler(request)
            status = response.status
            return response
        except web.HTTPException as exc:
            status = exc.status
            raise
        finally:
            metrics.in_flight.dec()
            metrics.observe_request(route, status)
            # Accepted callbacks and 429s are logged at DEBUG: at load, a line each would cost more than the work.
            level = logging.DEBUG if status in (200, 429) or not route.startswith("/callbacks") else logging.INFO
            log.log(level, "%s %s -> %s in %.1f ms", request.method, route, status,
                    (time.perf_counter() - started) * 1000)

    async def callback(request: web.Request) -> web.Response:
        parser = parsers.get(request.match_info["provider"])
        if parser is None:
            return _error(404, "unknown provider")
        remote = request.remote or ""
        if not allowed(remote, config.allow):
            return _error(403, "source not allowed")
        if not buckets.take(remote):
            metrics.rate_limited.inc()
            return web.json_response({"error": "rate limited"}, status=429, headers={"Retry-After": "1"})
        if (request.content_length or 0) > config.max_body:
            return _error(413, "body too large")
        try:
            body = await request.read()
        except web.HTTPRequestEntityTooLarge:  # chunked bodies have no length to check up front
            return _error(413, "body too large")
        headers = _headers(request)
        verdict = _judge(parser, config, request, body, headers)
        received_at = clock.now()
        record = CallbackRecord(provider=parser.provider, route=request.path, received_at=received_at,
                                remote_addr=remote, headers=headers, body=body, serial=verdict.serial,
                                verdict=verdict.verdict, reason=verdict.reason)
        key = (verdict.serial or hashlib.sha256(body).hexdigest()).encode("utf-8")
        sends = [(config.topic, key, codec.encode(record, config.topic))]
        sends += [(config.signals_topic, signal.serial.encode("utf-8"), codec.encode(signal, config.signals_topic))
                  for signal in callback_signals(parser.provider, verdict.facts, received_at)]
        sent_at = time.perf_counter()
        try:
            await asyncio.gather(*(producer.send(topic, key_, value, config.ack_deadline_s)
                                   for topic, key_, value in sends))
        except NotAcknowledged:
            log.warning("callback on /callbacks/%s not stored in time; answering 503 so the provider retries",
                        parser.provider)
            return _error(503, "try again")
        metrics.observe_ack(time.perf_counter() - sent_at, verdict.verdict)
        if verdict.status != 200:
            return _error(verdict.status, verdict.reason or verdict.verdict)
        return web.Response(body=parser.reply_body, content_type="application/json")

    async def healthz(_: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    async def readyz(_: web.Request) -> web.Response:
        ready = await asyncio.get_running_loop().run_in_executor(None, producer.reachable)
        return web.json_response({"ready": ready}, status=200 if ready else 503)

    async def prometheus(_: web.Request) -> web.Response:
        return web.Response(text=metrics.render(), content_type="text/plain")

    # aiohttp enforces the same cap while reading (chunked or compressed bodies); `callback` turns it into our 413.
    app = web.Application(client_max_size=config.max_body, middlewares=[observe])
    app[METRICS] = metrics
    app.router.add_post("/callbacks/{provider}", callback)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", prometheus)
    return app
