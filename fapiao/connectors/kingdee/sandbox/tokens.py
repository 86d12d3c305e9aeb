"""The tokens the sandbox hands out (1.01 app_token, 1.02 access_token) and their deadlines, on wall time."""

from __future__ import annotations

import secrets
import time
from typing import Any

__all__ = ["TokenBook"]


class TokenBook:
    def __init__(self, ttl_s: float) -> None:
        self._ttl_s = ttl_s
        self._app: dict[str, float] = {}
        self._access: dict[str, float] = {}

    def _issue(self, book: dict[str, float], token: str) -> tuple[str, int]:
        """The token and its `expire_time` (epoch milliseconds)."""
        book[token] = time.time() + self._ttl_s
        return token, int(book[token] * 1000)

    def app_token(self) -> tuple[str, int]:
        return self._issue(self._app, secrets.token_hex(16))

    def access_token(self, account_id: str) -> tuple[str, int]:
        return self._issue(self._access, f"{account_id}_{secrets.token_urlsafe(18)}")  # {accountId}_{random}

    def app_token_valid(self, token: Any) -> bool:
        return isinstance(token, str) and self._app.get(token, 0.0) > time.time()

    def access_token_valid(self, token: Any) -> bool:
        return isinstance(token, str) and self._access.get(token, 0.0) > time.time()

    def expire_all(self) -> None:
        """What a server-side logout or restart does to the tokens a client holds."""
        self._app.clear()
        self._access.clear()
