"""The `fapiao` console script: a click group whose subcommands live in `fapiao.commands`."""

from __future__ import annotations

import importlib
import pkgutil

import click

import fapiao.commands


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="fapiao-stream")
def main() -> None:
    """Issue Chinese VAT invoices from an ERP through Kafka."""


for _module in pkgutil.iter_modules(fapiao.commands.__path__):
    if _module.name.startswith("_"):
        continue  # shared helpers, not subcommands
    main.add_command(importlib.import_module(f"fapiao.commands.{_module.name}").command)
