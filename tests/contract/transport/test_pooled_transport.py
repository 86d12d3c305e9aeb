"""The provider clients' transport over real loopback HTTP: answers pass through intact, and each way
a call can fail keeps the httpx meaning the clients rely on (was the request sent or not?)."""

from __future__ import annotations

import asyncio
import gzip
import inspect
import socket
from typing import AsyncIterator, Awaitable, Callable

import aiohttp
import aiohttp.client_exceptions
import httpx
import pytest
from aiohttp import web

from fapiao.connectors.provider import OutcomeKind
from fapiao.connectors.transport import PooledTransport, httpx_error_for
from fapiao.connectors.wire import TRANSPORT_KINDS

LIMITS = httpx.Limits(max_connections=8, keepalive_expiry=5)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@pytest.fixture
async def serve() -> AsyncIterator[Callable[[Handler], Awaitable[str]]]:
    runners: list[web.AppRunner] = []

    async def start(handler: Handler) -> str:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", handler)
        runner = web.AppRunner(app)
        await runner.setup()
        port = _free_port()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        runners.append(runner)
        return f"http://127.0.0.1:{port}"

    yield start
    for runner in runners:
        await runner.cleanup()


def _client(base_url: str, timeout_s: float = 5.0) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=base_url, timeout=httpx.Timeout(timeout_s), transport=PooledTransport(LIMITS))


async def test_a_post_and_its_answer_cross_intact(serve) -> None:
    seen: list[tuple[str, bytes, str]] = []

    async def echo(request: web.Request) -> web.Response:
        seen.append((request.path, await request.read(), request.headers["Content-Type"]))
        return web.Response(status=201, body=gzip.compress("开票成功".encode()), headers={
            "Content-Encoding": "gzip", "Content-Type": "text/plain; charset=utf-8", "X-Trace": "t-1"})

    async with _client(await serve(echo)) as client:
        response = await client.post("/open/api", content="{\"金额\":1.10}".encode(),
                                     headers={"Content-Type": "application/json; charset=utf-8"})
    assert seen == [("/open/api", "{\"金额\":1.10}".encode(), "application/json; charset=utf-8")]
    assert (response.status_code, response.text, response.headers["x-trace"]) == (201, "开票成功", "t-1")


async def test_connections_are_kept_alive_and_reused(serve) -> None:
    peers: set[tuple] = set()

    async def peer(request: web.Request) -> web.Response:
        peers.add(request.transport.get_extra_info("peername"))
        return web.Response(text="ok")

    async with _client(await serve(peer)) as client:
        for _ in range(20):
            assert (await client.get("/")).status_code == 200
    assert len(peers) == 1


async def test_a_refused_connection_means_nothing_was_sent() -> None:
    async with _client(f"http://127.0.0.1:{_free_port()}") as client:
        with pytest.raises(httpx.ConnectError) as caught:
            await client.post("/", content=b"{}")
    assert TRANSPORT_KINDS[type(caught.value)] is OutcomeKind.RETRYABLE


async def test_no_answer_in_time_is_a_read_timeout(serve) -> None:
    async def slow(request: web.Request) -> web.Response:
        await asyncio.sleep(2)
        return web.Response(text="late")

    async with _client(await serve(slow), timeout_s=0.3) as client:
        with pytest.raises(httpx.ReadTimeout) as caught:
            await client.post("/", content=b"{}")
    assert TRANSPORT_KINDS[type(caught.value)] is OutcomeKind.IN_DOUBT


async def test_a_connection_dropped_after_the_request_is_in_doubt(serve) -> None:
    async def drop(request: web.Request) -> web.Response:
        await request.read()
        request.transport.close()  # the request arrived; no answer will
        await asyncio.sleep(0.5)
        return web.Response(text="never")

    async with _client(await serve(drop)) as client:
        with pytest.raises(httpx.TransportError) as caught:
            await client.post("/", content=b"{}")
    assert TRANSPORT_KINDS[type(caught.value)] is OutcomeKind.IN_DOUBT


async def test_a_url_that_is_not_http_is_a_configuration_error() -> None:
    transport = PooledTransport(LIMITS)
    with pytest.raises(httpx.UnsupportedProtocol):
        await transport.handle_async_request(httpx.Request("POST", "ftp://127.0.0.1/x"))
    await transport.aclose()


def _client_errors() -> list[type[BaseException]]:
    module = aiohttp.client_exceptions
    return [cls for _, cls in inspect.getmembers(module, inspect.isclass)
            if issubclass(cls, aiohttp.ClientError) and cls.__module__ == module.__name__]


@pytest.mark.parametrize("cls", _client_errors(), ids=lambda cls: cls.__name__)
def test_every_aiohttp_client_error_maps_to_an_httpx_error_the_clients_classify(cls: type[BaseException]) -> None:
    mapped = httpx_error_for(cls.__new__(cls))
    assert mapped is not None and mapped in TRANSPORT_KINDS


@pytest.mark.parametrize(("cls", "kind"), [
    (aiohttp.ConnectionTimeoutError, OutcomeKind.RETRYABLE),  # no connection, or none free in the pool
    (aiohttp.ClientConnectorDNSError, OutcomeKind.RETRYABLE),
    (aiohttp.ClientConnectorCertificateError, OutcomeKind.RETRYABLE),  # fails in the TLS handshake
    (aiohttp.SocketTimeoutError, OutcomeKind.IN_DOUBT),
    (aiohttp.ServerDisconnectedError, OutcomeKind.IN_DOUBT),
    (aiohttp.ClientConnectionResetError, OutcomeKind.IN_DOUBT),
    (aiohttp.ClientPayloadError, OutcomeKind.IN_DOUBT),
    (aiohttp.ClientResponseError, OutcomeKind.IN_DOUBT),
    (asyncio.TimeoutError, OutcomeKind.IN_DOUBT),
])
def test_what_each_failure_says_about_whether_the_request_went_out(cls: type[BaseException],
                                                                    kind: OutcomeKind) -> None:
    assert TRANSPORT_KINDS[httpx_error_for(cls.__new__(cls))] is kind


def test_an_error_that_is_not_a_transport_failure_is_not_mapped() -> None:
    assert httpx_error_for(ValueError("a bug")) is None
