"""Helpers of the Kingdee contract tests: the `fapiao sandbox kingdee` subprocess and its callback receiver."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from typing import Any

import httpx
from sandbox_processes import CallbackReceiver, SandboxProcess

from fapiao.connectors.kingdee import KingdeeCallbacks, KingdeeProvider
from fapiao.connectors.provider import Outcome, OutcomeKind
from fapiao.samples import valid_request
from fapiao.schemas.records import InvoiceRequest
from fapiao.schemas.requests import parse_request


class Sandbox(SandboxProcess):
    """One `fapiao sandbox kingdee` subprocess."""

    def __init__(self, *args: str) -> None:
        super().__init__("kingdee", *args)

    def expire_tokens(self) -> None:
        httpx.post(f"{self.url}/_sandbox/expire-tokens", timeout=5).raise_for_status()


class Receiver(CallbackReceiver):
    """Kingdee's callback endpoint; fails its first `fail_first` POSTs with 500."""

    def __init__(self, fail_first: int = 0) -> None:
        self.fail_first = fail_first
        self.refused = 0
        super().__init__(KingdeeCallbacks.reply_body, {"/kingdee/callback": self._refuse})
        self.url = f"{self.base_url}/kingdee/callback"

    def _refuse(self) -> bool:
        if self.refused < self.fail_first:
            self.refused += 1
            return True
        return False

    async def wait_for(self, count: int, parser: KingdeeCallbacks, serial: str, timeout: float = 10) -> list[Any]:
        """The parsed facts about `serial`, once at least `count` callbacks named it."""
        deadline = time.monotonic() + timeout
        while True:
            facts = [fact for body in list(self.bodies) for fact in parser.parse(body, {}) if fact.serial == serial]
            if len(facts) >= count or time.monotonic() > deadline:
                return facts
            await asyncio.sleep(0.05)


_serials = iter(range(10**6))


def new_request(invoice_type: str = "digital_normal", **changes: Any) -> InvoiceRequest:
    serial = f"KDC{time.time_ns() % 10**9:09d}{next(_serials):04d}"
    request, findings = parse_request(valid_request(serial, "kingdee", invoice_type=invoice_type))
    assert request is not None, findings
    return dataclasses.replace(request, **changes)


async def settled(provider: KingdeeProvider, request: InvoiceRequest, timeout: float = 10) -> Outcome:
    """Query until the serial is no longer 开票中."""
    deadline = time.monotonic() + timeout
    while True:
        outcome = await provider.query(request)
        if outcome.kind is not OutcomeKind.PENDING or time.monotonic() > deadline:
            return outcome
        await asyncio.sleep(0.1)
