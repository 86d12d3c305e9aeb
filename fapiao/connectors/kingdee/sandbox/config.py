"""Everything `fapiao sandbox kingdee` is told on its command line."""

from __future__ import annotations

from dataclasses import dataclass

from fapiao.connectors.kingdee.sandbox.names import DEFAULT_PORT
from fapiao.connectors.kingdee.sandbox.reds import RedRules

__all__ = ["Config"]


@dataclass(frozen=True)
class Config:
    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
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
    face_check_rate: float = 0.0
    used_rate: float = 0.0
    buyer_delay_s: float = 1.0
    reds: RedRules = RedRules()
