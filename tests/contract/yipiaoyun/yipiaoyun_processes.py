"""Real processes on loopback for the 票申 contract tests: `fapiao sandbox yipiaoyun` and a callback receiver."""

from __future__ import annotations

import json
import time
from contextlib import asynccontextmanager
from typing import AsyncIterator

from sandbox_processes import CallbackReceiver, SandboxProcess, never

from fapiao.connectors.yipiaoyun import YipiaoyunCallbacks, YipiaoyunProvider
from fapiao.settings import YipiaoyunSettings

__all__ = ["APP_ID", "SECRET", "Receiver", "Sandbox"]

APP_ID, SECRET = "contract-app", "contract-secret"


class Receiver(CallbackReceiver):
    """Collects every acknowledged callback body; answers what YipiaoyunCallbacks says the vendor expects."""

    def __init__(self) -> None:
        self._flaky_calls = 0
        super().__init__(YipiaoyunCallbacks.reply_body, {"/callbacks": never, "/flaky": self._every_other})
        self.url = f"{self.base_url}/callbacks"
        self.flaky_url = f"{self.base_url}/flaky"  # answers 500 to every other POST

    def _every_other(self) -> bool:
        self._flaky_calls += 1
        return self._flaky_calls % 2 == 1

    def for_serial(self, serial: str) -> list[bytes]:
        return [b for b in self.bodies if serial in json.loads(b).get("data", {}).get("erpOrderNos", [])]

    def wait_for(self, serial: str, count: int = 1, timeout_s: float = 10) -> list[bytes]:
        """The callbacks naming `serial`, once at least `count` arrived (fails after `timeout_s`)."""
        deadline = time.monotonic() + timeout_s
        with self.changed:
            while len(self.for_serial(serial)) < count:
                left = deadline - time.monotonic()
                assert left > 0, f"no {count} callback(s) for {serial} within {timeout_s}s"
                self.changed.wait(left)
            return self.for_serial(serial)


class Sandbox(SandboxProcess):
    """One `fapiao sandbox yipiaoyun` subprocess with our app id and secret, signing callbacks with `sign_type`."""

    def __init__(self, *options: str, sign_type: str) -> None:
        super().__init__("yipiaoyun", "--app-id", APP_ID, "--app-secret", SECRET, "--sign-type", sign_type,
                         "--seed", "7", *options)
        self.sign_type = sign_type

    @asynccontextmanager
    async def client(self, timeout_s: float = 5.0, secret: str = SECRET) -> AsyncIterator[YipiaoyunProvider]:
        """A provider configured for this sandbox, closed on exit."""
        provider = YipiaoyunProvider(YipiaoyunSettings(self.url, APP_ID, secret, self.sign_type), timeout_s)
        try:
            yield provider
        finally:
            await provider.aclose()
