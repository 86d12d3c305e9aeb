"""What the subcommands share: settings with a clear error, and the cluster address."""

from __future__ import annotations

import logging.config
import os
from typing import Callable, TypeVar

import click

from fapiao.exceptions import ConfigurationError
from fapiao.logs import logging_config
from fapiao.settings import Settings, load

__all__ = ["settings_or_exit", "bootstrap_or_exit", "configure_logging", "processes_option", "CORES"]

CORES = os.cpu_count() or 1
_C = TypeVar("_C", bound=Callable[..., object])


def settings_or_exit() -> Settings:
    try:
        return load()
    except ConfigurationError as exc:
        raise click.ClickException(f"configuration: {exc}") from exc


def bootstrap_or_exit(settings: Settings) -> str:
    """The cluster to talk to; commands that join a running system need one."""
    if not settings.kafka_bootstrap:
        raise click.ClickException(
            "FAPIAO_KAFKA_BOOTSTRAP is not set: point it at your Kafka cluster "
            "(or run `fapiao up`, which starts an embedded broker and prints its address)")
    return settings.kafka_bootstrap


def configure_logging(settings: Settings, level: str = "INFO") -> None:
    """Root logger on stderr in FAPIAO_LOG_FORMAT, secrets masked (`fapiao.logs`)."""
    logging.config.dictConfig(logging_config(settings, level))


def processes_option(default: int) -> Callable[[_C], _C]:
    """`--processes N`: worker processes of one consumer group under one supervisor (1: no supervisor)."""
    shown = "the number of cores" if default == CORES else True
    return click.option("--processes", default=default, show_default=shown, type=click.IntRange(1, 256),
                        help="worker processes under one supervisor; 1 runs the worker in this process")
