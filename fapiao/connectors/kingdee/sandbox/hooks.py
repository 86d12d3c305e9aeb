"""The sandbox's test hooks under `/_sandbox/`, and the aiohttp application that serves them with the API.

    GET  /_sandbox/stats                        the counts of `Ledger.stats` (never issued twice, never over-flushed)
    POST /_sandbox/expire-tokens                every token handed out is void (未进行接口授权 next time)
    POST /_sandbox/clock        {advance_s}     the business clock moves forward (answers {now}); forms past
                                                their deadline lapse (07)
    POST /_sandbox/forms        {invoiceNum, redReason?, invoiceDetail?}
                                                the buyer raises a form (03) against one of our blues
    POST /_sandbox/forms/{number}/buyer  {answer: confirm|refuse|silent}
                                                the buyer answers a form we raised (02) now, or never
    GET  /_sandbox/files/{serial}.{pdf|ofd|xml} an issued invoice's file
Hooks speak plain JSON (no envelope, no token). A refusal is HTTP 409 `{errorCode, message}`.
"""

from __future__ import annotations

import asyncio
from typing import Any, Awaitable, Callable

from aiohttp import web

from fapiao.connectors.kingdee.sandbox import names
from fapiao.connectors.kingdee.sandbox.app import Sandbox, json_response
from fapiao.connectors.kingdee.sandbox.checks import number
from fapiao.connectors.kingdee.sandbox.clock import written
from fapiao.connectors.kingdee.sandbox.codec import from_json
from fapiao.connectors.kingdee.sandbox.config import Config
from fapiao.connectors.kingdee.sandbox.takes import Refused

__all__ = ["make_app"]

_ANSWERS = ("confirm", "refuse", "silent")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


async def _body(request: web.Request) -> dict[str, Any]:
    try:
        body = from_json(await request.read() or b"{}")
    except ValueError:
        raise web.HTTPBadRequest(text="not JSON") from None
    if not isinstance(body, dict):
        raise web.HTTPBadRequest(text="a JSON object, please")
    return body


def _refusal(refused: Refused) -> web.Response:
    return json_response({"errorCode": refused.code, "message": refused.message}, status=409)


class Hooks:
    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox

    async def stats(self, request: web.Request) -> web.Response:
        self.sandbox.carry_out(self.sandbox.desk.sweep())
        return json_response(self.sandbox.ledger.stats(apply_reasons=self.sandbox.config.reds.apply_reasons))

    async def expire_tokens(self, request: web.Request) -> web.Response:
        self.sandbox.tokens.expire_all()
        return json_response({"expired": True})

    async def clock(self, request: web.Request) -> web.Response:
        seconds = number((await _body(request)).get("advance_s"))
        if seconds is None or seconds < 0:
            raise web.HTTPBadRequest(text="advance_s: seconds, not negative")
        self.sandbox.clock.advance(float(seconds))
        self.sandbox.carry_out(self.sandbox.desk.sweep())
        return json_response({"now": written(self.sandbox.clock.now())})

    async def raise_form(self, request: web.Request) -> web.Response:
        body = await _body(request)
        self.sandbox.carry_out(self.sandbox.desk.sweep())
        try:
            form = self.sandbox.desk.buyer_raises(body)
        except Refused as refused:
            return _refusal(refused)
        return json_response(form.item())

    async def buyer(self, request: web.Request) -> web.Response:
        answer = (await _body(request)).get("answer")
        if answer not in _ANSWERS:
            raise web.HTTPBadRequest(text=f"answer: one of {', '.join(_ANSWERS)}")
        self.sandbox.carry_out(self.sandbox.desk.sweep())
        form = self.sandbox.ledger.forms.get(request.match_info["number"])
        if form is None:
            raise web.HTTPNotFound(text="no such form")
        if form.status != "02":
            return _refusal(Refused(f"only a form awaiting the buyer (02) can be answered, not {form.status}"))
        self.sandbox.carry_out(self.sandbox.desk.buyer_answers(form, str(answer)))
        return json_response(form.item())

    async def file(self, request: web.Request) -> web.Response:
        if request.match_info["name"].rsplit(".", 1)[0] not in self.sandbox.ledger.issued_per_serial:
            raise web.HTTPNotFound()
        return web.Response(text=f"sandbox invoice file {request.match_info['name']}\n")


def make_app(config: Config, base_url: str) -> web.Application:
    """The aiohttp application; `base_url` is where the invoice file links point."""
    sandbox = Sandbox(config, base_url)
    hooks = Hooks(sandbox)

    @web.middleware
    async def latency(request: web.Request, handler: Handler) -> web.StreamResponse:
        if config.latency_s and not request.path.startswith("/_sandbox/"):
            await asyncio.sleep(config.latency_s)
        return await handler(request)

    app = web.Application(middlewares=[latency])
    app.add_routes([
        web.post(names.APP_TOKEN_PATH, sandbox.app_token), web.post(names.LOGIN_PATH, sandbox.login),
        web.post(names.OPEN_API_PATH, sandbox.open_api),
        web.get("/_sandbox/stats", hooks.stats), web.post("/_sandbox/expire-tokens", hooks.expire_tokens),
        web.post("/_sandbox/clock", hooks.clock), web.post("/_sandbox/forms", hooks.raise_form),
        web.post("/_sandbox/forms/{number}/buyer", hooks.buyer), web.get("/_sandbox/files/{name}", hooks.file),
    ])
    app.on_startup.append(sandbox.background.start)
    app.on_cleanup.append(sandbox.background.stop)
    return app
