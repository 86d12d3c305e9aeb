"""`fapiao status SERIAL`: one serial's timeline from the topics, for support staff."""

from __future__ import annotations

import json
import sys

import click
from rich.console import Console
from rich.table import Table

from fapiao.audit.reader import read_facts
from fapiao.audit.timeline import red_links, timeline
from fapiao.commands._common import cluster_or_exit, settings_or_exit
from fapiao.commands.audit import progress_bar
from fapiao.schemas.registry import codec_for
from fapiao.streams.topics import topic_name


def links_table(links: dict[str, object]) -> Table:
    """A blue's reds and what remains of it per line, or a red's blue, form and what it takes."""
    table = Table("line", "amount", "tax", "quantity", title=_links_title(links))
    rows = links.get("remaining") or links.get("takes") or []
    for line in rows:  # type: ignore[attr-defined]
        table.add_row(str(line["original_line"]), line["amount"], line["tax_amount"], line.get("quantity") or "")
    return table


def _links_title(links: dict[str, object]) -> str:
    if "reds" in links:
        reds = ", ".join(f"{r['serial']} {r['state']}" for r in links["reds"])  # type: ignore[attr-defined]
        return f"reds against it: {reds}; what remains"
    form = links.get("form") or {}
    return (f"{links['kind']} of {links['original_serial']}; form {form.get('number', '-')} "  # type: ignore[union-attr]
            f"status {form.get('status', '-')}; what it takes back")


@click.command("status")
@click.argument("serial")
@click.option("--json", "as_json", is_flag=True, help="one JSON object on stdout")
def command(serial: str, as_json: bool) -> None:
    """Show SERIAL's request, events in seq order, callbacks naming it, result and DLQ records.

    Exits 1 when no topic mentions the serial.
    """
    settings = settings_or_exit()
    key = serial.encode("utf-8")
    callbacks = topic_name(settings.topic_prefix, "callbacks")
    cluster = cluster_or_exit(settings)
    bar, on_progress = progress_bar(f"looking for {serial}")
    with bar:
        # Everything but callbacks is keyed by serial: skip other keys before decoding.
        facts = read_facts(cluster, settings.topic_prefix, codec_for(settings.schema_registry_url),
                           keep=lambda m: m.key() == key or m.topic() == callbacks, on_progress=on_progress,
                           check_sources=False)
    entries = timeline(facts, serial)
    links = red_links(facts, serial)
    if as_json:
        print(json.dumps({"serial": serial, "entries": [e.to_json() for e in entries], **links}, ensure_ascii=False))
    else:
        table = Table("time", "where", "what", "detail", title=f"serial {serial}")
        for entry in entries:
            table.add_row(entry.at.isoformat(timespec="milliseconds"), str(entry.position), entry.what, entry.detail)
        console = Console()
        console.print(table if entries else f"no record names serial {serial}")
        if links:
            console.print(links_table(links))
    sys.exit(0 if entries else 1)
