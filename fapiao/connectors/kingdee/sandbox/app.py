"""The sandbox's HTTP shell: Kingdee's token and open-API endpoints, faults, and the work done after answering.

A business call answers 未进行接口授权 for a missing or expired token, opens the envelope's `data` strictly
(Base64, or AES with `--aes-password`) and goes by interfaceCode. A call that changes something (blue
OPEN / BILL.PUSH, red APPLY / RED / REVOKE / CONFIRM) may first be answered 503 (`--fail-rate`, nothing
recorded) or, for APPLY, 91400 (`--face-check-rate`); then it is decided whole by the ledger or the desk,
its effects are started, and its answer may be held `--hang-s` (`--timeout-rate`) although it was carried
out. Queries (ALLE.INVOICE.QUERY, BILL.INVOICE.QUERY, ALLE.REDCONFIRMBILL.QUERY) are never faulted. Test
hooks live under `/_sandbox/` (see `hooks`).
"""

from __future__ import annotations

import asyncio
from typing import Any, Callable

from aiohttp import web

from fapiao.connectors.kingdee.sandbox import names
from fapiao.connectors.kingdee.sandbox.checks import blue_refusal, serial_key
from fapiao.connectors.kingdee.sandbox.clock import Clock
from fapiao.connectors.kingdee.sandbox.codec import DataCodec, from_json, to_json
from fapiao.connectors.kingdee.sandbox.config import Config
from fapiao.connectors.kingdee.sandbox.faults import Dice
from fapiao.connectors.kingdee.sandbox.forms import Form
from fapiao.connectors.kingdee.sandbox.ledger import Invoice, Ledger
from fapiao.connectors.kingdee.sandbox.notify import callback_body, deliver
from fapiao.connectors.kingdee.sandbox.reds import Desk, Effects
from fapiao.connectors.kingdee.sandbox.takes import Refused
from fapiao.connectors.kingdee.sandbox.tokens import TokenBook
from fapiao.connectors.sandboxkit import Background

__all__ = ["Sandbox", "json_response"]

# A change: its answer's message and data, and what is to happen afterwards.
Outcome = tuple[str, Any, Effects]


def json_response(value: Any, status: int = 200) -> web.Response:
    return web.Response(text=to_json(value), status=status, content_type="application/json")


def _answer(success: bool, code: str, message: str, data: Any = None, status: int = 200) -> web.Response:
    return json_response({"success": success, "errorCode": code, "message": message, "data": data}, status)


def _token_answer(field: str | None, value: str = "", expire_time: int = 0, error: str = "") -> web.Response:
    data: dict[str, Any] = {"success": field is not None, "error_code": "0" if field else "1", "error_desc": error}
    if field:
        data.update({field: value, "expire_time": expire_time})
    return json_response({"data": data, "state": "success" if field else "fail", "status": field is not None})


async def _json_body(request: web.Request) -> dict[str, Any]:
    try:
        body = from_json(await request.read())
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _envelope_problem(body: dict[str, Any]) -> str | None:
    missing = [key for key in ("requestId", "businessSystemCode", "interfaceCode", "data") if not body.get(key)]
    if missing:
        return f"报文格式不对: {', '.join(missing)}必填"
    request_id = str(body["requestId"])
    if len(request_id) != 16 or not request_id.isdigit():  # 13-digit epoch ms + 3 random digits
        return "报文格式不对: requestId应为16位数字"
    return None


class Sandbox:
    """One sandbox: configuration, books, faults, and the background issuing and callback tasks."""

    def __init__(self, config: Config, base_url: str) -> None:
        self.config = config
        self.clock = Clock()
        self.ledger = Ledger(base_url, self.clock, dedupe=config.reds.dedupe)
        self.desk = Desk(self.ledger, config.reds)
        self.tokens = TokenBook(config.token_ttl_s)
        self.dice = Dice(config)
        self.codec = DataCodec(config.aes_password)
        self.background = Background()
        self._changes: dict[str, Callable[[str, dict[str, Any]], Outcome]] = {
            names.OPEN: self._blue, names.BILL_PUSH: self._blue, names.APPLY: self._apply, names.RED: self._red,
            names.REVOKE: self._revoke, names.CONFIRM: self._confirm,
        }

    async def app_token(self, request: web.Request) -> web.Response:
        body = await _json_body(request)
        if body.get("accountId") != self.config.account_id:
            return _token_answer(None, error="数据中心accountId参数不对")
        if body.get("appId") != self.config.app_id or body.get("appSecret") != self.config.app_secret:
            return _token_answer(None, error="appid/appsecret参数不对")
        return _token_answer("app_token", *self.tokens.app_token())

    async def login(self, request: web.Request) -> web.Response:
        body = await _json_body(request)
        if body.get("accountId") != self.config.account_id or not self.tokens.app_token_valid(body.get("apptoken")):
            return _token_answer(None, error="apptoken无效或已过期")
        if not body.get("user"):
            return _token_answer(None, error="user必填")
        return _token_answer("access_token", *self.tokens.access_token(self.config.account_id))

    async def open_api(self, request: web.Request) -> web.Response:
        if not self.tokens.access_token_valid(request.query.get("access_token") or request.headers.get("access_token")):
            self.ledger.requests["unauthorized"] += 1
            self.ledger.faults["tokens_refused"] += 1
            return _answer(False, names.UNAUTHORIZED, names.NOT_AUTHORIZED)
        body = await _json_body(request)
        problem = _envelope_problem(body)
        if problem:
            return _answer(False, names.BAD_REQUEST, problem)
        interface = str(body["interfaceCode"])
        try:
            data = self.codec.open(str(body["data"]))
        except ValueError:
            return _answer(False, names.BAD_REQUEST, "data解密失败")
        if not isinstance(data, dict):
            return _answer(False, names.BAD_REQUEST, "data应为对象")
        self.carry_out(self.desk.sweep())
        if interface == names.QUERY:
            return self._query(data)
        if interface == names.BILL_QUERY:
            return self._bill_query(data)
        if interface == names.FORM_QUERY:
            return self._form_query(data)
        if interface in self._changes:
            return await self._change(interface, data)
        return _answer(False, names.UNKNOWN_INTERFACE, f"不支持的接口: {interface}")

    # -- queries ---------------------------------------------------------------------------------

    def _query(self, data: dict[str, Any]) -> web.Response:
        """4.1.04 by serialNo, or by invoiceNum; not found: success with empty data."""
        serial, number = data.get("serialNo"), data.get("invoiceNum")
        invoice = self.ledger.invoices.get(str(serial)) if serial else self.ledger.by_number.get(str(number))
        self.ledger.requests[f"{names.QUERY}:{'found' if invoice else 'not_found'}"] += 1
        if invoice is None:
            return _answer(True, names.OK, names.NOT_FOUND)
        return _answer(True, names.OK, "查询成功", self.codec.seal(self.ledger.shown(invoice)))

    def _bill_query(self, data: dict[str, Any]) -> web.Response:
        """1.1.03 by the bill's number (`serialNo`) and seller; unknown: success with `data` an empty list."""
        bills = self.ledger.bills(str(data.get("serialNo") or ""), str(data.get("sellerTaxpayerId") or ""))
        self.ledger.requests[f"{names.BILL_QUERY}:{'found' if bills else 'not_found'}"] += 1
        return _answer(True, names.OK, "查询成功" if bills else names.NOT_FOUND, self.codec.seal(bills))

    def _form_query(self, data: dict[str, Any]) -> web.Response:
        self.ledger.requests[names.FORM_QUERY] += 1
        try:
            return _answer(True, names.OK, "查询成功", self.codec.seal(self.desk.query(data)))
        except Refused as refused:
            return _answer(False, refused.code, refused.message)

    # -- changes ---------------------------------------------------------------------------------

    async def _change(self, interface: str, data: dict[str, Any]) -> web.Response:
        count = self.ledger.requests
        if self.dice.unavailable():
            count[f"{interface}:unavailable"] += 1
            self.ledger.faults["unavailable"] += 1
            return _answer(False, names.BUSY, names.BUSY_TEXT, status=503)
        if interface == names.APPLY and self.dice.face_check():
            count[f"{interface}:face_check"] += 1
            self.ledger.faults["face_check"] += 1
            return _answer(False, names.FACE_CHECK, names.FACE_CHECK_TEXT)
        try:
            # Decided and recorded with no await in between: concurrent calls cannot both pass a check.
            message, answer_data, effects = self._changes[interface](interface, data)
        except Refused as refused:
            count[f"{interface}:{'duplicate' if refused.code == names.DUPLICATE else 'rejected'}"] += 1
            return _answer(False, refused.code, refused.message)
        count[f"{interface}:accepted"] += 1
        self.carry_out(effects)
        if self.dice.hang():
            count[f"{interface}:hung"] += 1
            self.ledger.faults["hung"] += 1
            await asyncio.sleep(self.config.hang_s)
        return _answer(True, names.OK, message, answer_data)

    def _blue(self, interface: str, data: dict[str, Any]) -> Outcome:
        problem = blue_refusal(interface, data)
        if problem:
            raise Refused(problem)
        serial = str(data[serial_key(interface)])
        if self.config.reds.dedupe and self.ledger.holds(serial):
            raise Refused(f"流水号重复: {serial}", names.DUPLICATE)
        remark = str(data.get("remark") or "")  # only a 数电 blue can be taken back, so only it has a buyer to roll for
        used = interface == names.OPEN and (names.USED in remark or names.UNUSED not in remark and self.dice.used())
        return names.ISSUING, serial, Effects(issue=[self.ledger.record(serial, interface, data, used)])

    def _apply(self, interface: str, data: dict[str, Any]) -> Outcome:
        ids, effects = self.desk.apply(data)
        return "红字确认单已生成", self.codec.seal(ids), effects

    def _red(self, interface: str, data: dict[str, Any]) -> Outcome:
        return names.ISSUING, data["serialNo"], self.desk.red(data)

    def _revoke(self, interface: str, data: dict[str, Any]) -> Outcome:
        return "撤销成功", None, self.desk.revoke(data)

    def _confirm(self, interface: str, data: dict[str, Any]) -> Outcome:
        return "确认成功" if data.get("qrlx") == "Y" else "拒绝成功", None, self.desk.confirm(data)

    # -- after the answer ------------------------------------------------------------------------

    def carry_out(self, effects: Effects) -> None:
        for invoice in effects.issue:
            self.background.spawn(self._issue_later(invoice))
        for invoice in effects.failed:
            self._notify(invoice)
        for form in effects.ask_buyer:
            self.background.spawn(self._buyer_later(form, form.buyer_answer))

    async def _issue_later(self, invoice: Invoice) -> None:
        await asyncio.sleep(self.config.issue_delay_s)
        if self.ledger.issue(invoice):
            self._notify(invoice)

    async def _buyer_later(self, form: Form, answer: str) -> None:
        await asyncio.sleep(self.config.buyer_delay_s)
        self.carry_out(self.desk.sweep())  # a form past its deadline lapses before the buyer gets to it
        if form.buyer_answer == answer:  # not told otherwise by a test meanwhile
            self.carry_out(self.desk.buyer_answers(form, answer))

    def _notify(self, invoice: Invoice) -> None:
        url = self.config.callback_url
        if not url:
            return
        if self.dice.drop_callback():
            self.ledger.callbacks["dropped"] += 1
            self.ledger.faults["callbacks_dropped"] += 1
            return
        body = callback_body(invoice.interface, self.ledger.shown(invoice), self.codec)
        copies = 2 if self.dice.duplicate_callback() else 1
        if copies == 2:
            self.ledger.faults["callbacks_duplicated"] += 1
        for _ in range(copies):
            self.background.spawn(deliver(self.background.session, url, body, self.ledger.callbacks))

