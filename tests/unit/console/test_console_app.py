"""The console's HTTP side over a real loopback socket, with an index filled by hand (no broker)."""

from __future__ import annotations

import logging
import re
from datetime import timedelta
from html import escape
from html.parser import HTMLParser
from typing import Any, AsyncIterator, Awaitable, Callable
from urllib.parse import quote

import pytest
from aiohttp.test_utils import TestClient, TestServer
from yarl import URL

from console_support import T0, dead, fill
from fapiao import clock
from fapiao.audit.synthetic import lifecycle, red_letter
from fapiao.console import COOKIE, SERVER_OPTIONS, Index, create_app
from fapiao.samples import BUYER_COMPANY

TOKEN = "a-long-console-token-for-tests"
BEARER = {"Authorization": f"Bearer {TOKEN}"}
PAGES = ("/", "/serials/B1", "/serials/NOPE", "/static/../serials/B1", "/anything")
# Serials an ERP may send that are no URL path segment: each is rejected, and still gets its own page.
ODD = ("a?b", "../x", "%", "a\r\nb", "c/d#e", "发票 1")


@pytest.fixture
def index() -> Index:
    # The app asks the real clock: a form raised an hour ago has 71 hours left.
    blue, red = red_letter(lifecycle("B1", T0), "R1", clock.now() - timedelta(hours=1))
    index = fill(Index(), blue, red, lifecycle("X1", T0, valid=False), lifecycle("B2", T0),
                 *(lifecycle(serial, T0, valid=False) for serial in ODD))
    index.add("dlq", dead(None, b"<script>alert(1)</script>", reason="not JSON: <b>"))
    return index


@pytest.fixture
async def client_factory(index: Index) -> AsyncIterator[Callable[..., Awaitable[TestClient[Any, Any]]]]:
    """`await client_factory(**options)`: a client of the console over `index`, made with those options."""
    made: list[TestClient[Any, Any]] = []

    async def make(**options: Any) -> TestClient[Any, Any]:
        server = TestServer(create_app(index, TOKEN, lambda: "reading", **options), host="127.0.0.1")
        await server.start_server(**SERVER_OPTIONS)
        made.append(TestClient(server))
        await made[-1].start_server()
        return made[-1]

    yield make
    for client in made:
        await client.close()


@pytest.fixture
async def client(client_factory: Callable[..., Awaitable[TestClient[Any, Any]]]) -> TestClient[Any, Any]:
    return await client_factory()


def assert_secured(headers: Any) -> None:
    policy = headers["Content-Security-Policy"]
    for directive in ("default-src 'none'", "script-src 'self'", "style-src 'self'", "frame-ancestors 'none'",
                      "form-action 'self'"):
        assert directive in policy
    assert "unsafe" not in policy and "http" not in policy
    assert (headers["X-Content-Type-Options"], headers["X-Frame-Options"], headers["Referrer-Policy"],
            headers["Cache-Control"]) == ("nosniff", "DENY", "no-referrer", "no-store")


@pytest.mark.parametrize("path", PAGES)
async def test_without_the_token_every_page_is_401_with_no_invoice_data(client: TestClient[Any, Any],
                                                                       path: str) -> None:
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Cookie": f"{COOKIE}=123.abc"}):
        response = await client.get(path, headers=headers, allow_redirects=False)
        body = await response.text()
        assert response.status == 401 and 'action="/login"' in body
        assert_secured(response.headers)
        for secret in ("B1", "R1", "issued", "awaiting", "kingdee", BUYER_COMPANY["tax_id"], "SO-"):
            assert secret not in body, (path, secret)


async def test_search_and_logout_need_the_token_too(client: TestClient[Any, Any]) -> None:
    response = await client.post("/search", data={"q": "B1"}, allow_redirects=False)
    assert response.status == 401 and "B1" not in await response.text()


async def test_with_the_bearer_token_a_serial_shows_its_status_and_red(client: TestClient[Any, Any]) -> None:
    response = await client.get("/serials/B1", headers=BEARER)
    body = await response.text()
    assert response.status == 200 and "B1" in body and "issued" in body and "R1" in body
    assert_secured(response.headers)
    red = await (await client.get("/serials/R1", headers=BEARER)).text()
    assert "awaiting_counterparty" in red and "RFR1" in red and re.search(r"\b(70|71) h \d\d min\b", red)


async def test_the_refresh_gets_main_alone(client: TestClient[Any, Any]) -> None:
    response = await client.get("/", headers={**BEARER, "X-Console-Fragment": "1"})
    body = await response.text()
    assert response.status == 200 and "<html" not in body and "<h1>Overview</h1>" in body
    page = await (await client.get("/", headers=BEARER)).text()
    assert '<main id="live" data-src="/">' in page


async def test_login_sets_a_strict_httponly_cookie_and_the_cookie_opens_pages(
        client: TestClient[Any, Any]) -> None:
    refused = await client.post("/login", data={"token": "wrong", "next": "/serials/B1"}, allow_redirects=False)
    assert refused.status == 401 and "not the console" in await refused.text()
    response = await client.post("/login", data={"token": TOKEN, "next": "//evil.example/"}, allow_redirects=False)
    assert response.status == 303 and response.headers["Location"] == "/"
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and TOKEN not in cookie
    page = await client.get("/serials/B1", allow_redirects=False)  # the client keeps the cookie
    assert page.status == 200 and "issued" in await page.text()
    out = await client.post("/logout", allow_redirects=False)
    assert out.status == 303
    assert (await client.get("/serials/B1", allow_redirects=False)).status == 401


@pytest.mark.parametrize(("secure_cookie", "secure"), [(None, False), (True, True), (False, False)])
async def test_the_session_cookie_is_secure_as_configured_else_as_the_request_came(
        client_factory: Callable[..., Awaitable[TestClient[Any, Any]]], secure_cookie: bool | None,
        secure: bool) -> None:
    """Over plain HTTP here, as a console behind a TLS-terminating proxy sees every request."""
    client = await client_factory(secure_cookie=secure_cookie)
    response = await client.post("/login", data={"token": TOKEN}, allow_redirects=False)
    assert response.status == 303 and ("; Secure" in response.headers["Set-Cookie"]) is secure


async def test_search_is_a_post_and_one_match_goes_to_its_page(client: TestClient[Any, Any]) -> None:
    one = await client.post("/search", data={"q": "SO-B2"}, headers=BEARER, allow_redirects=False)
    assert one.status == 303 and one.headers["Location"] == "/serials/B2"
    many = await client.post("/search", data={"q": "B"}, headers=BEARER)
    body = await many.text()
    assert many.status == 200 and "/serials/B1" in body and "/serials/B2" in body
    none = await client.post("/search", data={"q": "<i>NOPE</i>"}, headers=BEARER)
    assert "0 serial(s)" in await none.text() and "<i>NOPE" not in await none.text()


@pytest.mark.parametrize("serial", ODD)
async def test_an_odd_serial_is_found_opened_refreshed_and_returned_to_by_its_quoted_path(
        client: TestClient[Any, Any], serial: str) -> None:
    path = f"/serials/{quote(serial, safe='')}"
    found = await client.post("/search", data={"q": serial}, headers=BEARER, allow_redirects=False)
    assert found.status == 303 and found.headers["Location"] == path
    page = await client.get(URL(path, encoded=True), headers=BEARER)
    body = await page.text()
    assert page.status == 200 and f"<h1>{escape(serial)} " in body and "rejected" in body
    assert f'data-src="{escape(path)}"' in body  # the refresh asks for this page, not one its path spells
    back = await client.post("/login", data={"token": TOKEN, "next": path}, allow_redirects=False)
    assert back.status == 303 and back.headers["Location"] == path


async def test_logs_name_routes_never_serials_or_queries(client: TestClient[Any, Any],
                                                         caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG, logger="fapiao.console"):
        await client.get("/serials/B1", headers=BEARER)
        await client.post("/search", data={"q": BUYER_COMPANY["tax_id"]}, headers=BEARER)
        await client.post("/login", data={"token": "wrong-guess"})
    text = "\n".join(record.getMessage() for record in caplog.records)
    assert "/serials/{serial}" in text and "/search" in text
    for secret in ("B1", BUYER_COMPANY["tax_id"], "wrong-guess", TOKEN):
        assert secret not in text


class _Inline(HTMLParser):
    """Finds what the Content-Security-Policy would block: inline scripts, styles and handlers."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = dict(attrs)
        if tag == "script" and "src" not in names or tag == "style":
            self.found.append(tag)
        self.found += [name for name in names if name == "style" or name.startswith("on")]
        for name in ("src", "href"):
            if (names.get(name) or "").startswith(("http:", "https:", "//")):
                self.found.append(f"{name}={names[name]}")


@pytest.mark.parametrize("path", ["/", "/serials/B1", "/serials/R1", "/serials/NOPE", "/login"])
async def test_pages_have_no_inline_script_or_style_and_nothing_from_elsewhere(
        client: TestClient[Any, Any], path: str) -> None:
    parser = _Inline()
    parser.feed(await (await client.get(path, headers=BEARER)).text())
    assert parser.found == []


async def test_dlq_bytes_and_reasons_are_escaped(client: TestClient[Any, Any]) -> None:
    body = await (await client.get("/", headers=BEARER)).text()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body and "not JSON: &lt;b&gt;" in body
    assert "<script>alert" not in body


async def test_static_assets_are_served_here_with_the_headers(client: TestClient[Any, Any]) -> None:
    for name, kind in (("console.js", "text/javascript"), ("console.css", "text/css")):
        response = await client.get(f"/static/{name}")
        assert response.status == 200 and response.content_type == kind
        assert_secured(response.headers)
    assert (await client.get("/static/nope.js")).status == 404
    assert (await client.get("/healthz")).status == 200
