"""`YipiaoyunProvider`: the 票申/易票云 client, one httpx connection pool per worker.

Every call is a signed POST of one flat JSON body (core params + business params, providers.md 2.1).
`submit` never retries by itself: the serial is the applicationNo, and what happens after a timeout is
the issue agent's decision (query first).

Query. The public docs show no query endpoint ([?] in providers.md 2.2). `query()` calls an assumed
`/openapi/invoice/application/query {applicationNo}` -> `{code: 0, data: {status: pending|issued|failed|
rejected, invoiceEntrys, message}}` (-1 不存在 -> NOT_FOUND), which the sandbox implements. Against a tenant
without it (HTTP 404), `query()` falls back to re-submitting the same applicationNo, which is idempotent at
the vendor: 申请单号重复 means the application exists (PENDING: its result comes by callback), and an
acceptance means it did not exist and now does (ACCEPTED). Either way it is never created twice.

POS (`submitByPos`) authenticates with `accessKey`/`accessSecret` from `options["access_key"/"access_secret"]`
(POS terminal number and activation code). They travel in the body and are never logged.
"""

from __future__ import annotations

import logging
from typing import Any, Callable, ClassVar

import httpx

from fapiao.connectors import wire
from fapiao.connectors.provider import Outcome, OutcomeKind, ProviderConfigurationError
from fapiao.connectors.transport import PooledTransport
from fapiao.connectors.yipiaoyun import mapping, signing
from fapiao.connectors.yipiaoyun.errors import (
    NO_QUERY_ENDPOINT,
    YipiaoyunError,
    classify_query,
    classify_submit,
    edge,
)
from fapiao.schemas.records import InvoiceRequest
from fapiao.settings import Settings, YipiaoyunSettings

__all__ = ["YipiaoyunProvider", "from_settings"]

log = logging.getLogger(__name__)

# Sized for the issue agent's batch (FAPIAO_ISSUE_BATCH, hundreds in flight) with room to spare.
# Keep every connection of a batch alive for the next one: reopening hundreds each batch cost CPU at both ends.
POOL = httpx.Limits(max_connections=512, max_keepalive_connections=512, keepalive_expiry=30)


class YipiaoyunProvider:
    """The `Provider` port for 票申/易票云."""

    name: ClassVar[str] = "yipiaoyun"

    def __init__(self, settings: YipiaoyunSettings, timeout_s: float,
                 transport: httpx.AsyncBaseTransport | None = None) -> None:
        if not settings.base_url:
            raise ProviderConfigurationError("FAPIAO_YIPIAOYUN_BASE_URL is not set")
        if settings.sign_type.upper() not in signing.SIGN_TYPES:
            raise ProviderConfigurationError(f"FAPIAO_YIPIAOYUN_SIGN_TYPE={settings.sign_type!r}")
        self._settings = settings
        self._client = httpx.AsyncClient(
            base_url=settings.base_url,
            timeout=httpx.Timeout(timeout_s),
            transport=transport or PooledTransport(POOL),
            headers={"Content-Type": "application/json; charset=utf-8", "Accept": "application/json"},
            follow_redirects=False,
        )

    async def submit(self, request: InvoiceRequest) -> Outcome:
        """Create the application (or POS link) under the serial; one attempt, classified."""
        try:
            path, body = mapping.operation(request)
            if path == mapping.POS_PATH:
                body.update(_pos_credentials(request))
        except mapping.MappingError as exc:
            return Outcome(OutcomeKind.FAILED, code="unsupported_request", message=str(exc))
        return await self._call(request.serial, path, body, classify_submit)

    async def query(self, request: InvoiceRequest) -> Outcome:
        """What the vendor knows of this serial (see the module docstring for the fallback)."""
        outcome = await self._call(request.serial, mapping.QUERY_PATH, {"applicationNo": request.serial}, classify_query)
        if outcome.code != NO_QUERY_ENDPOINT:
            return outcome
        outcome = await self.submit(request)
        if outcome.kind is OutcomeKind.DUPLICATE:
            return Outcome(OutcomeKind.PENDING, code=outcome.code, message="application exists; result follows by callback")
        return outcome

    async def aclose(self) -> None:
        await self._client.aclose()

    async def _call(self, serial: str, path: str, body: dict[str, Any],
                    classify: Callable[[int, Any], Outcome]) -> Outcome:
        """One signed POST, classified; transport failures become outcomes through `edge`."""
        s = self._settings
        content = wire.dumps({**body, **signing.core_params(s.app_id, s.app_secret, s.sign_type)})
        try:
            with edge(serial):
                response = await self._client.post(path, content=content)
        except YipiaoyunError as exc:
            return _logged(serial, path, exc.outcome)
        try:
            payload = wire.loads(response.content)
        except ValueError:
            payload = None
        return _logged(serial, path, classify(response.status_code, payload))


def _pos_credentials(request: InvoiceRequest) -> dict[str, str]:
    key, secret = request.options.get("access_key"), request.options.get("access_secret")
    if not key or not secret:
        raise mapping.MappingError("submitByPos needs options.access_key and options.access_secret")
    return {"accessKey": key, "accessSecret": secret}


def _logged(serial: str, path: str, outcome: Outcome) -> Outcome:
    # Serial, endpoint and classification only: bodies carry buyer data and POS secrets.
    log.debug("yipiaoyun %s %s -> %s %s", serial, path.rsplit("/", 1)[-1], outcome.kind, outcome.code or "")
    return outcome


def from_settings(settings: Settings) -> YipiaoyunProvider:
    """The provider configured by `FAPIAO_YIPIAOYUN_*` and `FAPIAO_PROVIDER_TIMEOUT_S`."""
    return YipiaoyunProvider(settings.yipiaoyun, settings.provider_timeout_s)
