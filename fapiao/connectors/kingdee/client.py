"""`KingdeeProvider`: the Provider port over Kingdee 发票云's open API, on one httpx connection pool.

- submit: ALLE.INVOICE.OPEN (数电) or BILL.PUSH (tax-device/电子 types) under the request's serial;
  `ACCEPTED` only means 开票中, the result follows by callback or query. Never resent here after the
  bytes left, except once after an explicit 未进行接口授权 answer (the gateway refused the token before
  reading the request, so nothing can have been issued).
- query: ALLE.INVOICE.QUERY by serialNo for 数电 types, BILL.INVOICE.QUERY by billNo for the
  BILL.PUSH types (the choice and the reading of a bill's answer are in `queries`): invoiceStatus
  0 ISSUED, 2 PENDING, 4 FAILED. Not found [I]: the real shape is undocumented; we read `success` with an empty `data` (what the
  sandbox sends) or a failure whose message says 不存在/未查询到/未找到 as NOT_FOUND.
- The access_token travels in the `access_token` header only, so it never appears in a logged URL.
Classification lives in `errors`, mappings in `mapping`, tokens in `auth`.
"""

from __future__ import annotations

import logging
from typing import Any, ClassVar

import httpx

from fapiao.connectors.kingdee import mapping, queries
from fapiao.connectors.kingdee.auth import Tokens
from fapiao.connectors.kingdee.envelope import DataCodec, Reply, envelope, new_request_id, read_reply
from fapiao.connectors.kingdee.errors import KingdeeCallError, classify, is_auth_failure, translated
from fapiao.connectors.kingdee.protocol import AUTH_FAILURE, BILL_PUSH, OPEN_API_PATH, SANDBOX_URL
from fapiao.connectors.provider import Outcome, OutcomeKind, ProviderConfigurationError
from fapiao.connectors.transport import PooledTransport
from fapiao.connectors.wire import dumps
from fapiao.schemas.records import InvoiceRequest
from fapiao.settings import KingdeeSettings, Settings

__all__ = ["KingdeeProvider", "from_settings"]

log = logging.getLogger(__name__)

_NOT_FOUND = ("不存在", "未查询到", "未找到")
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
        data = mapping.bill_push_data(request) if interface == BILL_PUSH else mapping.open_data(request)
        try:
            reply = await self._call(interface, data, request.serial, idempotent=False)
        except KingdeeCallError as exc:
            return exc.outcome
        return Outcome(OutcomeKind.ACCEPTED, code=reply.code, message=reply.message or None)

    async def query(self, request: InvoiceRequest) -> Outcome:
        interface, data = queries.query_for(request)
        try:
            reply = await self._call(interface, data, request.serial, idempotent=True)
        except KingdeeCallError as exc:
            message = exc.outcome.message or ""
            if exc.outcome.kind is OutcomeKind.FAILED and any(text in message for text in _NOT_FOUND):
                return Outcome(OutcomeKind.NOT_FOUND, code=exc.outcome.code, message=message)
            if exc.outcome.kind is OutcomeKind.FAILED:
                # A query that failed says nothing about the invoice: only invoiceStatus 4 fails a serial.
                return Outcome(OutcomeKind.RETRYABLE, code=exc.outcome.code, message=message)
            return exc.outcome
        return queries.outcome_of(interface, reply.data, request.serial)

    async def aclose(self) -> None:
        await self._http.aclose()

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


def from_settings(settings: Settings) -> KingdeeProvider:
    """The provider configured by FAPIAO_KINGDEE_* and FAPIAO_PROVIDER_TIMEOUT_S."""
    return KingdeeProvider(settings.kingdee, settings.provider_timeout_s)
