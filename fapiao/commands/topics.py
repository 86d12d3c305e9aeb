"""`fapiao topics create`: the topics, all with one partition count; creating is idempotent."""

from __future__ import annotations

import click
from rich.console import Console
from rich.table import Table

from fapiao.commands._common import cluster_or_exit, settings_or_exit
from fapiao.connectors.kafka import create_topics
from fapiao.streams.topics import all_topics


@click.group("topics")
def command() -> None:
    """Manage fapiao-stream's topics."""


@command.command("create")
@click.option("--partitions", type=int, default=None, help="partition count [FAPIAO_PARTITIONS, default 6]")
def create(partitions: int | None) -> None:
    """Create every topic that does not exist yet (safe to run again)."""
    settings = settings_or_exit()
    count = partitions or settings.partitions
    specs = all_topics(settings.topic_prefix, settings.app_id)
    outcome = create_topics(cluster_or_exit(settings), specs, count)
    table = Table("topic", "partitions", "state", "config", "carries")
    for spec in specs:
        table.add_row(spec.name, str(count), outcome[spec.name],
                      ", ".join(f"{k}={v}" for k, v in spec.config.items()), spec.help)
    Console().print(table)
