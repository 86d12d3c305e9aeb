"""`fapiao sandbox yipiaoyun`: an offline 票申/易票云 (real HTTP, signed requests and callbacks, faults).

Defaults for app id, secret and sign type are the `FAPIAO_YIPIAOYUN_*` defaults of `fapiao.settings`, so a
client left at its defaults talks to it. The rules it enforces are listed in `rules.py`, faults in `app.py`,
`--dedupe off` in `state.py`. For a test: storeNo "S009" with autoDeal answers 5001 (no online tax device).

Written from providers.md alone: nothing here imports our client (`fapiao.connectors.yipiaoyun` outside this
package, `fapiao.connectors.wire`, `fapiao.schemas`, `fapiao.streams`), so the contract tests compare two
readings of the vendor's documents, not one reading with itself (tests/unit/yipiaoyun holds the guard).
"""

from __future__ import annotations

import asyncio

import click

from fapiao.connectors.sandboxkit import client_default, serve
from fapiao.connectors.yipiaoyun.sandbox.app import SandboxConfig, build_app
from fapiao.connectors.yipiaoyun.sandbox.protocol import SIGN_TYPES

__all__ = ["command"]

DEFAULT_PORT = 8791  # next to the Kingdee sandbox (8790)


def _rate(ctx: click.Context, param: click.Parameter, value: float) -> float:
    if not 0 <= value <= 1:
        raise click.BadParameter("must be between 0 and 1")
    return value


@click.command("yipiaoyun")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=DEFAULT_PORT, show_default=True, type=int, help="0: any free port")
@click.option("--app-id", default=client_default("FAPIAO_YIPIAOYUN_APP_ID"), show_default=True)
@click.option("--app-secret", default=client_default("FAPIAO_YIPIAOYUN_APP_SECRET"), show_default=True)
@click.option("--sign-type", default=client_default("FAPIAO_YIPIAOYUN_SIGN_TYPE"), show_default=True,
              type=click.Choice(SIGN_TYPES, case_sensitive=False), help="signs callbacks")
@click.option("--latency-ms", default=0, show_default=True, type=click.IntRange(min=0))
@click.option("--fail-rate", default=0.0, show_default=True, callback=_rate, help="submissions answered HTTP 503")
@click.option("--timeout-rate", default=0.0, show_default=True, callback=_rate,
              help="submissions recorded but answered only after --hang-s")
@click.option("--hang-s", default=30.0, show_default=True, type=click.FloatRange(min=0))
@click.option("--callback-url", default=None, help="where 申请回调 are POSTed; unset: none sent")
@click.option("--drop-callback-rate", default=0.0, show_default=True, callback=_rate)
@click.option("--duplicate-callback-rate", default=0.0, show_default=True, callback=_rate)
@click.option("--token-ttl-s", default=7200.0, show_default=True, type=click.FloatRange(min=0),
              help="accepted for symmetry with the Kingdee sandbox; 票申 has no tokens")
@click.option("--dedupe", default="on", show_default=True, type=click.Choice(["on", "off"]),
              help="off: an applicationNo sent again is accepted and issued again (a careless provider)")
@click.option("--complete-delay-ms", default=200, show_default=True, type=click.IntRange(min=0))
@click.option("--seed", default=None, type=int, help="seed of the fault dice, for repeatable runs")
def command(host: str, port: int, app_id: str, app_secret: str, sign_type: str, latency_ms: int, fail_rate: float,
            timeout_rate: float, hang_s: float, callback_url: str | None, drop_callback_rate: float,
            duplicate_callback_rate: float, token_ttl_s: float, dedupe: str, complete_delay_ms: int,
            seed: int | None) -> None:
    """Run an offline 票申/易票云 on HOST:PORT."""
    config = SandboxConfig(host, port, app_id, app_secret, sign_type.upper(), latency_ms, fail_rate, timeout_rate,
                           hang_s, callback_url, drop_callback_rate, duplicate_callback_rate, complete_delay_ms, seed,
                           dedupe == "on")
    asyncio.run(serve("yipiaoyun", config.host, config.port, lambda url: build_app(config, url)))
