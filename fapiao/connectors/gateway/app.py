"""The callback gateway: provider webhook POST in, raw record onto `fapiao.callbacks`, then the reply
the provider expects — only after the broker acknowledged the record.

    POST /callbacks/{provider}   store, then reply (503 when the broker does not acknowledge in time)
    GET  /healthz                the process is up
    GET  /readyz                 the broker answers
    GET  /metrics                Prometheus text

Every body is stored, even one that is refused, with a verdict: `malformed` (400) or `rejected`
(401, bad signature). Refused bodies never reach a state change: the callback agent acts only on
`accepted` records.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from dataclasses import dataclass
from typing import Mapping

from aiohttp import web

from fapiao import clock
from fapiao.connectors.gateway.metrics import Metrics
from fapiao.connectors.gateway.producer import AsyncProducer, NotAcknowledged
from fapiao.connectors.provider import CallbackParser
from fapiao.exceptions import MalformedCallback
from fapiao.schemas.codec import Codec
from fapiao.schemas.records import CallbackRecord

__all__ = ["GatewayConfig", "create_app"]

log = logging.getLogger("fapiao.gateway")
# Headers that may carry credentials are not stored.
_SECRET_HEADERS = frozenset({"authorization", "cookie", "x-fapiao-token", "proxy-authorization"})


@dataclass(frozen=True)
class GatewayConfig:
    topic: str
    max_body: int = 1024 * 1024
    ack_deadline_s: float = 5.0


def _headers(request: web.Request) -> dict[str, str]:
    return {k.lower(): v for k, v in request.headers.items() if k.lower() not in _SECRET_HEADERS}


def _verdict(parser: CallbackParser, body: bytes, headers: Mapping[str, str]) -> tuple[str, str | None, str | None]:
    """(verdict, serial, reason) for a body: accepted, malformed or rejected."""
    try:
        facts = parser.parse(body, headers)
    except MalformedCallback as exc:
        return "malformed", None, str(exc)[:500]
    serial = next((f.serial for f in facts if f.serial), None)
    if not parser.verify(body, headers):
        return "rejected", serial, "signature missing or wrong"
    return "accepted", serial, None


def create_app(parsers: dict[str, CallbackParser], producer: AsyncProducer, codec: Codec,
               config: GatewayConfig) -> web.Application:
    metrics = Metrics()

    async def callback(request: web.Request) -> web.Response:
        route = f"/callbacks/{request.match_info['provider']}"
        started = time.perf_counter()
        status = await _handle(request, route)
        metrics.observe_request(route, status.status)
        log.info("%s %s -> %s in %.1f ms", request.method, route, status.status,
                 (time.perf_counter() - started) * 1000)
        return status

    async def _handle(request: web.Request, route: str) -> web.Response:
        parser = parsers.get(request.match_info["provider"])
        if parser is None:
            return web.json_response({"error": "unknown provider"}, status=404)
        body = await request.read()
        headers = _headers(request)
        verdict, serial, reason = _verdict(parser, body, headers)
        record = CallbackRecord(provider=parser.provider, route=route, received_at=clock.now(),
                                remote_addr=request.remote or "", headers=headers, body=body,
                                serial=serial, verdict=verdict, reason=reason)
        key = (serial or hashlib.sha256(body).hexdigest()).encode("utf-8")
        acked_at = time.perf_counter()
        try:
            await producer.send(config.topic, key, codec.encode(record, config.topic), config.ack_deadline_s)
        except NotAcknowledged as exc:
            log.warning("callback on %s not stored: %s; answering 503 so the provider retries", route, exc)
            return web.json_response({"error": "try again"}, status=503)
        metrics.observe_ack(time.perf_counter() - acked_at)
        if verdict == "malformed":
            return web.json_response({"error": "malformed callback", "reason": reason}, status=400)
        if verdict == "rejected":
            return web.json_response({"error": "signature missing or wrong"}, status=401)
        return web.Response(body=parser.reply_body, content_type="application/json")

    async def healthz(_: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    async def readyz(_: web.Request) -> web.Response:
        ready = await asyncio.get_running_loop().run_in_executor(None, producer.reachable)
        return web.json_response({"ready": ready}, status=200 if ready else 503)

    async def prometheus(_: web.Request) -> web.Response:
        return web.Response(text=metrics.render(), content_type="text/plain")

    app = web.Application(client_max_size=config.max_body)
    app.router.add_post("/callbacks/{provider}", callback)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", prometheus)
    return app
