"""`fapiao demo`: the whole system on this machine, N sample requests through it, and what became of each."""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import click
from rich.console import Console, Group
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from fapiao.commands._common import configure_logging, settings_or_exit
from fapiao.connectors.sandbox_options import with_sandbox_options
from fapiao.connectors.stack import Stack, StackOptions
from fapiao.connectors.watch import ResultWatcher
from fapiao.samples import demo_requests, plan_reds, red_requests
from fapiao.schemas.records import InvoiceResult, Status
from fapiao.schemas.registry import codec_for
from fapiao.streams.topics import topic_name

def summary(requests: list[dict[str, Any]], results: dict[str, InvoiceResult], duplicates: int,
            seconds: float) -> dict[str, Any]:
    """The demo's outcome: blues and reds counted apart, and what is still pending of either."""
    reds = {r["serial"] for r in requests if r.get("kind") == "red"}

    def count(status: Status, red: bool) -> int:
        return sum(1 for serial, r in results.items() if r.status is status and (serial in reds) is red)

    return {"requested": len(requests) - len(reds), "issued": count(Status.ISSUED, False),
            "rejected": count(Status.REJECTED, False), "failed": count(Status.FAILED, False),
            "red_requested": len(reds), "red_issued": count(Status.ISSUED, True),
            "red_rejected": count(Status.REJECTED, True), "red_failed": count(Status.FAILED, True),
            "pending": len(requests) - len(results), "duplicates_issued": duplicates, "seconds": round(seconds, 1)}


def _reason(result: InvoiceResult) -> str:
    if result.status is Status.ISSUED:
        return ""
    if result.errors:
        first = result.errors[0]
        more = f" (+{len(result.errors) - 1})" if len(result.errors) > 1 else ""
        return f"{first.code} {first.field}: {first.message_en}{more}"
    return " ".join(part for part in (result.code, result.message) if part) or ""


def results_table(requests: list[dict[str, Any]], results: dict[str, InvoiceResult]) -> Group:
    """Every serial's outcome, then the reasons below the table: serials and statuses are never cut.

    Serial and status columns are as wide as their longest value and never wrap; the other columns
    fold when the terminal is narrow (80 columns); reasons, the longest texts, get whole lines.
    """
    style = {Status.ISSUED: "green", Status.REJECTED: "yellow", Status.FAILED: "red"}
    rows = []
    for request in requests:
        result = results.get(request["serial"])
        number = (result.invoice.number or result.invoice.h5_url or "") if result and result.invoice else ""
        rows.append((request, result, result.status.value if result else "pending", number))
    table = Table(title="fapiao demo")
    table.add_column("serial", no_wrap=True, width=max([len("serial")] + [len(r[0]["serial"]) for r in rows]))
    table.add_column("status", no_wrap=True, width=max([len("status")] + [len(r[2]) for r in rows]))
    for name in ("provider", "type", "invoice number"):
        table.add_column(name, overflow="fold")
    reasons = Text()
    for request, result, status, number in rows:
        red = request.get("kind") == "red"
        table.add_row(request["serial"], f"[{style.get(result.status, 'white') if result else 'magenta'}]{status}[/]",
                      request.get("provider") or (result.provider if result else "") or "",
                      f"red {request['red_reason']} of {request['original_serial']}" if red else request["invoice_type"],
                      number)
        reason = _reason(result) if result else ""
        if reason:
            reasons.append(f"{request['serial']}  ", style="bold").append(f"{reason}\n")
    return Group(table, Text("why not issued", style="bold underline"), reasons) if reasons else Group(table)


def publish(out: Any, prefix: str, requests: list[dict[str, Any]]) -> None:
    """Publish requests as an ERP would: JSON, keyed by serial."""
    for request in requests:
        out.produce(topic_name(prefix, "requests"), key=request["serial"].encode(),
                    value=json.dumps(request, ensure_ascii=False).encode("utf-8"))
        out.poll(0)
    out.flush(30)


@click.command("demo")
@click.option("--count", default=20, show_default=True, type=click.IntRange(1, 1_000_000), help="requests to publish")
@click.option("--provider", type=click.Choice(["kingdee", "yipiaoyun", "mixed"]), default="mixed", show_default=True)
@click.option("--json", "as_json", is_flag=True, help="end with one JSON object on stdout")
@click.option("--deadline-s", default=None, type=float, help="give up waiting after this long [120 + count/5]")
@click.option("--workdir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="where process logs go [a temporary folder]")
# The sandboxes would issue a serial sent twice, so `duplicates_issued` shows what the pipeline itself would do;
# the buyer takes 3 s to answer a red-letter form, so a red that waits for the buyer is seen waiting.
@with_sandbox_options(dedupe="off", buyer_delay_s=3.0)
def command(count: int, provider: str, as_json: bool, deadline_s: float | None, workdir: Path | None,
            **sandbox_options: Any) -> None:
    """Start broker, sandboxes, gateway and worker; issue COUNT sample requests; show every outcome.

    A few requests are invalid on purpose and must come back rejected with a reason. Once the blues are
    issued, some Kingdee ones are taken back with red-letter invoices: whole returns, three allowances of
    40 % (the third is refused: more than remains), and returns whose form waits for the buyer, who
    confirms one kind and refuses the other. Exits 0 only when no request is left pending.
    """
    settings = settings_or_exit()
    console = Console(stderr=as_json)
    requests = list(demo_requests(count, provider, seed=int(time.time()) % 10_000))
    roles = plan_reds(requests)  # before publishing: some blues carry the sandbox buyer's markers
    providers = ("kingdee", "yipiaoyun") if provider == "mixed" else (provider,)
    workdir = workdir or Path(tempfile.mkdtemp(prefix="fapiao-demo-"))
    (workdir / "logs").mkdir(parents=True, exist_ok=True)
    configure_logging(settings, path=workdir / "logs" / "demo.log")  # librdkafka's lines too, off the terminal
    deadline = deadline_s or 120 + count / 5
    with console.status("starting broker, sandboxes, gateway and worker…"):
        stack = Stack(settings, workdir, StackOptions(providers=providers, sandbox_options=sandbox_options)).start()
    try:
        console.print(f"stack up: broker {stack.bootstrap}, gateway {stack.gateway_url}, logs in {workdir}/logs")
        started = time.monotonic()
        watcher = ResultWatcher(stack.cluster, topic_name(settings.topic_prefix, "results"),
                                codec_for(settings.schema_registry_url), (r["serial"] for r in requests))
        out = stack.cluster.producer()
        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
        with Progress(*columns, console=console, transient=as_json) as progress:
            publish(out, settings.topic_prefix, requests)
            task = progress.add_task("blue invoices", total=count)
            watcher.wait(deadline, on_progress=lambda new: progress.advance(task, new))
            issued = {r["serial"]: r for r in requests if (result := watcher.results.get(r["serial"]))
                      and result.status is Status.ISSUED}
            reds = red_requests(roles, issued)
            if reds:
                watcher.wanted |= {r["serial"] for r in reds}
                publish(out, settings.topic_prefix, reds)
                task = progress.add_task("red-letter invoices", total=len(reds))
                watcher.wait(deadline, on_progress=lambda new: progress.advance(task, new))
            requests += reds
        seconds = time.monotonic() - started
        outcome = summary(requests, watcher.results, stack.duplicates_issued(), seconds)
        watcher.close()
    finally:
        with console.status("stopping…"):
            stack.stop()
    if as_json:
        print(json.dumps(outcome))
    else:
        console.print(results_table(requests, watcher.results))
        console.print(outcome)
    sys.exit(0 if outcome["pending"] == 0 else 1)
