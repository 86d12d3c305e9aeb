"""The sandbox HTTP app: the vendor's endpoints over a `Ledger`, with signatures checked and faults injected.

Routes: the three submission endpoints and the assumed query endpoint (mapping.py paths), `GET /pdf/{no}.pdf`
(the pdfPath of issued invoices), `GET /blank` (the POS H5 page) and `GET /_sandbox/stats`.

Signatures: a request whose appId is not ours answers `-1 appId无效`, a wrong or missing sign `-1 签名错误`,
both with HTTP 200 as the vendor answers business errors (the client raises ProviderConfigurationError).
A request may be signed with any of MD5/SHA1/SHA256 (its signType says which); `sign_type` signs callbacks.

Faults, on submissions only: `fail_rate` -> HTTP 503 and nothing recorded; `timeout_rate` -> recorded (and
later issued) but the answer is held `hang_s` seconds. `latency_ms` delays every API answer.
Completion: an accepted application is decided after `complete_delay_ms` (autoDeal 电票 almost at once),
then its 申请回调 goes to the callback URL. POS applications wait for the customer (the H5 page) and stay pending.
"""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass
from typing import Any, Awaitable, Callable

from aiohttp import web

from fapiao.connectors import wire
from fapiao.connectors.sandboxkit import Background
from fapiao.connectors.yipiaoyun import mapping, signing
from fapiao.connectors.yipiaoyun.sandbox.delivery import Courier
from fapiao.connectors.yipiaoyun.sandbox.state import Answer, Ledger

__all__ = ["SandboxConfig", "build_app"]

AUTO_DEAL_DELAY_S = 0.01
SUBMISSIONS = {mapping.STAY_OPEN_PATH: "stay_open", mapping.SUBSCRIBE_PATH: "subscribe", mapping.POS_PATH: "pos"}


@dataclass(frozen=True)
class SandboxConfig:
    host: str
    port: int
    app_id: str
    app_secret: str
    sign_type: str
    latency_ms: int
    fail_rate: float
    timeout_rate: float
    hang_s: float
    callback_url: str | None
    drop_callback_rate: float
    duplicate_callback_rate: float
    complete_delay_ms: int
    seed: int | None


def _answer(answer: Answer, status: int = 200) -> web.Response:
    code, message, data = answer
    payload: dict[str, Any] = {"code": code, "message": message}
    if data is not None:
        payload["data"] = data
    return web.Response(status=status, body=wire.dumps(payload), content_type="application/json")


class Sandbox:
    """Handlers and background work of one sandbox process."""

    def __init__(self, config: SandboxConfig, ledger: Ledger) -> None:
        self.config, self.ledger = config, ledger
        self.rng = random.Random(config.seed)
        self.courier = Courier(config.callback_url, config.app_id, config.app_secret, config.sign_type, self.rng,
                               config.drop_callback_rate, config.duplicate_callback_rate, ledger.callbacks)
        self.background = Background()

    async def _signed_body(self, request: web.Request) -> dict[str, Any] | web.Response:
        """The JSON body if its signature is ours, else the vendor's refusal."""
        try:
            body = wire.loads(await request.read())
        except ValueError:
            return _answer((-1, "请求格式错误", None))
        if not isinstance(body, dict):
            return _answer((-1, "请求格式错误", None))
        if body.get("appId") != self.config.app_id:
            self.ledger.requests["bad_app_id"] += 1
            return _answer((-1, "appId无效", None))
        if not signing.verify(body, self.config.app_secret):
            self.ledger.requests["bad_signature"] += 1
            return _answer((-1, "签名错误", None))
        return body

    async def submit(self, request: web.Request) -> web.Response:
        kind = SUBMISSIONS[request.path]
        self.ledger.requests[kind] += 1
        await asyncio.sleep(self.config.latency_ms / 1000)
        if self.rng.random() < self.config.fail_rate:
            self.ledger.requests["fault_503"] += 1
            self.ledger.faults["unavailable"] += 1
            return _answer((503, "sandbox: injected unavailability", None), status=503)
        body = await self._signed_body(request)
        if isinstance(body, web.Response):
            return body
        answer = self.ledger.admit(kind, body)
        if answer[0] == 0 and kind != "pos":
            serial = str(body["applicationNo"])
            auto = self.ledger.applications[serial].auto_deal
            delay_s = AUTO_DEAL_DELAY_S if auto else self.config.complete_delay_ms / 1000
            self.background.spawn(self._complete(serial, delay_s))
        if self.rng.random() < self.config.timeout_rate:
            self.ledger.requests["fault_hang"] += 1
            self.ledger.faults["hung"] += 1
            await asyncio.sleep(self.config.hang_s)
        return _answer(answer)

    async def query(self, request: web.Request) -> web.Response:
        self.ledger.requests["query"] += 1
        await asyncio.sleep(self.config.latency_ms / 1000)
        body = await self._signed_body(request)
        if isinstance(body, web.Response):
            return body
        return _answer(self.ledger.query(str(body.get("applicationNo") or "")))

    async def _complete(self, serial: str, delay_s: float) -> None:
        await asyncio.sleep(delay_s)
        result = self.ledger.complete(serial)
        if result is not None:
            await self.courier.deliver(self.background.session, *result)

    async def stats(self, request: web.Request) -> web.Response:
        return web.Response(body=wire.dumps(self.ledger.stats()), content_type="application/json")

    async def pdf(self, request: web.Request) -> web.Response:
        return web.Response(body=b"%PDF-1.4\n% fapiao-stream yipiaoyun sandbox\n%%EOF\n", content_type="application/pdf")

    async def blank(self, request: web.Request) -> web.Response:
        return web.Response(text="票申 sandbox: the customer would fill in the invoice title here.")


def build_app(config: SandboxConfig, host_url: str) -> web.Application:
    """The aiohttp application; `host_url` is where pdfPath and H5 links point."""
    sandbox = Sandbox(config, Ledger(host_url))
    app = web.Application()
    routes: list[tuple[str, str, Callable[[web.Request], Awaitable[web.StreamResponse]]]] = [
        *(("POST", path, sandbox.submit) for path in SUBMISSIONS),
        ("POST", mapping.QUERY_PATH, sandbox.query),
        ("GET", "/_sandbox/stats", sandbox.stats),
        ("GET", "/pdf/{number}.pdf", sandbox.pdf),
        ("GET", "/blank", sandbox.blank),
    ]
    for method, path, handler in routes:
        app.router.add_route(method, path, handler)
    app.on_startup.append(sandbox.background.start)
    app.on_cleanup.append(sandbox.background.stop)
    return app
