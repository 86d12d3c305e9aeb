"""Classification of one Kingdee call into an `Outcome`, and the one place httpx exceptions are translated.

    KingdeeCallError(outcome, serial, request_id)      raised inside the client, returned as its outcome
    ├── RETRYABLE   nothing was processed: connect error/timeout, pool timeout, 502/503, 429, 频繁/限流
    ├── IN_DOUBT    the request may have been processed: read/write timeout, reset or protocol error after
    │               sending, 500/504 and other 5xx, an unreadable 2xx (queries: RETRYABLE instead)
    ├── DUPLICATE   errorCode 10127: the provider already holds this serial
    ├── SESSION     token/tax-device/bureau login problems, the bureau's face check (91400): the seller
    │               cannot issue now, and must act
    └── FAILED      any other business rejection, with the provider's code and message
    ProviderConfigurationError (outside the tree): bad base URL, wrong credentials, no 接口授权

Why 500/504 are in doubt: a 504 is a gateway giving up on a backend that may still finish, and a 500 can
come after the invoice was recorded. A query costs little; a double issue cannot be undone.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

import httpx

from fapiao.connectors.kingdee.envelope import Reply
from fapiao.connectors.kingdee.protocol import AUTH_FAILURE, DUPLICATE_CODE
from fapiao.connectors.kingdee.red_protocol import FACE_CHECK, FACE_CHECK_CODE
from fapiao.connectors.provider import Outcome, OutcomeKind, ProviderConfigurationError
from fapiao.connectors.wire import TRANSPORT_KINDS

__all__ = ["KingdeeCallError", "EXCEPTION_KINDS", "outcome_of_exception", "translated", "classify", "is_auth_failure"]

RETRYABLE, IN_DOUBT = OutcomeKind.RETRYABLE, OutcomeKind.IN_DOUBT

# Every httpx exception class, named one by one so that a new one in an httpx upgrade fails a test.
# None: the configuration is wrong (retrying cannot help). The shared rows are in `wire`; these are Kingdee's own.
EXCEPTION_KINDS: dict[type[Exception], OutcomeKind | None] = {
    **TRANSPORT_KINDS,
    httpx.LocalProtocolError: RETRYABLE,  # h11 refused to write our request: nothing was sent
    # A redirect chain (the request went out), or a stream or cookie misuse we cannot place: assume the worst.
    httpx.TooManyRedirects: IN_DOUBT,
    httpx.StreamConsumed: IN_DOUBT,
    httpx.StreamClosed: IN_DOUBT,
    httpx.ResponseNotRead: IN_DOUBT,
    httpx.RequestNotRead: IN_DOUBT,
    httpx.CookieConflict: IN_DOUBT,
    httpx.StreamError: IN_DOUBT,
}

_RATE_LIMIT = ("频繁", "限流", "rate limit", "too many")
_SESSION = ("税控", "税盘", "ukey", "电子税局", "税局账号", "乐企", "未登录", "登录失效", "扫码认证", "人脸", "身份认证",
            FACE_CHECK)
_TOKEN = ("access_token", "token过期", "token失效", "token无效")


class KingdeeCallError(Exception):
    """A call that did not succeed; carries its classified outcome, serial and request id."""

    def __init__(self, outcome: Outcome, serial: str | None, request_id: str | None) -> None:
        super().__init__(f"{outcome.kind}: {outcome.message} (serial={serial}, requestId={request_id})")
        self.outcome = outcome
        self.serial = serial
        self.request_id = request_id


def _settle(kind: OutcomeKind, idempotent: bool) -> OutcomeKind:
    # A query or a token fetch changes nothing at the provider: "maybe processed" is simply retryable.
    return RETRYABLE if idempotent and kind is IN_DOUBT else kind


def outcome_of_exception(exc: Exception, idempotent: bool = False) -> Outcome:
    """The outcome of an httpx exception; raises ProviderConfigurationError for a bad base URL."""
    for cls in type(exc).__mro__:
        if cls in EXCEPTION_KINDS:
            kind = EXCEPTION_KINDS[cls]
            if kind is None:
                raise ProviderConfigurationError(f"Kingdee base URL is not usable: {exc}") from exc
            return Outcome(_settle(kind, idempotent), code=type(exc).__name__, message=str(exc) or None)
    raise TypeError(f"not an httpx exception: {type(exc).__name__}") from exc


@contextmanager
def translated(serial: str | None, request_id: str | None, idempotent: bool) -> Iterator[None]:
    """Turn any httpx exception raised inside into a KingdeeCallError."""
    try:
        yield
    except (httpx.HTTPError, httpx.InvalidURL, httpx.CookieConflict, httpx.StreamError) as exc:
        raise KingdeeCallError(outcome_of_exception(exc, idempotent), serial, request_id) from exc


def is_auth_failure(reply: Reply | None) -> bool:
    """The gateway refused the access_token (expired, or no 接口授权) before reading the request."""
    if reply is None or reply.ok:
        return False
    text = reply.message.lower()
    return AUTH_FAILURE in reply.message or any(marker in text for marker in _TOKEN)


def classify(status: int, reply: Reply | None, idempotent: bool = False) -> Outcome:
    """The outcome of an HTTP answer: ACCEPTED when the envelope says success."""
    code = reply.code if reply else f"HTTP {status}"
    message = reply.message if reply else None
    if status == 429 or status in (502, 503):
        return Outcome(RETRYABLE, code=f"HTTP {status}", message=message)
    if status >= 500:
        return Outcome(_settle(IN_DOUBT, idempotent), code=f"HTTP {status}", message=message)
    if reply is None:
        if status in (404, 405):
            raise ProviderConfigurationError(f"Kingdee answered HTTP {status}: is the base URL right?")
        if status in (401, 403):
            return Outcome(OutcomeKind.SESSION, code=code)
        if 200 <= status < 300:  # processed, but we cannot read what happened
            return Outcome(_settle(IN_DOUBT, idempotent), code=code, message="unreadable answer")
        return Outcome(OutcomeKind.FAILED, code=code)
    if reply.ok:
        return Outcome(OutcomeKind.ACCEPTED, code=reply.code, message=reply.message or None)
    if reply.code == DUPLICATE_CODE:
        return Outcome(OutcomeKind.DUPLICATE, code=code, message=message)
    text = reply.message.lower()
    if any(marker in text for marker in _RATE_LIMIT):
        return Outcome(RETRYABLE, code=code, message=message)
    if reply.code == FACE_CHECK_CODE or is_auth_failure(reply) or any(marker in text for marker in _SESSION):
        return Outcome(OutcomeKind.SESSION, code=code, message=message)
    return Outcome(OutcomeKind.FAILED, code=code, message=message)
