"""`fapiao up`: broker (embedded unless FAPIAO_KAFKA_BOOTSTRAP), sandboxes, gateway and worker, until Ctrl-C."""

from __future__ import annotations

import secrets
import signal
import tempfile
import threading
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from fapiao.commands._common import CORES, configure_logging, processes_option, settings_or_exit
from fapiao.connectors.sandbox_options import with_sandbox_options
from fapiao.connectors.stack import Stack, StackOptions
from fapiao.streams.topics import topic_name

# How an ERP developer reaches the stack: what `up` prints under its table (80 columns wide).
CONNECT = """[bold]Connect an ERP[/]:
  bootstrap  {bootstrap}
  topic      {topic}: one InvoiceRequest per record, keyed by its serial
  value      JSON or Avro, e.g. {{"serial": "ERP-0001", "provider": "kingdee", …,
             "total_amount": "100.00", "total_tax": "13.00", "total_with_tax": "113.00"}}
  or         FAPIAO_KAFKA_BOOTSTRAP={bootstrap} fapiao publish FILE.jsonl
  results    {results}, keyed by serial
Measured to work: confluent-kafka (librdkafka 2.16), aiokafka. Fails: Debian's
kcat 1.7 (librdkafka 2.0.2, ApiVersions). See docs/operations.md. Ctrl-C stops."""


@click.command("up")
@click.option("--workdir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="where process logs go [a temporary folder]")
@processes_option(CORES)
@with_sandbox_options()
def command(workdir: Path | None, processes: int, **sandbox_options: Any) -> None:
    """Run the whole system on this machine until Ctrl-C (or SIGTERM)."""
    from fapiao.console.auth import token_refusal

    settings = settings_or_exit()
    if settings.console_token and (refusal := token_refusal(settings.console_token)):
        raise click.ClickException(refusal)  # before anything starts: its console would refuse it
    console = Console()
    workdir = workdir or Path(tempfile.mkdtemp(prefix="fapiao-up-"))
    (workdir / "logs").mkdir(parents=True, exist_ok=True)
    configure_logging(settings, path=workdir / "logs" / "up.log")  # librdkafka's lines too, off the terminal
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    # The console shows personal data: without a token of the operator's, this run makes one and shows it.
    made_token = None if settings.console_token else secrets.token_urlsafe(24)
    with console.status("starting…"):
        stack = Stack(settings, workdir, StackOptions(sandbox_options=sandbox_options, processes=processes,
                                                   demo_timings=False)).start()
    try:
        with console.status("starting the console…"):
            stack.start_console(made_token)
        table = Table("part", "address", title="fapiao-stream is up")
        table.add_row("Kafka bootstrap (FAPIAO_KAFKA_BOOTSTRAP)", stack.bootstrap)
        table.add_row("callback gateway", stack.gateway_url)
        for provider, url in stack.sandbox_urls.items():
            table.add_row(f"{provider} sandbox", url)
        table.add_row("worker (GET /invoices/SERIAL)", stack.web_urls[0])
        table.add_row("operator's console", stack.console_url)
        table.add_row("process logs", str(workdir / "logs"))
        console.print(table)
        if made_token:
            console.print(f"console token (made for this run; set FAPIAO_CONSOLE_TOKEN to choose one): {made_token}",
                          soft_wrap=True)
        console.print(CONNECT.format(bootstrap=stack.bootstrap, topic=topic_name(settings.topic_prefix, "requests"),
                                     results=topic_name(settings.topic_prefix, "results")), soft_wrap=True)
        try:
            while not stopping.wait(0.5):
                pass
        except KeyboardInterrupt:
            pass
    finally:
        with console.status("stopping…"):
            stack.stop()
