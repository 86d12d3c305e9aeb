"""`fapiao bench`: how fast the pipeline issues invoices on this machine, beside the broker's and faust's ceilings."""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from fapiao.bench.pipeline import WARMUP, run_benchmark
from fapiao.commands._common import cluster_or_exit, processes_option, settings_or_exit
from fapiao.connectors.sandbox_options import with_sandbox_options
from fapiao.exceptions import FapiaoStreamError


@click.command("bench")
@click.option("--count", default=5000, show_default=True, type=click.IntRange(1, 1_000_000))
@click.option("--provider", type=click.Choice(["kingdee", "yipiaoyun", "mixed"]), default="yipiaoyun",
              show_default=True)
@click.option("--rate", default=0.0, type=float, help="publish at this many requests/s [as fast as possible]")
@click.option("--warmup", default=WARMUP, show_default=True, type=click.IntRange(0, 100_000),
              help="requests sent and answered before the clock starts (connections, first-time code paths)")
@processes_option(1)
@click.option("--json", "as_json", is_flag=True, help="end with one JSON object on stdout")
@click.option("--audit", is_flag=True, help="end each run with `fapiao audit`'s checks over its topics")
@with_sandbox_options()
def command(count: int, provider: str, rate: float, warmup: int, processes: int, as_json: bool, audit: bool,
            **sandbox_options: Any) -> None:
    """Publish COUNT valid requests through a real stack (embedded broker unless FAPIAO_KAFKA_BOOTSTRAP)
    and measure invoices/s end to end, latency percentiles, worker CPU and RSS, and two consume→produce
    ceilings: a confluent-kafka loop (the broker) and one faust agent (the runtime the worker is built on).

    With --processes N > 1, a run with one worker process first, then one with N, each on a fresh stack:
    `scaling` is the second's throughput over the first's."""
    settings = settings_or_exit()
    if settings.kafka_bootstrap:  # a cluster of the user's: one line now if it does not answer, before any bar
        cluster_or_exit(settings)
    console = Console(stderr=True)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    workdir = Path(tempfile.mkdtemp(prefix="fapiao-bench-"))
    try:
        with Progress(*columns, console=console, transient=True) as bar:
            task = bar.add_task("results", total=count * (2 if processes > 1 else 1))
            figures = run_benchmark(settings, workdir, count, provider, rate,
                                    progress=lambda new: bar.advance(task, new), warmup=warmup, processes=processes,
                                    sandbox_options=sandbox_options, audit=audit)
    except FapiaoStreamError as exc:
        raise click.ClickException(f"bench failed: {exc}") from exc
    if figures["pending"] or figures.get("one_process", {}).get("pending"):  # keep the stack's logs: they say why
        console.print(f"[yellow]requests got no result; the stacks' logs are under {workdir}[/yellow]")
    else:
        shutil.rmtree(workdir, ignore_errors=True)
    if as_json:
        print(json.dumps(figures))
    else:
        console.print(figures)
    runs = [figures, *([figures["one_process"]] if "one_process" in figures else [])]
    if any(run["issued_twice"] or not run.get("audit", {}).get("ok", True) for run in runs):
        console.print("[red]a guarantee failed: a serial was issued twice, or an audit invariant was violated[/red]")
        sys.exit(1)
