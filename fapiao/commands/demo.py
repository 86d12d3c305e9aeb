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
from fapiao.connectors.stack import Stack, StackOptions
from fapiao.connectors.watch import ResultWatcher
from fapiao.samples import demo_requests
from fapiao.schemas.records import InvoiceResult, Status
from fapiao.schemas.registry import codec_for
from fapiao.streams.topics import topic_name

FAULTS = (
    ("latency-ms", int, 0, "sandbox answer delay"),
    ("fail-rate", float, 0.0, "share of submissions the sandbox answers 503 (nothing issued)"),
    ("timeout-rate", float, 0.0, "share of submissions issued but answered too late (in doubt)"),
    ("drop-callback-rate", float, 0.0, "share of callbacks the sandbox never sends"),
    ("duplicate-callback-rate", float, 0.0, "share of callbacks the sandbox sends twice"),
    ("token-ttl-s", int, 7200, "sandbox token lifetime"),
)


def sandbox_args(options: dict[str, Any]) -> list[str]:
    """The fault options given on the command line, as sandbox arguments."""
    args: list[str] = []
    for name, _, default, _ in FAULTS:
        value = options[name.replace("-", "_")]
        if value != default:
            args += [f"--{name}", str(value)]
    return args


def with_fault_options(func: Any) -> Any:
    for name, kind, default, help_text in reversed(FAULTS):
        func = click.option(f"--{name}", type=kind, default=default, show_default=True, help=help_text)(func)
    return func


def summary(requested: int, results: dict[str, InvoiceResult], duplicates: int, seconds: float) -> dict[str, Any]:
    counts = {status: sum(1 for r in results.values() if r.status is status)
              for status in (Status.ISSUED, Status.REJECTED, Status.FAILED)}
    return {"requested": requested, "issued": counts[Status.ISSUED], "rejected": counts[Status.REJECTED],
            "failed": counts[Status.FAILED], "pending": requested - len(results),
            "duplicates_issued": duplicates, "seconds": round(seconds, 1)}


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
        table.add_row(request["serial"], f"[{style.get(result.status, 'white') if result else 'magenta'}]{status}[/]",
                      request["provider"], request["invoice_type"], number)
        reason = _reason(result) if result else ""
        if reason:
            reasons.append(f"{request['serial']}  ", style="bold").append(f"{reason}\n")
    return Group(table, Text("why not issued", style="bold underline"), reasons) if reasons else Group(table)


@click.command("demo")
@click.option("--count", default=20, show_default=True, type=click.IntRange(1, 1_000_000), help="requests to publish")
@click.option("--provider", type=click.Choice(["kingdee", "yipiaoyun", "mixed"]), default="mixed", show_default=True)
@click.option("--json", "as_json", is_flag=True, help="end with one JSON object on stdout")
@click.option("--deadline-s", default=None, type=float, help="give up waiting after this long [120 + count/5]")
@click.option("--workdir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="where process logs go [a temporary folder]")
@with_fault_options
def command(count: int, provider: str, as_json: bool, deadline_s: float | None, workdir: Path | None,
            **faults: Any) -> None:
    """Start broker, sandboxes, gateway and worker; issue COUNT sample requests; show every outcome.

    A few requests are invalid on purpose and must come back rejected with a reason.
    Exits 0 only when no request is left pending.
    """
    settings = settings_or_exit()
    console = Console(stderr=as_json)
    requests = list(demo_requests(count, provider, seed=int(time.time()) % 10_000))
    providers = ("kingdee", "yipiaoyun") if provider == "mixed" else (provider,)
    workdir = workdir or Path(tempfile.mkdtemp(prefix="fapiao-demo-"))
    (workdir / "logs").mkdir(parents=True, exist_ok=True)
    configure_logging(settings, path=workdir / "logs" / "demo.log")  # librdkafka's lines too, off the terminal
    deadline = deadline_s or 120 + count / 5
    with console.status("starting broker, sandboxes, gateway and worker…"):
        stack = Stack(settings, workdir, StackOptions(providers=providers, sandbox_args=sandbox_args(faults))).start()
    try:
        console.print(f"stack up: broker {stack.bootstrap}, gateway {stack.gateway_url}, logs in {workdir}/logs")
        started = time.monotonic()
        watcher = ResultWatcher(stack.cluster, topic_name(settings.topic_prefix, "results"),
                                codec_for(settings.schema_registry_url), (r["serial"] for r in requests))
        out = stack.cluster.producer()
        for request in requests:
            out.produce(topic_name(settings.topic_prefix, "requests"), key=request["serial"].encode(),
                        value=json.dumps(request, ensure_ascii=False).encode("utf-8"))
            out.poll(0)
        out.flush(30)
        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
        with Progress(*columns, console=console, transient=as_json) as progress:
            task = progress.add_task("results", total=count)
            watcher.wait(deadline, on_progress=lambda new: progress.advance(task, new))
        seconds = time.monotonic() - started
        outcome = summary(count, watcher.results, stack.duplicates_issued(), seconds)
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
