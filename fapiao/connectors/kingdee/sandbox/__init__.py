"""`fapiao sandbox kingdee`: a local Kingdee 发票云, a second implementation of the protocol the client speaks.

Tokens, the envelope and its `data` codec, blue issuing (ALLE.INVOICE.OPEN, BILL.PUSH), queries and
callbacks, and the red-letter APIs with a simulated buyer and a movable clock; plus faults. It shares
no code with the client (`fapiao.connectors.kingdee`) or with `fapiao.connectors.wire`, so a misreading
of the documentation on one side fails the contract tests instead of agreeing with itself; a unit test
holds it to that. `GET /_sandbox/stats` is the provider's own count: issued per serial, and the blues
whose reds exceed them. Option defaults match `fapiao.settings`, so an unconfigured client talks to it.
"""

from __future__ import annotations

import asyncio

import click

from fapiao.connectors.kingdee.sandbox.config import Config
from fapiao.connectors.kingdee.sandbox.hooks import make_app
from fapiao.connectors.kingdee.sandbox.names import APPLY_REASON_TABLES, DEFAULT_PORT
from fapiao.connectors.kingdee.sandbox.reds import RedRules
from fapiao.connectors.sandboxkit import client_default, serve

__all__ = ["command"]

_RATE = click.FloatRange(0, 1)
_SWITCH = click.Choice(["on", "off"])


@click.command("kingdee")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=DEFAULT_PORT, show_default=True, type=int, help="0: any free port")
@click.option("--app-id", default=client_default("FAPIAO_KINGDEE_APP_ID"), show_default=True)
@click.option("--app-secret", default=client_default("FAPIAO_KINGDEE_APP_SECRET"), show_default=True)
@click.option("--account-id", default=client_default("FAPIAO_KINGDEE_ACCOUNT_ID"), show_default=True)
@click.option("--aes-password", default=None, help="AES-128-GCM `data` instead of Base64")
@click.option("--latency-ms", default=0, show_default=True, type=click.IntRange(min=0), help="delay every answer")
@click.option("--fail-rate", default=0.0, show_default=True, type=_RATE,
              help="calls that change something answered 503, nothing recorded")
@click.option("--timeout-rate", default=0.0, show_default=True, type=_RATE,
              help="calls carried out, but answered only after --hang-s")
@click.option("--hang-s", default=30.0, show_default=True, type=click.FloatRange(min=0))
@click.option("--callback-url", default=None, help="where results are POSTed")
@click.option("--drop-callback-rate", default=0.0, show_default=True, type=_RATE)
@click.option("--duplicate-callback-rate", default=0.0, show_default=True, type=_RATE)
@click.option("--token-ttl-s", default=7200.0, show_default=True, type=click.FloatRange(min=0, min_open=True))
@click.option("--issue-delay-ms", default=100, show_default=True, type=click.IntRange(min=0),
              help="from 开票中 to 开票成功")
@click.option("--seed", default=None, type=int, help="seed of the dice (faults, --used-rate)")
@click.option("--dedupe", default="on", show_default=True, type=_SWITCH,
              help="off: a careless provider that accepts a serial again and lets reds exceed their blue")
@click.option("--apply-reasons", default="bureau", show_default=True, type=click.Choice(list(APPLY_REASON_TABLES)),
              help="how REDCONFIRMBILL.APPLY reads redReason 1..4: bureau (1 开票有误) or standard (1 销货退回)")
@click.option("--used-rate", default=0.0, show_default=True, type=_RATE,
              help="share of blues the buyer already used: their reds need the buyer's confirmation")
@click.option("--buyer-answer", default="confirm", show_default=True,
              type=click.Choice(["confirm", "refuse", "silent"]), help="what the simulated buyer answers our forms")
@click.option("--buyer-delay-s", default=1.0, show_default=True, type=click.FloatRange(min=0),
              help="how long after a form is raised the buyer answers")
@click.option("--form-deadline-s", default=259200.0, show_default=True, type=click.FloatRange(min=0, min_open=True),
              help="an unanswered form lapses (07) this long after it was entered, on the sandbox clock")
@click.option("--auto-issue-on-confirm", default="on", show_default=True, type=_SWITCH,
              help="a form the buyer confirms issues its red by itself, under the form's orderNo")
@click.option("--face-check-rate", default=0.0, show_default=True, type=_RATE,
              help="REDCONFIRMBILL.APPLY calls answered 91400 扫脸认证已超时, nothing recorded")
def command(host: str, port: int, app_id: str, app_secret: str, account_id: str, aes_password: str | None,
            latency_ms: int, fail_rate: float, timeout_rate: float, hang_s: float, callback_url: str | None,
            drop_callback_rate: float, duplicate_callback_rate: float, token_ttl_s: float, issue_delay_ms: int,
            seed: int | None, dedupe: str, apply_reasons: str, used_rate: float, buyer_answer: str,
            buyer_delay_s: float, form_deadline_s: float, auto_issue_on_confirm: str, face_check_rate: float) -> None:
    """Kingdee 发票云 sandbox: tokens, blue and red invoices, 红字确认单, callbacks, a buyer, faults."""
    reds = RedRules(dedupe=dedupe == "on", apply_reasons=apply_reasons, auto_issue=auto_issue_on_confirm == "on",
                    buyer_answer=buyer_answer, deadline_s=form_deadline_s)
    config = Config(
        host=host, port=port, app_id=app_id, app_secret=app_secret, account_id=account_id,
        aes_password=aes_password, latency_s=latency_ms / 1000, fail_rate=fail_rate, timeout_rate=timeout_rate,
        hang_s=hang_s, callback_url=callback_url, drop_callback_rate=drop_callback_rate,
        duplicate_callback_rate=duplicate_callback_rate, token_ttl_s=token_ttl_s,
        issue_delay_s=issue_delay_ms / 1000, seed=seed, face_check_rate=face_check_rate, used_rate=used_rate,
        buyer_delay_s=buyer_delay_s, reds=reds,
    )
    asyncio.run(serve("kingdee", config.host, config.port, lambda url: make_app(config, url)))
