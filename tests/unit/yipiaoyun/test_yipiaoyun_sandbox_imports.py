"""The 票申 sandbox is a second, independent reading of providers.md: it imports nothing of our client.

If it shared the client's signing, mapping or JSON, a bug there would be on both sides of every contract
test and invisible. Of fapiao it may import only its own package and `fapiao.connectors.sandboxkit`
(serving, callback delivery, the stats shape); anything else of ours (the client package, `wire`,
`schemas`, `streams`, …) fails here. Third-party and standard-library imports are free.
"""

from __future__ import annotations

import ast
import importlib.util
from pathlib import Path
from typing import Iterator

import pytest

import fapiao.connectors.yipiaoyun.sandbox as sandbox

PACKAGE = sandbox.__name__
ALLOWED = (PACKAGE, "fapiao.connectors.sandboxkit")


def _within(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def imports(source: str, module: str, is_package: bool) -> Iterator[tuple[int, str]]:
    """(line, dotted name) of everything `source` imports, relative imports resolved as `module` would.

    `from a import b` yields `a.b`, which lies within `a` and names the module when b is one
    (`from fapiao.connectors import wire`, or `sandboxkit`, which is allowed while `fapiao.connectors` is not).
    A call of `import_module` or `__import__` yields its argument, or `?` when that is not a literal.
    """
    package = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            yield from ((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = importlib.util.resolve_name("." * node.level + (node.module or ""), package) if node.level \
                else node.module or ""
            yield from ((node.lineno, f"{base}.{alias.name}") for alias in node.names)
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", None)) in (
                "import_module", "__import__"):
            argument = node.args[0] if node.args else None
            yield node.lineno, argument.value if isinstance(argument, ast.Constant) else "?"


def forbidden(source: str, module: str, is_package: bool = False) -> list[str]:
    """`line: name` of each import of ours that is neither the sandbox's own nor sandboxkit."""
    return [f"{line}: {name}" for line, name in imports(source, module, is_package)
            if (_within(name, "fapiao") or name == "?") and not any(_within(name, ok) for ok in ALLOWED)]


def _modules() -> Iterator[tuple[Path, str, bool]]:
    root = Path(sandbox.__file__).parent
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(root).with_suffix("").parts
        is_package = parts[-1] == "__init__"
        yield path, ".".join((PACKAGE, *(parts[:-1] if is_package else parts))), is_package


def test_the_sandbox_imports_nothing_of_the_client() -> None:
    found = {str(path.relative_to(Path(sandbox.__file__).parent)): forbidden(path.read_text(encoding="utf-8"), module, is_package)
             for path, module, is_package in _modules()}
    assert len(found) >= 8, f"the walk missed the sandbox's modules: {sorted(found)}"
    assert {name: lines for name, lines in found.items() if lines} == {}


APP = f"{PACKAGE}.app"


@pytest.mark.parametrize("source", [
    "from fapiao.connectors import wire",
    "import fapiao.connectors.wire",
    "import fapiao.connectors.wire as wire",
    "from fapiao.connectors.wire import dumps",
    "from fapiao.connectors.yipiaoyun import signing",
    "from fapiao.connectors.yipiaoyun.mapping import STAY_OPEN_PATH",
    "from fapiao.connectors.yipiaoyun.errors import edge",
    "from .. import mapping",
    "from ..signing import sign",
    "from ...wire import loads",
    "from fapiao.schemas.records import InvoiceRequest",
    "import fapiao.streams.validation",
    "from fapiao.clock import now",
    "from fapiao import settings",
    "from fapiao.connectors import *",
    "def f():\n    from fapiao.connectors.yipiaoyun import callbacks",
    "importlib.import_module('fapiao.connectors.wire')",
    "importlib.import_module(name)",
    "__import__('fapiao.schemas')",
])
def test_the_guard_catches(source: str) -> None:
    assert forbidden(source, APP), source


@pytest.mark.parametrize("source", [
    "import json, hashlib",
    "from aiohttp import web",
    "from fapiao.connectors.sandboxkit import Background, serve",
    "from fapiao.connectors import sandboxkit",
    "from fapiao.connectors.yipiaoyun.sandbox.protocol import Answer",
    "from fapiao.connectors.yipiaoyun.sandbox import rules",
    "from . import rules",
    "from .exact_json import read",
])
def test_the_guard_lets_through(source: str) -> None:
    assert forbidden(source, APP) == []


def test_relative_imports_in_the_package_init_resolve_from_the_package_itself() -> None:
    assert forbidden("from . import app", PACKAGE, is_package=True) == []
    assert forbidden("from .. import signing", PACKAGE, is_package=True) == ["1: fapiao.connectors.yipiaoyun.signing"]
