"""What the console package is made of."""

from __future__ import annotations

import ast
from pathlib import Path

import fapiao.console


def test_the_console_package_never_writes_to_kafka() -> None:
    """It is a reader: no producer, no admin client, nothing that commits, anywhere in the package."""
    names: set[str] = set()
    for path in Path(fapiao.console.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Name):
                names.add(node.id)
            elif isinstance(node, ast.Attribute):
                names.add(node.attr)
            elif isinstance(node, ast.alias):
                names.add(node.name)
    assert not names & {"Producer", "producer", "AdminClient", "produce", "create_topics", "publish"}
