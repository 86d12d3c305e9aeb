"""The console's HTTP side: routes, the token guard and the security headers. Read-only.

    GET  /                 overview: results over time, in doubt, paused sellers, red forms waiting, DLQ
    GET  /serials/{serial} one serial: status, request, timeline, callbacks, result, reds or blue and form
    POST /search           by serial, ERP order number or buyer tax ID (a POST: the query stays out of URLs)
    GET  /login, POST /login, POST /logout
    GET  /static/{name}    the stylesheet and the one script; nothing comes from elsewhere
    GET  /healthz          the process is up (no data)

Every other answer needs the token, as `Authorization: Bearer` or the session cookie the login form
sets; without it a page answers 401 with the login form and nothing else. Logs name the route
pattern and status only: never a path (it holds a serial), a query, a form or a header.
"""

from __future__ import annotations

import logging
import time
from importlib import resources
from typing import Awaitable, Callable

from aiohttp import web

from fapiao import clock
from fapiao.console import pages
from fapiao.console.auth import COOKIE, SESSION_S, Guard, safe_next
from fapiao.console.index import Index

__all__ = ["create_app", "SECURITY_HEADERS", "SERVER_OPTIONS", "Reading"]

log = logging.getLogger("fapiao.console")
Reading = Callable[[], str]  # one line on how far the feed got
_Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
SERVER_OPTIONS = {"access_log": None}  # access lines would carry paths, and a path names a serial
SECURITY_HEADERS = {
    "Content-Security-Policy": ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
                                "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
_OPEN = frozenset({"/login", "/healthz"})
_STATIC = {"console.css": "text/css", "console.js": "text/javascript"}


def _static() -> dict[str, bytes]:
    folder = resources.files("fapiao.console") / "static"
    return {name: (folder / name).read_bytes() for name in _STATIC}


def _html(text: str, status: int = 200) -> web.Response:
    return web.Response(text=text, status=status, content_type="text/html", charset="utf-8")


def create_app(index: Index, token: str, reading: Reading = lambda: "", *,
               secure_cookie: bool | None = None) -> web.Application:
    """The console over `index`; its session cookie is Secure when `secure_cookie` says, or (None) when
    the request came over HTTPS, which a console behind a TLS-terminating proxy cannot tell."""
    guard = Guard(token)
    static = _static()

    @web.middleware
    async def guarded(request: web.Request, handler: _Handler) -> web.StreamResponse:
        """Ask for the token, set the security headers on every answer, log without content."""
        try:
            if not (request.path in _OPEN or request.path.startswith("/static/")
                    or guard.allows(request.headers, request.cookies, time.time())):
                response: web.StreamResponse = _html(pages.login_page(), 401)
            else:
                response = await handler(request)
        except web.HTTPException as exc:
            response = exc
        response.headers.update(SECURITY_HEADERS)
        resource = request.match_info.route.resource
        log.debug("%s %s -> %s", request.method, resource.canonical if resource else "unmatched", response.status)
        if isinstance(response, web.HTTPException):
            raise response
        return response

    def main_or_page(request: web.Request, title: str, main: str, refresh: str | None) -> web.Response:
        """The refresh asks for `<main>` alone; a browser's first visit gets the page around it."""
        if request.headers.get(pages.FRAGMENT_HEADER):
            return _html(main)
        return _html(pages.page(title, main, refresh=refresh))

    async def overview(request: web.Request) -> web.Response:
        main = pages.overview_main(index.overview(clock.now()), reading=reading())
        return main_or_page(request, "fapiao console", main, "/")

    async def serial(request: web.Request) -> web.Response:
        name = request.match_info["serial"]
        view = index.serial_view(name, clock.now())
        main = pages.serial_main(view) if view is not None else pages.missing_main(name)
        return main_or_page(request, f"{name} · fapiao console", main, pages.serial_path(name))

    async def search(request: web.Request) -> web.Response:
        query = str((await request.post()).get("q", ""))[:200]
        found = index.search(query)
        if len(found) == 1:
            raise web.HTTPSeeOther(pages.serial_path(found[0].serial))
        return _html(pages.page("search · fapiao console", pages.search_main(query, found)))

    async def login_form(_: web.Request) -> web.Response:
        return _html(pages.login_page())

    async def login(request: web.Request) -> web.Response:
        form = await request.post()
        if not guard.token_ok(str(form.get("token", ""))):
            log.info("console login refused")
            return _html(pages.login_page(failed=True), 401)
        going = web.HTTPSeeOther(safe_next(str(form.get("next", "/"))))
        going.set_cookie(COOKIE, guard.session(time.time()), max_age=SESSION_S, path="/", httponly=True,
                         samesite="Strict",
                         secure=request.secure if secure_cookie is None else secure_cookie)
        raise going

    async def logout(_: web.Request) -> web.Response:
        going = web.HTTPSeeOther("/login")
        going.del_cookie(COOKIE, path="/")
        raise going

    async def asset(request: web.Request) -> web.Response:
        name = request.match_info["name"]
        if name not in static:
            raise web.HTTPNotFound()
        return web.Response(body=static[name], content_type=_STATIC[name], charset="utf-8")

    async def healthz(_: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    app = web.Application(middlewares=[guarded], client_max_size=64 * 1024)
    app.router.add_get("/", overview)
    app.router.add_get("/serials/{serial}", serial)
    app.router.add_post("/search", search)
    app.router.add_get("/login", login_form)
    app.router.add_post("/login", login)
    app.router.add_post("/logout", logout)
    app.router.add_get("/static/{name}", asset)
    app.router.add_get("/healthz", healthz)
    return app
