"""`fapiao up`: broker (embedded unless FAPIAO_KAFKA_BOOTSTRAP), sandboxes, gateway and worker, until Ctrl-C."""

from __future__ import annotations

import signal
import tempfile
import threading
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from fapiao.commands._common import CORES, processes_option, settings_or_exit
from fapiao.commands.demo import sandbox_args, with_fault_options
from fapiao.connectors.stack import Stack, StackOptions


@click.command("up")
@click.option("--workdir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="where process logs go [a temporary folder]")
@processes_option(CORES)
@with_fault_options
def command(workdir: Path | None, processes: int, **faults: Any) -> None:
    """Run the whole system on this machine until Ctrl-C (or SIGTERM)."""
    settings = settings_or_exit()
    console = Console()
    workdir = workdir or Path(tempfile.mkdtemp(prefix="fapiao-up-"))
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    with console.status("starting…"):
        stack = Stack(settings, workdir, StackOptions(sandbox_args=sandbox_args(faults), processes=processes,
                                                   demo_timings=False)).start()
    try:
        table = Table("part", "address", title="fapiao-stream is up")
        table.add_row("Kafka bootstrap (FAPIAO_KAFKA_BOOTSTRAP)", stack.bootstrap)
        table.add_row("callback gateway", stack.gateway_url)
        for provider, url in stack.sandbox_urls.items():
            table.add_row(f"{provider} sandbox", url)
        table.add_row("worker (GET /invoices/SERIAL)", stack.web_urls[0])
        table.add_row("process logs", str(workdir / "logs"))
        console.print(table)
        console.print("publish with: FAPIAO_KAFKA_BOOTSTRAP=%s fapiao publish FILE   (Ctrl-C stops)" % stack.bootstrap)
        try:
            while not stopping.wait(0.5):
                pass
        except KeyboardInterrupt:
            pass
    finally:
        with console.status("stopping…"):
            stack.stop()
