"""Kingdee tokens: appId/appSecret/accountId → app_token (getAppToken.do) → access_token (login.do).

The access_token (about 2 h) is cached and fetched again 60 s before its `expire_time` (halfway for
tokens shorter than two minutes), by one coroutine at a time. A refused credential raises
`ProviderConfigurationError` naming what to fix, never the secret.
"""

from __future__ import annotations

import asyncio
import re
import time
from typing import Any, Callable

import httpx

from fapiao.connectors.kingdee.errors import KingdeeCallError, translated
from fapiao.connectors.kingdee.protocol import APP_TOKEN_PATH, LOGIN_PATH
from fapiao.connectors.provider import Outcome, OutcomeKind, ProviderConfigurationError
from fapiao.connectors.wire import dumps, loads
from fapiao.settings import KingdeeSettings

__all__ = ["Tokens"]

_MARGIN_S = 60.0
_MOBILE = re.compile(r"1\d{10}")


class Tokens:
    """The cached access_token of one app; `get()` fetches it when missing or about to expire."""

    def __init__(self, http: httpx.AsyncClient, settings: KingdeeSettings,
                 clock: Callable[[], float] = time.time) -> None:
        self._http = http
        self._settings = settings
        self._clock = clock
        self._lock = asyncio.Lock()
        self._token: str | None = None
        self._refresh_at = 0.0

    async def get(self, serial: str | None = None) -> str:
        """A valid access_token. Raises KingdeeCallError (transport) or ProviderConfigurationError."""
        if self._token is not None and self._clock() < self._refresh_at:
            return self._token
        async with self._lock:  # many submits share one refresh
            if self._token is None or self._clock() >= self._refresh_at:
                self._token, expire_time_ms = await self._login(serial)
                now = self._clock()
                lifetime = expire_time_ms / 1000 - now
                self._refresh_at = now + lifetime - min(_MARGIN_S, lifetime / 2)
            return self._token

    def discard(self, token: str) -> None:
        """Forget a token the gateway refused (unless another coroutine already replaced it)."""
        if self._token == token:
            self._token = None

    async def check(self) -> None:
        """Log in now, so that wrong credentials surface at start as ProviderConfigurationError."""
        self._token = None
        await self.get()

    async def _login(self, serial: str | None) -> tuple[str, int]:
        settings = self._settings
        app = await self._post(APP_TOKEN_PATH, {
            "appId": settings.app_id, "appSecret": settings.app_secret, "accountId": settings.account_id,
        }, "app_token", serial)
        login = await self._post(LOGIN_PATH, {
            "user": settings.user, "apptoken": app["app_token"], "accountId": settings.account_id,
            "usertype": "Mobile" if _MOBILE.fullmatch(settings.user) else "UserName",
        }, "access_token", serial)
        # No expire_time: assume the documented two hours.
        expire_time_ms = login.get("expire_time") or (self._clock() + 7200) * 1000
        return str(login["access_token"]), int(expire_time_ms)

    async def _post(self, path: str, body: dict[str, str], field: str, serial: str | None) -> dict[str, Any]:
        with translated(serial, None, idempotent=True):
            response = await self._http.post(path, content=dumps(body),
                                             headers={"Content-Type": "application/json"})
        if response.status_code >= 500 or response.status_code == 429:
            raise KingdeeCallError(Outcome(OutcomeKind.RETRYABLE, code=f"HTTP {response.status_code}",
                                           message=f"{path} unavailable"), serial, None)
        try:
            parsed = loads(response.content)
        except ValueError:
            parsed = None
        data = parsed.get("data") if isinstance(parsed, dict) else None
        if isinstance(data, dict) and data.get("success") is not False and data.get(field):
            return data
        reason = data.get("error_desc") if isinstance(data, dict) else f"HTTP {response.status_code}"
        raise ProviderConfigurationError(
            f"Kingdee {path} refused appId={_label(self._settings)}: {reason or 'no ' + field}. "
            "Check FAPIAO_KINGDEE_APP_ID, _APP_SECRET, _ACCOUNT_ID, _USER and _BASE_URL."
        )


def _label(settings: KingdeeSettings) -> str:
    """Identifies the app in messages without its secret or user (a phone number)."""
    return f"{settings.app_id} accountId={settings.account_id}"
