"""`fapiao sandbox kingdee`: a local Kingdee 发票云 with the real endpoints, envelope and tokens, plus faults.

Defaults match fapiao.settings, so an unconfigured client talks to it. `GET /_sandbox/stats` counts
issuances per serial: the proof that a client never caused a double issue.
"""

from __future__ import annotations

import asyncio

import click

from fapiao.connectors.kingdee.protocol import SANDBOX_PORT
from fapiao.connectors.kingdee.sandbox.app import make_app
from fapiao.connectors.kingdee.sandbox.state import Config
from fapiao.connectors.sandboxkit import client_default, serve

__all__ = ["command"]


@click.command("kingdee")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=SANDBOX_PORT, show_default=True, type=int)
@click.option("--app-id", default=client_default("FAPIAO_KINGDEE_APP_ID"), show_default=True)
@click.option("--app-secret", default=client_default("FAPIAO_KINGDEE_APP_SECRET"), show_default=True)
@click.option("--account-id", default=client_default("FAPIAO_KINGDEE_ACCOUNT_ID"), show_default=True)
@click.option("--aes-password", default=None, help="AES-128-GCM `data` instead of Base64")
@click.option("--latency-ms", default=0, show_default=True, type=click.IntRange(min=0), help="delay every answer")
@click.option("--fail-rate", default=0.0, show_default=True, type=click.FloatRange(0, 1),
              help="submissions answered 503 and not recorded")
@click.option("--timeout-rate", default=0.0, show_default=True, type=click.FloatRange(0, 1),
              help="submissions recorded and issued, but answered only after --hang-s")
@click.option("--hang-s", default=30.0, show_default=True, type=click.FloatRange(min=0))
@click.option("--callback-url", default=None, help="where results are POSTed")
@click.option("--drop-callback-rate", default=0.0, show_default=True, type=click.FloatRange(0, 1))
@click.option("--duplicate-callback-rate", default=0.0, show_default=True, type=click.FloatRange(0, 1))
@click.option("--token-ttl-s", default=7200.0, show_default=True, type=click.FloatRange(min=0, min_open=True))
@click.option("--issue-delay-ms", default=100, show_default=True, type=click.IntRange(min=0),
              help="from 开票中 to 开票成功")
@click.option("--seed", default=None, type=int, help="seed of the fault dice")
def command(host: str, port: int, app_id: str, app_secret: str, account_id: str, aes_password: str | None,
            latency_ms: int, fail_rate: float, timeout_rate: float, hang_s: float, callback_url: str | None,
            drop_callback_rate: float, duplicate_callback_rate: float, token_ttl_s: float, issue_delay_ms: int,
            seed: int | None) -> None:
    """Kingdee 发票云 sandbox: tokens, ALLE.INVOICE.OPEN/QUERY, BILL.PUSH, callbacks, fault injection."""
    config = Config(
        host=host, port=port, app_id=app_id, app_secret=app_secret, account_id=account_id,
        aes_password=aes_password, latency_s=latency_ms / 1000, fail_rate=fail_rate, timeout_rate=timeout_rate,
        hang_s=hang_s, callback_url=callback_url, drop_callback_rate=drop_callback_rate,
        duplicate_callback_rate=duplicate_callback_rate, token_ttl_s=token_ttl_s,
        issue_delay_s=issue_delay_ms / 1000, seed=seed,
    )
    asyncio.run(serve("kingdee", config.host, config.port, lambda url: make_app(config, url)))
