"""What the subcommands share: settings with a clear error, and the cluster, checked."""

from __future__ import annotations

import logging.config
import os
from pathlib import Path
from typing import Callable, TypeVar

import click

from fapiao.connectors.cluster import BrokerUnavailable, Cluster
from fapiao.exceptions import ConfigurationError
from fapiao.logs import logging_config
from fapiao.settings import Settings, load

__all__ = ["settings_or_exit", "cluster_or_exit", "configure_logging", "processes_option", "CORES"]

CORES = os.cpu_count() or 1
_C = TypeVar("_C", bound=Callable[..., object])


def settings_or_exit() -> Settings:
    try:
        return load()
    except ConfigurationError as exc:
        raise click.ClickException(f"configuration: {exc}") from exc


def cluster_or_exit(settings: Settings) -> Cluster:
    """The cluster to talk to, once it has answered with these settings; else one line naming what to check.

    Commands that join a running system need one; each checks it before doing anything, so a wrong
    address, protocol, certificate or password is one line and exit 1, never a traceback halfway.
    """
    if not settings.kafka_bootstrap:
        raise click.ClickException(
            "FAPIAO_KAFKA_BOOTSTRAP is not set: point it at your Kafka cluster "
            "(or run `fapiao up`, which starts an embedded broker and prints its address)")
    cluster = Cluster.of(settings)
    try:
        cluster.check()
    except BrokerUnavailable as exc:
        raise click.ClickException(str(exc)) from exc
    return cluster


def configure_logging(settings: Settings, level: str = "INFO", path: Path | None = None) -> None:
    """Root logger on stderr (or into the file `path`) in FAPIAO_LOG_FORMAT, secrets masked (`fapiao.logs`)."""
    config = logging_config(settings, level)
    if path is not None:  # a command that owns the terminal (demo, up) keeps its process log in a file
        config["handlers"] = {"file": {"class": "logging.FileHandler", "formatter": "fapiao", "filename": str(path)}}
        config["root"]["handlers"] = ["file"]
    logging.config.dictConfig(config)


def processes_option(default: int) -> Callable[[_C], _C]:
    """`--processes N`: worker processes of one consumer group under one supervisor (1: no supervisor)."""
    shown = "the number of cores" if default == CORES else True
    return click.option("--processes", default=default, show_default=shown, type=click.IntRange(1, 256),
                        help="worker processes under one supervisor; 1 runs the worker in this process")
