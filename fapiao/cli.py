"""The `fapiao` console script: a click group whose subcommands live in `fapiao.commands`."""

from __future__ import annotations

import importlib
import pkgutil
from typing import Any

import click
from confluent_kafka import KafkaException

import fapiao.commands
from fapiao.exceptions import FapiaoStreamError


class _Main(click.Group):
    """Errors raised on purpose, and Kafka's own, end a command with one line and exit 1, not a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except FapiaoStreamError as exc:
            raise click.ClickException(str(exc)) from exc
        except KafkaException as exc:
            raise click.ClickException(f"Kafka: {exc.args[0].str() if exc.args else exc}") from exc


@click.group(cls=_Main, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="fapiao-stream")
def main() -> None:
    """Issue Chinese VAT invoices from an ERP through Kafka."""


for _module in pkgutil.iter_modules(fapiao.commands.__path__):
    if _module.name.startswith("_"):
        continue  # shared helpers, not subcommands
    main.add_command(importlib.import_module(f"fapiao.commands.{_module.name}").command)
