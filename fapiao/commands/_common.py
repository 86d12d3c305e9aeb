"""What the subcommands share: settings with a clear error, and the cluster address."""

from __future__ import annotations

import logging.config

import click

from fapiao.exceptions import ConfigurationError
from fapiao.logs import logging_config
from fapiao.settings import Settings, load

__all__ = ["settings_or_exit", "bootstrap_or_exit", "configure_logging"]


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
