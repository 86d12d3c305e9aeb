"""`fapiao audit`: read the whole log (or a time window), count what happened and check the guarantees."""

from __future__ import annotations

import json
import sys
from contextlib import nullcontext
from datetime import datetime
from pathlib import Path
from typing import Any, ContextManager

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from fapiao.audit import Audit
from fapiao.audit.reader import Progress as OnProgress
from fapiao.audit.reader import read_facts
from fapiao.audit.report_csv import write_csv
from fapiao.audit.report_html import write_html
from fapiao.commands._common import cluster_or_exit, settings_or_exit
from fapiao.schemas.registry import codec_for


class _Moment(click.ParamType):
    """An ISO 8601 time; without an offset it is this machine's local time."""

    name = "ISO-TIME"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> datetime:
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            self.fail(f"{value!r} is not an ISO 8601 time (e.g. 2024-03-11T08:00:00+08:00)", param, ctx)
        return moment if moment.tzinfo else moment.astimezone()


def progress_bar(description: str) -> tuple[ContextManager[Any], OnProgress | None]:
    """A rich progress bar on stderr, only when stderr is a terminal; (context, callback)."""
    if not sys.stderr.isatty():
        return nullcontext(), None
    bar = Progress(TextColumn(description), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                   console=Console(stderr=True), transient=True)
    task = bar.add_task(description, total=None)
    return bar, lambda done, expected: bar.update(task, completed=done, total=expected)


def _print(console: Console, result: Audit) -> None:
    summary = result.summary
    counts = Table("requests", "issued", "rejected", "failed", "in progress", "DLQ", "issued amount", "issued tax",
                   title="fapiao audit")
    counts.add_row(*map(str, (len(summary.rows), summary.count("issued"), summary.count("rejected"),
                              summary.count("failed"), len(summary.in_progress), summary.dlq,
                              summary.issued_amount, summary.issued_tax)))
    console.print(counts)
    for title, counter in (("status", summary.by_status), ("provider", summary.by_provider),
                           ("seller", summary.by_seller), ("invoice type", summary.by_invoice_type)):
        table = Table(title, "serials")
        for name, count in counter.most_common():
            table.add_row(name, str(count))
        console.print(table)
    checks = Table("invariant", "serials", "detail", title="violations" if result.violations else None)
    for violation in result.violations:
        checks.add_row(f"[red]{violation.name}[/]", " ".join(violation.serials[:10]), violation.detail)
    console.print(checks if result.violations else "[green]all invariants hold[/]")


@click.command("audit")
@click.option("--since", type=_Moment(), default=None, help="only records written at or after this time")
@click.option("--until", type=_Moment(), default=None, help="only records written at or before this time")
@click.option("--json", "as_json", is_flag=True, help="end with one JSON object on stdout")
@click.option("--csv", "csv_path", type=click.Path(dir_okay=False, path_type=Path), help="write one row per serial")
@click.option("--html", "html_path", type=click.Path(dir_okay=False, path_type=Path),
              help="write a self-contained report (summary, charts, violations)")
def command(since: datetime | None, until: datetime | None, as_json: bool, csv_path: Path | None,
            html_path: Path | None) -> None:
    """Read requests, events, results, callbacks and the DLQ; count outcomes and check every invariant.

    Exits 0 only when every invariant holds. Nothing is committed: the audit has no consumer group.
    """
    settings = settings_or_exit()
    cluster = cluster_or_exit(settings)
    bar, on_progress = progress_bar("reading the log")
    with bar:
        facts = read_facts(cluster, settings.topic_prefix,
                           codec_for(settings.schema_registry_url), since=since, until=until,
                           on_progress=on_progress, event_requests=False)
    result = Audit(facts)
    window = f"{since.isoformat() if since else 'the beginning'} to {until.isoformat() if until else 'now'}"
    if csv_path:
        write_csv(csv_path, result.summary, result.violations)
    if html_path:
        write_html(html_path, result.summary, result.violations, now=facts.now, window=window)
    if as_json:
        print(json.dumps(result.to_json(), ensure_ascii=False))
    else:
        _print(Console(), result)
    sys.exit(0 if result.ok else 1)
