"""The sandbox HTTP app: Kingdee's token and open-API endpoints, plus `/_sandbox/*` for tests.

Business calls answer 未进行接口授权 for a missing or expired token, decode the envelope's `data`
strictly (Base64, or AES with `--aes-password`), and route by interfaceCode. A submission is checked,
recorded as 开票中 under its serial, answered, and issued `--issue-delay-ms` later with a callback.
"""

from __future__ import annotations

import asyncio
from typing import Any, Awaitable, Callable

from aiohttp import web

from fapiao.connectors.kingdee.envelope import DataCodec
from fapiao.connectors.kingdee.protocol import (APP_TOKEN_PATH, AUTH_FAILURE, BILL_PUSH, DUPLICATE_CODE,
                                                LOGIN_PATH, NOT_FOUND_MESSAGE, OPEN, OPEN_API_PATH, QUERY)
from fapiao.connectors.kingdee.sandbox import notify, rules
from fapiao.connectors.kingdee.sandbox.faults import Faults
from fapiao.connectors.kingdee.sandbox.state import Config, Ledger, TokenBook
from fapiao.connectors.sandboxkit import Background
from fapiao.connectors.wire import loads, text

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _answer(success: bool, code: str, message: str, data: Any = None, status: int = 200) -> web.Response:
    return web.json_response({"success": success, "errorCode": code, "message": message, "data": data},
                             status=status, dumps=text)


def _token_answer(field: str | None, value: str = "", expire_time: int = 0, error: str = "") -> web.Response:
    data = {"success": field is not None, "error_code": "0" if field else "1", "error_desc": error}
    if field:
        data.update({field: value, "expire_time": expire_time})
    return web.json_response({"data": data, "state": "success" if field else "fail", "status": field is not None})


async def _body(request: web.Request) -> dict[str, Any]:
    try:
        body = loads(await request.read())
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


class Sandbox:
    """One sandbox: configuration, state, faults, and the background issuance and callback tasks."""

    def __init__(self, config: Config, base_url: str) -> None:
        self.config = config
        self.tokens = TokenBook(config.token_ttl_s)
        self.ledger = Ledger(base_url=base_url)
        self.faults = Faults(config)
        self.codec = DataCodec(config.aes_password)
        self.background = Background()

    async def app_token(self, request: web.Request) -> web.Response:
        body = await _body(request)
        if body.get("accountId") != self.config.account_id:
            return _token_answer(None, error="数据中心accountId参数不对")
        if body.get("appId") != self.config.app_id or body.get("appSecret") != self.config.app_secret:
            return _token_answer(None, error="appid/appsecret参数不对")
        return _token_answer("app_token", *self.tokens.app_token())

    async def login(self, request: web.Request) -> web.Response:
        body = await _body(request)
        if body.get("accountId") != self.config.account_id or not self.tokens.valid_app_token(body.get("apptoken")):
            return _token_answer(None, error="apptoken无效或已过期")
        if not body.get("user"):
            return _token_answer(None, error="user必填")
        return _token_answer("access_token", *self.tokens.access_token(self.config.account_id))

    async def open_api(self, request: web.Request) -> web.Response:
        token = request.query.get("access_token") or request.headers.get("access_token")
        if not self.tokens.valid_access_token(token):
            self.ledger.requests["unauthorized"] += 1
            self.ledger.faults["tokens_refused"] += 1
            return _answer(False, "401", AUTH_FAILURE)
        body = await _body(request)
        missing = [key for key in ("requestId", "businessSystemCode", "interfaceCode", "data") if not body.get(key)]
        if missing or len(str(body["requestId"])) != 16 or not str(body["requestId"]).isdigit():
            return _answer(False, "400", f"报文格式不对: {', '.join(missing) or 'requestId'}")
        interface = str(body["interfaceCode"])
        try:
            data = self.codec.open(str(body["data"]))
        except ValueError:
            return _answer(False, "400", "data解密失败")
        if not isinstance(data, dict):
            return _answer(False, "400", "data应为对象")
        if interface == QUERY:
            return self._query(data)
        if interface in (OPEN, BILL_PUSH):
            return await self._submit(interface, data)
        return _answer(False, "404", f"不支持的接口: {interface}")

    def _query(self, data: dict[str, Any]) -> web.Response:
        invoice = self.ledger.invoices.get(str(data.get("serialNo")))
        self.ledger.requests[f"{QUERY}:{'found' if invoice else 'not_found'}"] += 1
        if invoice is None:
            return _answer(True, "0", NOT_FOUND_MESSAGE)
        shown = {key: value for key, value in invoice.items() if key != "interfaceCode"}
        return _answer(True, "0", "查询成功", self.codec.encode(shown))

    async def _submit(self, interface: str, data: dict[str, Any]) -> web.Response:
        count = self.ledger.requests
        if self.faults.fail():
            count[f"{interface}:unavailable"] += 1
            self.ledger.faults["unavailable"] += 1
            return _answer(False, "503", "系统繁忙,请稍后重试", status=503)
        problem = rules.check(interface, data)
        if problem is not None:
            count[f"{interface}:rejected"] += 1
            return _answer(False, rules.REJECTED, problem)
        serial = str(rules.serial_of(interface, data))
        if serial in self.ledger.invoices:
            count[f"{interface}:duplicate"] += 1
            return _answer(False, DUPLICATE_CODE, f"流水号重复: {serial}")
        # No await between the duplicate check and this line: concurrent submits cannot both pass it.
        self.ledger.record(serial, interface, data)
        self.background.spawn(self._complete(serial))
        count[f"{interface}:accepted"] += 1
        if self.faults.hang():
            count[f"{interface}:hung"] += 1
            self.ledger.faults["hung"] += 1
            await asyncio.sleep(self.config.hang_s)
        return _answer(True, "0", "开票中", serial)

    async def _complete(self, serial: str) -> None:
        await asyncio.sleep(self.config.issue_delay_s)
        invoice = self.ledger.issue(serial)
        if invoice is None or not self.config.callback_url:
            return
        if self.faults.drop_callback():
            self.ledger.callbacks["dropped"] += 1
            self.ledger.faults["callbacks_dropped"] += 1
            return
        body = notify.callback_body(invoice, self.codec)
        copies = 2 if self.faults.duplicate_callback() else 1
        if copies == 2:
            self.ledger.faults["callbacks_duplicated"] += 1
        for _ in range(copies):
            self.background.spawn(notify.deliver(self.background.session, self.config.callback_url, body,
                                                 self.ledger))

    async def stats(self, request: web.Request) -> web.Response:
        return web.json_response(self.ledger.stats())

    async def expire_tokens(self, request: web.Request) -> web.Response:
        self.tokens.expire_all()
        return web.json_response({"expired": True})

    async def file(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        if name.rsplit(".", 1)[0] not in self.ledger.issued_per_serial:
            raise web.HTTPNotFound()
        return web.Response(text=f"sandbox invoice file {name}\n")


def make_app(config: Config, base_url: str) -> web.Application:
    """The aiohttp application; `base_url` is where the invoice file links point."""
    sandbox = Sandbox(config, base_url)

    @web.middleware
    async def latency(request: web.Request, handler: Handler) -> web.StreamResponse:
        if config.latency_s and not request.path.startswith("/_sandbox/"):
            await asyncio.sleep(config.latency_s)
        return await handler(request)

    app = web.Application(middlewares=[latency])
    app.add_routes([
        web.post(APP_TOKEN_PATH, sandbox.app_token), web.post(LOGIN_PATH, sandbox.login),
        web.post(OPEN_API_PATH, sandbox.open_api), web.get("/_sandbox/stats", sandbox.stats),
        web.post("/_sandbox/expire-tokens", sandbox.expire_tokens), web.get("/_sandbox/files/{name}", sandbox.file),
    ])
    app.on_startup.append(sandbox.background.start)
    app.on_cleanup.append(sandbox.background.stop)
    return app
