"""What both providers' HTTP calls share: exact-decimal JSON, and what a failed crossing of the wire means.

JSON. Both vendors carry money as JSON numbers (票申 documents them as Double); a float round trip can
turn 24.8 into 24.800000000000001, so `dumps`/`text` print a Decimal's own digits and refuse floats, and
`loads` reads every JSON fraction back as a Decimal.

Transport failures. `TRANSPORT_KINDS` decides the httpx exceptions both providers read alike: never
sent -> RETRYABLE, maybe sent -> IN_DOUBT, an unusable base URL -> None (a configuration error). Each
provider adds, explicitly, the ones it decides its own way (e.g. LocalProtocolError, TooManyRedirects).
"""

from __future__ import annotations

import json
from decimal import Decimal
from json.encoder import encode_basestring  # type: ignore[attr-defined]
from typing import Any

import httpx

from fapiao.connectors.provider import OutcomeKind

__all__ = ["dumps", "text", "loads", "TRANSPORT_KINDS"]


def text(value: Any) -> str:
    """Compact JSON text; Decimals as exact numbers (never through float), floats refused."""
    if type(value) is str:  # most of a body: the C string encoder json itself uses, without json.dumps' setup
        return _string(value)
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"not a finite amount: {value}")
        return format(value, "f")
    if isinstance(value, float):
        raise TypeError("money must be Decimal, not float")
    if isinstance(value, dict):
        return "{" + ",".join(f"{_string(str(k))}:{text(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(map(text, value)) + "]"
    return json.dumps(value, ensure_ascii=False)


_string = encode_basestring  # json.dumps(s, ensure_ascii=False) for a str, without its per-call setup


def dumps(value: Any) -> bytes:
    """`text(value)` as the UTF-8 bytes of a request or callback body."""
    return text(value).encode()


def loads(body: str | bytes) -> Any:
    """JSON with every fraction read as a Decimal. Raises ValueError (incl. UnicodeDecodeError)."""
    return json.loads(body, parse_float=Decimal)


RETRYABLE, IN_DOUBT = OutcomeKind.RETRYABLE, OutcomeKind.IN_DOUBT

TRANSPORT_KINDS: dict[type[Exception], OutcomeKind | None] = {
    # The connection was never made or never left the pool: nothing was sent.
    httpx.ConnectError: RETRYABLE,
    httpx.ConnectTimeout: RETRYABLE,
    httpx.PoolTimeout: RETRYABLE,
    httpx.ProxyError: RETRYABLE,
    # Bytes were (or may have been) sent: the provider may have the request.
    httpx.ReadTimeout: IN_DOUBT,
    httpx.WriteTimeout: IN_DOUBT,  # part of the body may have gone out
    httpx.ReadError: IN_DOUBT,
    httpx.WriteError: IN_DOUBT,
    httpx.CloseError: IN_DOUBT,
    httpx.RemoteProtocolError: IN_DOUBT,  # e.g. the server dropped the connection after our request
    httpx.DecodingError: IN_DOUBT,  # an answer came but could not be read
    httpx.HTTPStatusError: IN_DOUBT,  # not raised (neither client calls raise_for_status); safe side
    # Abstract bases, in case one is raised directly: assume the worst.
    httpx.HTTPError: IN_DOUBT,
    httpx.RequestError: IN_DOUBT,
    httpx.TransportError: IN_DOUBT,
    httpx.TimeoutException: IN_DOUBT,
    httpx.NetworkError: IN_DOUBT,
    httpx.ProtocolError: IN_DOUBT,
    # The base URL is not an http(s) URL.
    httpx.UnsupportedProtocol: None,
    httpx.InvalidURL: None,
}
