"""The sandbox's memory: its configuration, the tokens it handed out, and every serial it holds.

`Ledger.issue` is the only place an invoice comes into existence, and it refuses a serial that is
not 开票中, so the sandbox itself can never issue a serial twice: any count above 1 in
`issued_per_serial` would prove a bug, and the client contract tests assert there is none.
"""

from __future__ import annotations

import secrets
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from fapiao.connectors.sandboxkit import issuance_stats


@dataclass(frozen=True)
class Config:
    host: str = "127.0.0.1"
    port: int = 8790
    app_id: str = "sandbox-app"
    app_secret: str = "sandbox-secret"
    account_id: str = "sandbox-account"
    aes_password: str | None = None
    latency_s: float = 0.0
    fail_rate: float = 0.0
    timeout_rate: float = 0.0
    hang_s: float = 30.0
    callback_url: str | None = None
    drop_callback_rate: float = 0.0
    duplicate_callback_rate: float = 0.0
    token_ttl_s: float = 7200.0
    issue_delay_s: float = 0.1
    seed: int | None = None


class TokenBook:
    """app_tokens and access_tokens with their deadlines (epoch seconds)."""

    def __init__(self, ttl_s: float) -> None:
        self._ttl_s = ttl_s
        self._app: dict[str, float] = {}
        self._access: dict[str, float] = {}

    def _new(self, book: dict[str, float], prefix: str) -> tuple[str, int]:
        token = prefix + secrets.token_urlsafe(18)
        book[token] = time.time() + self._ttl_s
        return token, int(book[token] * 1000)

    def app_token(self) -> tuple[str, int]:
        return self._new(self._app, "")

    def access_token(self, account_id: str) -> tuple[str, int]:
        return self._new(self._access, f"{account_id}_")

    def valid_app_token(self, token: Any) -> bool:
        return isinstance(token, str) and self._app.get(token, 0.0) > time.time()

    def valid_access_token(self, token: str | None) -> bool:
        return token is not None and self._access.get(token, 0.0) > time.time()

    def expire_all(self) -> None:
        """What a server-side logout or restart does to the tokens a client holds."""
        self._access.clear()
        self._app.clear()


@dataclass
class Ledger:
    """Invoices by serial and the counters `/_sandbox/stats` reports."""

    base_url: str
    invoices: dict[str, dict[str, Any]] = field(default_factory=dict)
    issued_per_serial: Counter[str] = field(default_factory=Counter)
    submissions_per_serial: Counter[str] = field(default_factory=Counter)
    faults: Counter[str] = field(default_factory=Counter)
    requests: Counter[str] = field(default_factory=Counter)
    callbacks: Counter[str] = field(default_factory=Counter)
    _numbers: int = 0

    def record(self, serial: str, interface: str, data: dict[str, Any]) -> None:
        """Hold an accepted submission as 开票中 (invoiceStatus 2)."""
        self.invoices[serial] = {**data, "serialNo": serial, "interfaceCode": interface, "invoiceStatus": "2"}
        self.submissions_per_serial[serial] += 1

    def issue(self, serial: str) -> dict[str, Any] | None:
        """开票成功 for a serial that is 开票中; None (and no effect) for any other."""
        invoice = self.invoices.get(serial)
        if invoice is None or invoice["invoiceStatus"] != "2":
            return None
        self._numbers += 1
        now = datetime.now()
        digital = invoice["invoiceType"] in ("01", "02")
        files = f"{self.base_url}/_sandbox/files/{serial}"
        invoice.update({
            "invoiceStatus": "0", "invoiceDate": now.strftime("%Y-%m-%d %H:%M:%S"),
            # 数电: one 20-digit number; tax-device types: a 12-digit code and an 8-digit number.
            "invoiceNum": f"{now:%y}44{self._numbers:016d}" if digital else f"{self._numbers:08d}",
            "invoiceFileUrl": f"{files}.pdf", "ofdFileUrl": f"{files}.ofd", "xmlFileUrl": f"{files}.xml",
        })
        if not digital:
            invoice["invoiceCode"] = f"0440{now:%y}00{self._numbers % 10000:04d}"
        self.issued_per_serial[serial] += 1
        return invoice

    def stats(self) -> dict[str, Any]:
        pending = sum(1 for inv in self.invoices.values() if inv["invoiceStatus"] == "2")
        return issuance_stats(self.submissions_per_serial, self.issued_per_serial, self.requests, self.callbacks,
                              self.faults, dedupe=True, held=len(self.invoices), pending=pending)
