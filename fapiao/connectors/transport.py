"""An httpx transport over aiohttp's connection pool: the provider clients' way onto the wire.

Why not httpx's own pool: httpcore scans every pooled connection, with a readability syscall each,
on every request and every response close. With the hundreds of calls a worker keeps in flight that
scan was half the worker's CPU (py-spy, `fapiao bench`). aiohttp keeps idle connections in a queue
per host and hands one out in constant time. The clients keep httpx's API; only the wire changes.

Failures keep httpx's meaning, because the clients decide from it whether a request may have reached
the provider (`fapiao.connectors.wire.TRANSPORT_KINDS`): an error raised before any byte was sent
becomes ConnectError/ConnectTimeout, one after becomes a read, protocol or generic transport error.
"""

from __future__ import annotations

import asyncio

import aiohttp
import httpx

__all__ = ["PooledTransport", "httpx_error_for"]

# Most specific first: the first class the error is an instance of decides.
_ERRORS: tuple[tuple[type[BaseException], type[httpx.TransportError]], ...] = (
    (aiohttp.ConnectionTimeoutError, httpx.ConnectTimeout),  # no connection (or none free in the pool)
    (aiohttp.SocketTimeoutError, httpx.ReadTimeout),  # sent, no answer in time
    (aiohttp.ServerTimeoutError, httpx.ReadTimeout),
    (aiohttp.ClientProxyConnectionError, httpx.ProxyError),
    (aiohttp.ClientConnectorError, httpx.ConnectError),  # refused, DNS, TLS handshake: nothing sent
    (aiohttp.ServerFingerprintMismatch, httpx.ConnectError),  # checked on connect, before the request
    (aiohttp.ServerDisconnectedError, httpx.RemoteProtocolError),  # dropped after the request went out
    (aiohttp.ClientOSError, httpx.ReadError),  # reset or broken pipe mid-exchange
    (aiohttp.ClientPayloadError, httpx.ReadError),
    (aiohttp.ClientResponseError, httpx.RemoteProtocolError),  # an answer that is not HTTP
    (aiohttp.NonHttpUrlClientError, httpx.UnsupportedProtocol),
    (aiohttp.InvalidURL, httpx.UnsupportedProtocol),
    (asyncio.TimeoutError, httpx.ReadTimeout),
    (aiohttp.ClientError, httpx.TransportError),  # anything newer: the safe side, maybe sent
)


def httpx_error_for(error: BaseException) -> type[httpx.TransportError] | None:
    """The httpx exception class an aiohttp failure means, or None for a non-transport error."""
    return next((mapped for cls, mapped in _ERRORS if isinstance(error, cls)), None)


class PooledTransport(httpx.AsyncBaseTransport):
    """Sends httpx requests through one aiohttp session; bodies are read whole (provider JSON is small)."""

    def __init__(self, limits: httpx.Limits) -> None:
        self._limits = limits
        self._session: aiohttp.ClientSession | None = None

    def _open(self) -> aiohttp.ClientSession:
        # Made on first use: a session belongs to the running event loop.
        connector = aiohttp.TCPConnector(limit=self._limits.max_connections or 0, limit_per_host=0,
                                         keepalive_timeout=self._limits.keepalive_expiry or 15.0)
        # httpx decodes the body by its Content-Encoding, as it would from its own transport
        return aiohttp.ClientSession(connector=connector, auto_decompress=False)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self._session is None:
            self._session = self._open()
        limits = request.extensions.get("timeout", {})
        timeout = aiohttp.ClientTimeout(total=None, connect=limits.get("pool"), sock_connect=limits.get("connect"),
                                        sock_read=limits.get("read"))
        try:
            async with self._session.request(request.method, str(request.url), headers=request.headers.multi_items(),
                                             data=await request.aread() or None, allow_redirects=False,
                                             timeout=timeout) as response:
                body = await response.read()
        except Exception as exc:
            mapped = httpx_error_for(exc)
            if mapped is None:
                raise
            raise mapped(f"{type(exc).__name__}: {exc}", request=request) from exc
        return httpx.Response(status_code=response.status, headers=list(response.raw_headers), content=body,
                              request=request, extensions={"http_version": b"HTTP/1.1"})

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
