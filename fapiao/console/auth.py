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

__all__ = ["COOKIE", "SESSION_S", "MIN_TOKEN_CHARS", "Guard", "safe_next", "token_refusal"]

COOKIE = "fapiao_console"
SESSION_S = 12 * 3600
MIN_TOKEN_CHARS = 16  # the token guards personal data: one short enough to guess guards nothing
_NEXT = re.compile(r"/(?!/)(?:[A-Za-z0-9_\-./]|%[0-9A-Fa-f]{2})*")  # a serial's page quotes what it must


def safe_next(path: str | None) -> str:
    """Where to go after logging in: a path on this console, never another site."""
    return path if path and _NEXT.fullmatch(path) else "/"


def token_refusal(token: str) -> str | None:
    """Why the console will not serve behind `token` ("": none set), in one line that never shows it; None
    when it will."""
    if not token:
        return ("FAPIAO_CONSOLE_TOKEN is not set (nor its _FILE): the console shows personal data and serves "
                "nobody without a token")
    if len(token) < MIN_TOKEN_CHARS:
        return (f"FAPIAO_CONSOLE_TOKEN is shorter than {MIN_TOKEN_CHARS} characters: the console shows personal "
                "data; give it a longer token (e.g. `python -c 'import secrets; print(secrets.token_urlsafe(24))'`)")
    return None


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
