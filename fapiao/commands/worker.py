"""`fapiao worker`: run the stream processor (all agents) against FAPIAO_KAFKA_BOOTSTRAP."""

from __future__ import annotations

import click

from fapiao.commands._common import cluster_or_exit, settings_or_exit


@click.command("worker")
@click.option("--loglevel", default="info", type=click.Choice(["crit", "error", "warn", "info", "debug"]))
def command(loglevel: str) -> None:
    """Run a worker: validate, track and issue invoices. Scale out by starting more."""
    from fapiao.streams.worker import run  # faust is heavy: import it only for the commands that run it

    settings = settings_or_exit()
    run(settings, cluster_or_exit(settings), loglevel)
