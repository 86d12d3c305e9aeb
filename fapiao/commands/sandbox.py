"""`fapiao sandbox PROVIDER`: run a provider's offline sandbox, a real HTTP server with fault injection.

Each provider package under `fapiao.connectors` that has a `sandbox` module defining `command`
appears here as a subcommand.
"""

from __future__ import annotations

import importlib
import importlib.util
import pkgutil

import click

import fapiao.connectors


@click.group()
def command() -> None:
    """Run a provider sandbox (same contract as the real service, plus fault injection)."""


command.name = "sandbox"

for _package in pkgutil.iter_modules(fapiao.connectors.__path__):
    if _package.ispkg and importlib.util.find_spec(f"fapiao.connectors.{_package.name}.sandbox"):
        command.add_command(importlib.import_module(f"fapiao.connectors.{_package.name}.sandbox").command)
