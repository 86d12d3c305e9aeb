"""The sandbox HTTP app: the vendor's endpoints over a `Ledger`, signatures checked, faults injected.

Routes: the three submission endpoints and the query endpoint (protocol.py), `GET /pdf/{no}.pdf` (the
pdfPath of issued invoices), `GET /blank` (the POS H5 page) and `GET /_sandbox/stats`.

Signatures: an appId that is not ours answers `-1 appId无效`, a wrong or missing sign `-1 签名错误`, both
HTTP 200 as the vendor answers business errors. A request may be signed with any of MD5/SHA1/SHA256 (its
signType says which); `sign_type` signs callbacks.

Faults, on submissions only: `fail_rate` -> HTTP 503 before the body is read, nothing recorded;
`timeout_rate` -> an accepted submission is recorded (and later issued) but its answer is held `hang_s`
seconds. `latency_ms` delays every API answer. Completion: an accepted application is decided after
`complete_delay_ms` (autoDeal 电票 almost at once), then its 申请回调 goes to the callback URL. POS
applications wait for the customer (the H5 page) and stay pending.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any, Awaitable, Callable

from aiohttp import web

from fapiao.connectors.sandboxkit import Background
from fapiao.connectors.yipiaoyun.sandbox import protocol
from fapiao.connectors.yipiaoyun.sandbox.delivery import Courier
from fapiao.connectors.yipiaoyun.sandbox.exact_json import read, write
from fapiao.connectors.yipiaoyun.sandbox.faults import Dice
from fapiao.connectors.yipiaoyun.sandbox.protocol import Answer
from fapiao.connectors.yipiaoyun.sandbox.signature import valid
from fapiao.connectors.yipiaoyun.sandbox.state import Application, Ledger

__all__ = ["SandboxConfig", "build_app"]

AUTO_DEAL_DELAY_S = 0.01


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
    dedupe: bool = True


def _reply(answer: Answer, status: int = 200) -> web.Response:
    body: dict[str, Any] = {"code": answer.code, "message": answer.message}
    if answer.data is not None:
        body["data"] = answer.data
    return web.Response(status=status, body=write(body), content_type="application/json")


class Sandbox:
    """Handlers and background work of one sandbox process."""

    def __init__(self, config: SandboxConfig, ledger: Ledger) -> None:
        self.config, self.ledger = config, ledger
        self.dice = Dice(config.seed, ledger.faults)
        self.courier = Courier(config.callback_url, config.app_id, config.app_secret, config.sign_type, self.dice,
                               config.drop_callback_rate, config.duplicate_callback_rate, ledger.callbacks)
        self.background = Background()

    async def _signed_body(self, request: web.Request) -> dict[str, Any] | Answer:
        """The JSON body if it is signed by whoever holds our appId's secret, else the vendor's refusal."""
        try:
            body = read(await request.read())
        except ValueError:
            return protocol.BAD_BODY
        if not isinstance(body, dict):
            return protocol.BAD_BODY
        if body.get("appId") != self.config.app_id:
            self.ledger.requests["bad_app_id"] += 1
            return protocol.BAD_APP_ID
        if not valid(body, self.config.app_secret):
            self.ledger.requests["bad_signature"] += 1
            return protocol.BAD_SIGNATURE
        return body

    async def submit(self, request: web.Request) -> web.Response:
        kind = protocol.SUBMISSIONS[request.path]
        self.ledger.requests[kind] += 1
        await asyncio.sleep(self.config.latency_ms / 1000)
        if self.dice.roll("unavailable", self.config.fail_rate):
            self.ledger.requests["fault_503"] += 1
            return _reply(Answer(503, "sandbox: injected unavailability"), status=503)
        body = await self._signed_body(request)
        if isinstance(body, Answer):
            return _reply(body)
        # No await between the ledger's duplicate check and its record: concurrent submissions cannot both pass.
        answer, application = self.ledger.admit(kind, body)
        if application is not None and kind != "pos":
            delay_s = AUTO_DEAL_DELAY_S if application.draft.auto_deal else self.config.complete_delay_ms / 1000
            self.background.spawn(self._complete(application, delay_s))
        if application is not None and self.dice.roll("hung", self.config.timeout_rate):
            self.ledger.requests["fault_hang"] += 1
            await asyncio.sleep(self.config.hang_s)
        return _reply(answer)

    async def query(self, request: web.Request) -> web.Response:
        self.ledger.requests["query"] += 1
        await asyncio.sleep(self.config.latency_ms / 1000)
        body = await self._signed_body(request)
        if isinstance(body, Answer):
            return _reply(body)
        return _reply(self.ledger.query(str(body.get("applicationNo") or "")))

    async def _complete(self, application: Application, delay_s: float) -> None:
        await asyncio.sleep(delay_s)
        callback = self.ledger.complete(application)
        if callback is not None:
            await self.courier.deliver(self.background.session, *callback)

    async def stats(self, request: web.Request) -> web.Response:
        return web.Response(body=write(self.ledger.stats()), content_type="application/json")

    async def pdf(self, request: web.Request) -> web.Response:
        return web.Response(body=b"%PDF-1.4\n% fapiao-stream yipiaoyun sandbox\n%%EOF\n", content_type="application/pdf")

    async def blank(self, request: web.Request) -> web.Response:
        return web.Response(text="票申 sandbox: the customer would fill in the invoice title here.")


def build_app(config: SandboxConfig, host_url: str) -> web.Application:
    """The aiohttp application; `host_url` is where pdfPath and H5 links point."""
    sandbox = Sandbox(config, Ledger(host_url, config.dedupe))
    app = web.Application()
    routes: list[tuple[str, str, Callable[[web.Request], Awaitable[web.StreamResponse]]]] = [
        *(("POST", path, sandbox.submit) for path in protocol.SUBMISSIONS),
        ("POST", protocol.QUERY, sandbox.query),
        ("GET", "/_sandbox/stats", sandbox.stats),
        ("GET", "/pdf/{number}.pdf", sandbox.pdf),
        ("GET", "/blank", sandbox.blank),
    ]
    for method, path, handler in routes:
        app.router.add_route(method, path, handler)
    app.on_startup.append(sandbox.background.start)
    app.on_cleanup.append(sandbox.background.stop)
    return app
