"""`fapiao replay`: rebuild the state table from `fapiao.events` alone and prove it equals the live one."""

from __future__ import annotations

import json
import sys

import click
from rich.console import Console
from rich.table import Table

from fapiao.audit.reader import read_facts
from fapiao.audit.rebuild import changelog_topic, compare, read_table, rebuild, write_table
from fapiao.commands._common import cluster_or_exit, settings_or_exit
from fapiao.commands.audit import progress_bar
from fapiao.exceptions import FapiaoStreamError
from fapiao.schemas.registry import codec_for
from fapiao.streams.topics import topic_name


@click.command("replay")
@click.option("--into", "into", metavar="NEW_APP_ID", default=None,
              help="also write the rebuilt rows to NEW_APP_ID-invoices-changelog, for a worker started "
                   "with FAPIAO_APP_ID=NEW_APP_ID to recover from (a lost changelog)")
@click.option("--json", "as_json", is_flag=True, help="end with one JSON object on stdout")
def command(into: str | None, as_json: bool) -> None:
    """Fold every serial's events into its state and compare with the live table (faust's changelog).

    Exits 0 when every rebuilt row equals the live one, or when --into wrote the rebuilt table.
    """
    settings = settings_or_exit()
    cluster = cluster_or_exit(settings)
    codec = codec_for(settings.schema_registry_url)
    bar, on_progress = progress_bar("reading fapiao.events")
    with bar:
        facts = read_facts(cluster, settings.topic_prefix, codec, roles=("events",), on_progress=on_progress,
                           check_sources=False)
    rebuilt = rebuild(facts.events)
    live_topic = changelog_topic(settings.app_id)
    live = read_table(cluster, live_topic, codec)
    differences = compare(rebuilt, live)
    written = None
    if into:
        try:
            written = write_table(cluster, into, topic_name(settings.topic_prefix, "events"), rebuilt, codec)
        except FapiaoStreamError as exc:
            raise click.ClickException(str(exc)) from exc
    outcome = {"events": len(facts.events), "rebuilt": len(rebuilt), "live": len(live), "changelog": live_topic,
               "differences": [d.to_json() for d in differences], "equal": not differences, "into": written}
    if as_json:
        print(json.dumps(outcome, ensure_ascii=False))
    else:
        console = Console()
        table = Table("serial", "fields that differ", title=f"rebuilt from events vs {live_topic}")
        for difference in differences[:200]:
            table.add_row(difference.serial, ", ".join(difference.fields))
        console.print(table if differences else f"[green]{len(rebuilt)} rows rebuilt, all equal to {live_topic}[/]")
        if written:
            console.print(f"wrote {len(rebuilt)} rows to {written}")
    sys.exit(0 if not differences or written else 1)
