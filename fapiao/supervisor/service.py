"""The supervisor of `fapiao worker --processes N`: N members of one consumer group, kept running, and
one HTTP front on `FAPIAO_WEB_PORT` for all of them.

    /healthz            200 while the supervisor runs, with each member's index, pid, port and restarts
    /readyz             200 when the group is ready (`policy.group_ready`), else 503
    /metrics            every member's /metrics added up, each with what its dead processes had counted
                        (`metrics.carry`), plus the supervisor's own
    /invoices/{serial}  the answer of the member that holds the serial (404 when none does)

It decides nothing itself (`policy` does): it notices a member's exit, starts it again after the
planned wait, and on SIGTERM or SIGINT sends each member SIGTERM, then SIGKILL to those still running
after the worker's own shutdown deadline. Members die with it if it is killed outright
(`members.die_with_parent`, called by each member).
"""

from __future__ import annotations

import asyncio
import logging
import math
import signal
import time
from pathlib import Path
from typing import Any, Sequence
from urllib.parse import quote

import httpx
from aiohttp import web

from fapiao.settings import SHUTDOWN_DEADLINE_S, Settings
from fapiao.supervisor.members import Member
from fapiao.supervisor.metrics import Counted, Families, ParseError, carry, parse, render, total
from fapiao.supervisor.policy import Backoff, Readiness, group_ready, plan_restart

__all__ = ["supervise", "Supervisor"]

log = logging.getLogger("fapiao.supervisor")
_LOOK_EVERY_S = 0.2  # how often members are checked for an exit
_SCRAPE_TIMEOUT_S = 5.0


class Supervisor:
    """The members and what the HTTP front asks of them."""

    def __init__(self, settings: Settings, processes: int, member_argv: Sequence[str],
                 backoff: Backoff = Backoff(), shutdown_deadline_s: float = SHUTDOWN_DEADLINE_S) -> None:
        self.settings = settings
        self.backoff = backoff
        self.shutdown_deadline_s = shutdown_deadline_s
        self.members = [Member(i, member_argv, Path(settings.data_dir) / f"member-{i}") for i in range(processes)]
        self.counted = [Counted() for _ in self.members]  # per member, what `/metrics` carries across restarts
        self.stopping = asyncio.Event()
        self.client = httpx.AsyncClient(timeout=_SCRAPE_TIMEOUT_S)

    # -- keeping members running -------------------------------------------------------------------

    async def keep_running(self) -> None:
        for member in self.members:
            member.start()
            log.info("member %d started (pid %s, port %d)", member.index, member.pid, member.port)
        while not self.stopping.is_set():
            self.look(time.monotonic())
            try:
                await asyncio.wait_for(self.stopping.wait(), _LOOK_EVERY_S)
            except asyncio.TimeoutError:
                pass

    def look(self, now: float) -> None:
        """Plan a restart for each member that exited; start those whose wait is over."""
        for member in self.members:
            code = member.returncode()
            if code is not None:
                plan = plan_restart(code, now - member.started_at, member.delay_s, self.stopping.is_set(), self.backoff)
                pid = member.pid
                member.forget()
                if plan is None:
                    member.due_at = math.inf  # left stopped
                    continue
                member.delay_s, member.due_at = plan.delay_s, now + plan.delay_s
                log.error("member %d (pid %s) %s; starting it again in %.1fs", member.index, pid, plan.why,
                          plan.delay_s)
            elif member.popen is None and member.due_at <= now:
                member.start()
                member.restarts += 1
                log.info("member %d started again (pid %s, port %d, restart %d)", member.index, member.pid,
                         member.port, member.restarts)

    async def stop_members(self) -> None:
        """SIGTERM to each member; SIGKILL to any still running after the shutdown deadline."""
        for member in self.members:
            member.signal(signal.SIGTERM)
        deadline = time.monotonic() + self.shutdown_deadline_s
        while any(m.running() for m in self.members) and time.monotonic() < deadline:
            await asyncio.sleep(_LOOK_EVERY_S)
        for member in self.members:
            if member.running():
                log.error("member %d (pid %s) still running %.0fs after SIGTERM: killing it", member.index,
                          member.pid, self.shutdown_deadline_s)
                member.signal(signal.SIGKILL)
            if member.popen is not None:
                member.popen.wait()

    # -- asking members ----------------------------------------------------------------------------

    async def _ask(self, member: Member, path: str) -> httpx.Response | None:
        if not member.running():
            return None
        try:
            return await self.client.get(f"{member.url}{path}")
        except httpx.HTTPError:
            return None  # starting, stopping or hung: this scrape goes without it

    async def ask_all(self, path: str) -> list[httpx.Response | None]:
        return list(await asyncio.gather(*(self._ask(member, path) for member in self.members)))

    async def metrics(self) -> str:
        async def scrape(member: Member) -> tuple[int, Families | None]:
            process = member.restarts  # the process asked: read with its URL, no restart in between
            answer = await self._ask(member, "/metrics")
            return process, _parsed(answer.text) if answer and answer.status_code == 200 else None

        scrapes = await asyncio.gather(*(scrape(member) for member in self.members))
        shares = []
        for member, (process, families) in zip(self.members, scrapes):
            self.counted[member.index], share = carry(self.counted[member.index], process, families)
            shares.append(share)
        own = [
            "# HELP fapiao_worker_processes Worker processes this supervisor runs.",
            "# TYPE fapiao_worker_processes gauge", f"fapiao_worker_processes {len(self.members)}",
            "# HELP fapiao_worker_processes_scraped Worker processes whose /metrics are in this scrape.",
            "# TYPE fapiao_worker_processes_scraped gauge",
            f"fapiao_worker_processes_scraped {sum(families is not None for _, families in scrapes)}",
            "# HELP fapiao_worker_restarts_total Worker processes started again after they died.",
            "# TYPE fapiao_worker_restarts_total counter",
            f"fapiao_worker_restarts_total {sum(m.restarts for m in self.members)}"]
        return render(total([*shares, parse("\n".join(own))]))

    async def readiness(self) -> bool:
        def answer(response: httpx.Response | None) -> Readiness | None:
            if response is None or response.status_code not in (200, 503):
                return None
            try:
                body: dict[str, Any] = response.json()
            except ValueError:
                return None
            return Readiness(bool(body.get("ready")), tuple(body.get("stalled") or ()))

        return group_ready([answer(response) for response in await self.ask_all("/readyz")], self.settings.partitions)

    def health(self) -> dict[str, Any]:
        return {"ok": True, "members": [{"index": m.index, "pid": m.pid, "port": m.port, "restarts": m.restarts,
                                         "running": m.running()} for m in self.members]}

    async def invoice(self, serial: str) -> httpx.Response | None:
        """The member that holds `serial` answers 200; the others 404."""
        path = f"/invoices/{quote(serial, safe='')}"  # one path segment, whatever the serial holds
        return next((a for a in await self.ask_all(path) if a and a.status_code == 200), None)


def _parsed(text: str) -> Families | None:
    try:
        return parse(text)
    except ParseError as exc:
        log.error("a member's /metrics is not Prometheus text; left out of the sum: %s", exc)
        return None


def _routes(supervisor: Supervisor) -> web.Application:
    async def healthz(request: web.Request) -> web.Response:
        return web.json_response(supervisor.health())

    async def readyz(request: web.Request) -> web.Response:
        ready = await supervisor.readiness()
        return web.json_response({"ready": ready}, status=200 if ready else 503)

    async def metrics(request: web.Request) -> web.Response:
        return web.Response(body=(await supervisor.metrics()).encode(),
                            headers={"Content-Type": "text/plain; version=0.0.4; charset=utf-8"})

    async def invoice(request: web.Request) -> web.Response:
        serial = request.match_info["serial"]
        found = await supervisor.invoice(serial)
        if found is None:
            return web.json_response({"error": "unknown serial on this worker", "serial": serial}, status=404)
        return web.Response(body=found.content, status=200, content_type="application/json")

    app = web.Application()
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics)
    app.router.add_get("/invoices/{serial}", invoice)
    return app


async def _serve(supervisor: Supervisor) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, supervisor.stopping.set)
    runner = web.AppRunner(_routes(supervisor), access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, supervisor.settings.web_host, supervisor.settings.web_port).start()
        log.info("supervising %d worker processes; /healthz /readyz /metrics on %s:%d", len(supervisor.members),
                 supervisor.settings.web_host, supervisor.settings.web_port)
        await supervisor.keep_running()
    finally:
        supervisor.stopping.set()
        await supervisor.stop_members()
        await runner.cleanup()
        await supervisor.client.aclose()


def supervise(settings: Settings, processes: int, member_argv: Sequence[str],
              backoff: Backoff = Backoff(), shutdown_deadline_s: float = SHUTDOWN_DEADLINE_S) -> None:
    """Run `processes` members (each started with `member_argv`) until SIGTERM or SIGINT; return once all stopped."""

    async def main() -> None:
        await _serve(Supervisor(settings, processes, member_argv, backoff, shutdown_deadline_s))

    asyncio.run(main())
