"""Who may see the console: the bearer of its token, or a browser holding a session cookie made from it.

A session cookie is `expiry.mac`, the MAC keyed by the token: nothing is stored, a console restart
keeps sessions, and a new token ends every session made with the old one. Every comparison takes
the same time whatever the guess. Pure: `now` is passed in.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from typing import Mapping

__all__ = ["COOKIE", "SESSION_S", "Guard", "safe_next"]

COOKIE = "fapiao_console"
SESSION_S = 12 * 3600
_NEXT = re.compile(r"/(?!/)(?:[A-Za-z0-9_\-./]|%[0-9A-Fa-f]{2})*")  # a serial's page quotes what it must


def safe_next(path: str | None) -> str:
    """Where to go after logging in: a path on this console, never another site."""
    return path if path and _NEXT.fullmatch(path) else "/"


class Guard:
    def __init__(self, token: str) -> None:
        if not token:
            raise ValueError("the console needs a token")
        self._key = token.encode("utf-8")

    def token_ok(self, given: str) -> bool:
        return hmac.compare_digest(given.encode("utf-8"), self._key)

    def session(self, now: float) -> str:
        """A cookie value good for `SESSION_S` from `now`."""
        expires = str(int(now) + SESSION_S)
        return f"{expires}.{self._mac(expires)}"

    def session_ok(self, value: str, now: float) -> bool:
        expires, _, mac = value.partition(".")
        return expires.isdigit() and hmac.compare_digest(mac, self._mac(expires)) and int(expires) > now

    def allows(self, headers: Mapping[str, str], cookies: Mapping[str, str], now: float) -> bool:
        """A bearer token in `Authorization`, or a live session cookie."""
        scheme, _, given = headers.get("Authorization", "").partition(" ")
        if scheme.lower() == "bearer" and given:
            return self.token_ok(given.strip())
        return self.session_ok(cookies.get(COOKIE, ""), now)

    def _mac(self, expires: str) -> str:
        return hmac.new(self._key, f"console-session:{expires}".encode(), hashlib.sha256).hexdigest()
