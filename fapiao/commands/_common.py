"""What the subcommands share: settings with a clear error, and the cluster address."""

from __future__ import annotations

import logging.config
from pathlib import Path

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


def configure_logging(settings: Settings, level: str = "INFO", path: Path | None = None) -> None:
    """Root logger on stderr (or into the file `path`) in FAPIAO_LOG_FORMAT, secrets masked (`fapiao.logs`)."""
    config = logging_config(settings, level)
    if path is not None:  # a command that owns the terminal (demo, up) keeps its process log in a file
        config["handlers"] = {"file": {"class": "logging.FileHandler", "formatter": "fapiao", "filename": str(path)}}
        config["root"]["handlers"] = ["file"]
    logging.config.dictConfig(config)
