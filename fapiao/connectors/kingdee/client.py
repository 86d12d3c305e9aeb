"""`KingdeeProvider`: the Provider port over Kingdee 发票云's open API, on one httpx connection pool.

- submit: ALLE.INVOICE.OPEN (数电) or BILL.PUSH (tax-device/电子 types) under the request's serial;
  `ACCEPTED` only means 开票中, the result follows by callback or query. Never resent here after the
  bytes left, except once after an explicit 未进行接口授权 answer (the gateway refused the token before
  reading the request, so nothing can have been issued).
- query: ALLE.INVOICE.QUERY by serialNo for 数电 types, BILL.INVOICE.QUERY by billNo for the
  BILL.PUSH types (the choice and the reading of a bill's answer are in `queries`): invoiceStatus
  0 ISSUED, 2 PENDING, 4 FAILED. Not found [I]: the real shape is undocumented; we read `success` with an empty `data` (what the
  sandbox sends) or a failure whose message says 不存在/未查询到/未找到 as NOT_FOUND.
- Reds (the RedProvider port; the wire is `red_protocol`, the mappings `red_mapping`):
  - apply_red_form: REDCONFIRMBILL.APPLY (2.1.03) under the red's serial as orderNo, which makes applying
    again answer the same form; a timeout after sending is IN_DOUBT, and applying again is how to find out.
  - query_red_form: ALLE.REDCONFIRMBILL.QUERY (2.1.13) by the form's number. As for `query`, a query that
    failed is RETRYABLE (it says nothing about the form), never FAILED.
  - revoke_red_form (REDCONFIRMBILL.REVOKE, 2.1.08) and answer_red_form (2.1.09) change the form, then
    read it, as Kingdee's own plug-in does: the outcome is the change's (ACCEPTED, or FAILED with the
    refusal) with `form` as it stands after. A change that went through but could not be read back is
    IN_DOUBT; one that may not have gone through (RETRYABLE, IN_DOUBT, SESSION) is answered as it is.
  - submit_red: ALLE.INVOICE.RED (2.1.04) under the red's serial, classified as `submit`; 10127 is
    DUPLICATE, and the caller queries (query_red) and adopts, as for a blue.
  - query_red: ALLE.INVOICE.QUERY by the red's serial with the blue's seller, read as `query`.
- A request or red order this wire cannot carry (a red of a tax-device type, no seller, a form without
  its number) is FAILED (RETRYABLE for a query) with code `unsendable`, and nothing is sent.
- The access_token travels in the `access_token` header only, so it never appears in a logged URL.
Classification lives in `errors`, mappings in `mapping` and `red_mapping`, tokens in `auth`.
"""

from __future__ import annotations

import dataclasses
import logging
from typing import Any, Callable, ClassVar

import httpx

from fapiao.connectors.kingdee import mapping, queries, red_mapping
from fapiao.connectors.kingdee.auth import Tokens
from fapiao.connectors.kingdee.envelope import DataCodec, Reply, envelope, new_request_id, read_reply
from fapiao.connectors.kingdee.errors import KingdeeCallError, classify, is_auth_failure, translated
from fapiao.connectors.kingdee.protocol import AUTH_FAILURE, BILL_PUSH, OPEN_API_PATH, QUERY, SANDBOX_URL
from fapiao.connectors.kingdee.red_protocol import ANSWER, APPLY, FORM_QUERY, RED, REVOKE
from fapiao.connectors.provider import Outcome, OutcomeKind, ProviderConfigurationError
from fapiao.connectors.transport import PooledTransport
from fapiao.connectors.wire import dumps
from fapiao.schemas.records import InvoiceRequest, RedForm, RedOrder
from fapiao.settings import KingdeeSettings, Settings

__all__ = ["KingdeeProvider", "from_settings"]

log = logging.getLogger(__name__)

_NOT_FOUND = ("不存在", "未查询到", "未找到")
_UNSENDABLE = "unsendable"  # what was asked cannot be written on this wire: nothing was sent
# Hundreds of submits in flight per worker share one pool.
# Keep every connection of a batch alive for the next one: reopening hundreds each batch cost CPU at both ends.
_LIMITS = httpx.Limits(max_connections=400, max_keepalive_connections=400, keepalive_expiry=30)


class KingdeeProvider:
    """Async Kingdee client; one per worker. `await check()` at start surfaces wrong credentials."""

    name: ClassVar[str] = "kingdee"

    def __init__(self, settings: KingdeeSettings, timeout_s: float,
                 transport: httpx.AsyncBaseTransport | None = None) -> None:
        self._settings = settings
        self._codec = DataCodec(settings.aes_password)
        self._timeout = httpx.Timeout(timeout_s)
        self._http = httpx.AsyncClient(base_url=settings.base_url or SANDBOX_URL, timeout=self._timeout,
                                       transport=transport or PooledTransport(_LIMITS))
        self._tokens = Tokens(self._http, settings)

    async def check(self) -> None:
        """Fetch a token now: ProviderConfigurationError for wrong appId/appSecret/accountId/user."""
        try:
            await self._tokens.check()
        except KingdeeCallError as exc:
            raise ProviderConfigurationError(f"Kingdee is unreachable at {self._http.base_url}: "
                                             f"{exc.outcome.message or exc.outcome.code}") from exc

    async def submit(self, request: InvoiceRequest) -> Outcome:
        try:
            interface = mapping.interface_for(request)
        except ValueError as exc:  # nothing sent: blocking, the ERP must pick another type
            return Outcome(OutcomeKind.FAILED, code="invoice_type", message=str(exc))
        build = mapping.bill_push_data if interface == BILL_PUSH else mapping.open_data
        return await self._ask(interface, request.serial, lambda: build(request))

    async def query(self, request: InvoiceRequest) -> Outcome:
        interface, data = queries.query_for(request)  # 数电 by ALLE.INVOICE.QUERY, BILL.PUSH types by their bill
        return await self._ask(interface, request.serial, lambda: data,
                               lambda answer: queries.outcome_of(interface, answer, request.serial), query=True)

    async def apply_red_form(self, order: RedOrder) -> Outcome:
        return await self._ask(APPLY, order.request.serial, lambda: red_mapping.apply_data(order),
                               red_mapping.apply_outcome)

    async def query_red_form(self, order: RedOrder, form: RedForm) -> Outcome:
        return await self._query_form(order.request.serial, red_mapping.seller_tax_id(order), form)

    async def revoke_red_form(self, order: RedOrder, form: RedForm) -> Outcome:
        seller = red_mapping.seller_tax_id(order)
        return await self._change_form(REVOKE, order.request.serial, seller, form,
                                       lambda: red_mapping.revoke_data(seller, form))

    async def answer_red_form(self, form: RedForm, seller_tax_id: str, confirm: bool) -> Outcome:
        return await self._change_form(ANSWER, form.number or "", seller_tax_id, form,
                                       lambda: red_mapping.answer_data(seller_tax_id, form, confirm))

    async def submit_red(self, order: RedOrder, form: RedForm | None) -> Outcome:
        return await self._ask(RED, order.request.serial, lambda: red_mapping.red_data(order, form))

    async def query_red(self, order: RedOrder) -> Outcome:
        return await self._ask(QUERY, order.request.serial, lambda: mapping.query_data(order.request),
                               red_mapping.red_query_outcome, query=True)

    async def aclose(self) -> None:
        await self._http.aclose()

    async def _query_form(self, serial: str, seller: str | None, form: RedForm) -> Outcome:
        return await self._ask(FORM_QUERY, serial, lambda: red_mapping.form_query_data(seller, form),
                               lambda data: red_mapping.form_query_outcome(data, form), query=True)

    async def _change_form(self, interface: str, serial: str, seller: str | None, form: RedForm,
                           build: Callable[[], dict[str, Any]]) -> Outcome:
        """Revoke or answer a form, then read it: the change's outcome with the form as it stands after."""
        changed = await self._ask(interface, serial, build)
        if changed.kind not in (OutcomeKind.ACCEPTED, OutcomeKind.FAILED) or changed.code == _UNSENDABLE:
            return changed
        after = await self._query_form(serial, seller, form)
        if after.kind is not OutcomeKind.ACCEPTED:
            if changed.kind is OutcomeKind.FAILED:
                return changed
            return Outcome(OutcomeKind.IN_DOUBT, code=after.code,
                           message=f"{interface} went through, but the form could not be read after it: "
                                   f"{after.message or after.kind}")
        return after if changed.kind is OutcomeKind.ACCEPTED else dataclasses.replace(changed, form=after.form)

    async def _ask(self, interface: str, serial: str, build: Callable[[], dict[str, Any]],
                   read: Callable[[Any], Outcome] | None = None, *, query: bool = False) -> Outcome:
        """One business call: the `data` that `build` makes, sent, and the answer's `data` as `read` makes it
        (without `read`: a change the provider took, ACCEPTED; its result follows by callback or query).

        A `build` that cannot write its `data` (ValueError) sends nothing. A query that failed is no
        answer about the serial or form: NOT_FOUND when the message says so, else RETRYABLE, never FAILED.
        """
        try:
            data = build()
        except ValueError as exc:
            return Outcome(OutcomeKind.RETRYABLE if query else OutcomeKind.FAILED, code=_UNSENDABLE, message=str(exc))
        try:
            reply = await self._call(interface, data, serial, idempotent=query)
        except KingdeeCallError as exc:
            return _unanswered(exc.outcome) if query else exc.outcome
        if read is None:
            return Outcome(OutcomeKind.ACCEPTED, code=reply.code, message=reply.message or None)
        return read(reply.data)

    async def _call(self, interface: str, data: dict[str, Any], serial: str, *, idempotent: bool) -> Reply:
        """One business call: the successful reply, or KingdeeCallError carrying the outcome."""
        token = await self._tokens.get(serial)
        request_id, status, reply = await self._send(interface, data, token, serial, idempotent)
        if is_auth_failure(reply):
            # The gateway refused the token before it read `data`: safe to resend once with a fresh one.
            self._tokens.discard(token)
            request_id, status, reply = await self._send(interface, data, await self._tokens.get(serial),
                                                         serial, idempotent)
            if is_auth_failure(reply):
                raise ProviderConfigurationError(
                    f"Kingdee answers {AUTH_FAILURE} to a fresh access_token for appId {self._settings.app_id}: "
                    "switch on 接口授权 for this app (开放服务云→OpenApi→安全策略→第三方应用)")
        outcome = classify(status, reply, idempotent)
        log.debug("kingdee %s serial=%s requestId=%s -> %s %s", interface, serial, request_id,
                  outcome.kind, outcome.code)
        if outcome.kind is not OutcomeKind.ACCEPTED:
            raise KingdeeCallError(outcome, serial, request_id)
        assert reply is not None  # classify accepts only a readable envelope
        return reply

    async def _send(self, interface: str, data: dict[str, Any], token: str, serial: str,
                    idempotent: bool) -> tuple[str, int, Reply | None]:
        request_id = new_request_id()
        body = envelope(self._settings.business_system_code, interface, self._codec.encode(data), request_id)
        with translated(serial, request_id, idempotent):
            response = await self._http.post(OPEN_API_PATH, content=dumps(body), timeout=self._timeout,
                                             headers={"Content-Type": "application/json", "access_token": token})
        return request_id, response.status_code, read_reply(response.content, self._codec)


def _unanswered(outcome: Outcome) -> Outcome:
    message = outcome.message or ""
    if outcome.kind is OutcomeKind.FAILED and any(text in message for text in _NOT_FOUND):
        return Outcome(OutcomeKind.NOT_FOUND, code=outcome.code, message=message)
    if outcome.kind is OutcomeKind.FAILED:
        return Outcome(OutcomeKind.RETRYABLE, code=outcome.code, message=message)
    return outcome


def from_settings(settings: Settings) -> KingdeeProvider:
    """The provider configured by FAPIAO_KINGDEE_* and FAPIAO_PROVIDER_TIMEOUT_S."""
    return KingdeeProvider(settings.kingdee, settings.provider_timeout_s)
