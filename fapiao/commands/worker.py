"""`fapiao worker`: run the stream processor (all agents) against FAPIAO_KAFKA_BOOTSTRAP, as one process
or as `--processes N` members of its consumer group under one supervisor."""

from __future__ import annotations

import os
import sys

import click

from fapiao.commands._common import CORES, cluster_or_exit, configure_logging, processes_option, settings_or_exit

LOGLEVELS = ["crit", "error", "warn", "info", "debug"]


@click.command("worker")
@click.option("--loglevel", default="info", type=click.Choice(LOGLEVELS))
@processes_option(CORES)
@click.option("--member-of", type=int, default=None, hidden=True,
              help="the supervisor's pid: die with it (set by the supervisor for its members)")
def command(loglevel: str, processes: int, member_of: int | None) -> None:
    """Run a worker: validate, track and issue invoices. Scale out by starting more."""
    settings = settings_or_exit()
    cluster = cluster_or_exit(settings)  # a broker it cannot reach is one line, before any process starts
    if processes > 1:
        from fapiao.supervisor import supervise

        configure_logging(settings, {"crit": "CRITICAL", "warn": "WARNING"}.get(loglevel, loglevel.upper()))
        supervise(settings, processes, [sys.executable, "-m", "fapiao", "worker", "--processes", "1",
                                        "--loglevel", loglevel, "--member-of", str(os.getpid())])
        return
    if member_of is not None:
        from fapiao.supervisor import die_with_parent

        die_with_parent(member_of)
    from fapiao.streams.worker import run  # faust is heavy: import it only for the commands that run it

    run(settings, cluster, loglevel)
