"""The Kingdee sandbox is a second implementation: it may not import the client's code or the shared wire code.

Every import in `fapiao/connectors/kingdee/sandbox/` is walked with `ast` (plain, from-, relative and
`importlib.import_module("…")` imports). Inside `fapiao` only the sandbox's own modules and
`fapiao.connectors.sandboxkit` (serving, callback delivery, the stats shape) are allowed; the standard
library and third-party packages are. The walker is checked on sources that break the rule, so a walker
that finds nothing cannot pass for a sandbox that imports nothing.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import fapiao.connectors.kingdee.sandbox as sandbox_package

SANDBOX = "fapiao.connectors.kingdee.sandbox"
ALLOWED = (SANDBOX, "fapiao.connectors.sandboxkit")
ROOT = Path(sandbox_package.__file__).parent


def _resolve(module: str, level: int, package: str) -> str:
    """The absolute name of `from {'.' * level}{module} import …` written in `package`."""
    if not level:
        return module
    base = package.split(".")[: len(package.split(".")) - level + 1]
    return ".".join([*base, module] if module else base)


def imported(source: str, package: str) -> set[str]:
    """Every module name `source` (a module of `package`) imports, with `from a import b` counted as a and a.b."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            module = _resolve(node.module or "", node.level, package)
            names.add(module)
            names.update(f"{module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Call) and isinstance(node.func, (ast.Attribute, ast.Name)) \
                and (node.func.attr if isinstance(node.func, ast.Attribute) else node.func.id) \
                in ("import_module", "__import__") \
                and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
            names.add(node.args[0].value)
    return names


def forbidden(names: set[str]) -> set[str]:
    return {name for name in names if (name == "fapiao" or name.startswith("fapiao."))
            and not any(name == allowed or name.startswith(allowed + ".") for allowed in ALLOWED)}


def test_the_sandbox_imports_nothing_of_the_client_or_the_shared_wire_code() -> None:
    modules = sorted(ROOT.glob("*.py"))
    assert len(modules) >= 10  # the package is where we think it is
    found = {path.name: forbidden(imported(path.read_text(encoding="utf-8"), SANDBOX)) for path in modules}
    assert {name: bad for name, bad in found.items() if bad} == {}


@pytest.mark.parametrize("source", [
    "from fapiao.connectors.kingdee.envelope import DataCodec",
    "from fapiao.connectors.kingdee import protocol",
    "import fapiao.connectors.kingdee.mapping as mapping",
    "from fapiao.connectors import wire",
    "from fapiao.connectors.wire import loads",
    "from fapiao.schemas.records import InvoiceRequest",
    "import fapiao.streams.redletter",
    "from .. import protocol",
    "from ..errors import classify",
    "import importlib\nimportlib.import_module('fapiao.connectors.kingdee.protocol')",
])
def test_the_walker_catches_a_forbidden_import(source: str) -> None:
    assert forbidden(imported(source, SANDBOX))


@pytest.mark.parametrize("source", [
    "from fapiao.connectors.sandboxkit import serve",
    "from fapiao.connectors.kingdee.sandbox import names",
    "from . import codec",
    "from .books import BlueBook",
    "import aiohttp\nfrom cryptography.hazmat.primitives.ciphers.aead import AESGCM\nimport json",
])
def test_the_walker_lets_allowed_imports_pass(source: str) -> None:
    assert forbidden(imported(source, SANDBOX)) == set()
