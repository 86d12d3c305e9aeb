"""What the console package is made of."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import pytest

import fapiao.console
from fapiao.console.auth import MIN_TOKEN_CHARS, token_refusal


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


def test_the_token_may_come_from_a_file_and_is_kept_out_of_reprs(tmp_path: Path) -> None:
    from fapiao.settings import load

    path = tmp_path / "console-token"
    path.write_text("token-from-a-mounted-secret\n")
    settings = load({"FAPIAO_CONSOLE_TOKEN_FILE": str(path)})
    assert settings.console_token == "token-from-a-mounted-secret"
    assert "token-from-a-mounted-secret" not in repr(settings)
    assert (settings.console_host, settings.console_port) == ("127.0.0.1", 8782)  # loopback by default


def test_the_console_will_not_serve_without_a_token(monkeypatch: Any) -> None:
    from click.testing import CliRunner

    from fapiao.cli import main

    monkeypatch.delenv("FAPIAO_CONSOLE_TOKEN", raising=False)
    monkeypatch.delenv("FAPIAO_CONSOLE_TOKEN_FILE", raising=False)
    monkeypatch.setenv("FAPIAO_KAFKA_BOOTSTRAP", "127.0.0.1:9")
    done = CliRunner().invoke(main, ["console", "--port", "0"])
    assert done.exit_code != 0 and "FAPIAO_CONSOLE_TOKEN is not set" in done.output


@pytest.mark.parametrize("command", [["console", "--port", "0"], ["up"]])
def test_neither_console_nor_up_starts_with_a_short_token_and_says_so_in_one_line(
        monkeypatch: Any, tmp_path: Path, command: list[str]) -> None:
    from click.testing import CliRunner

    from fapiao.cli import main

    short = "x" * (MIN_TOKEN_CHARS - 1)
    monkeypatch.setenv("FAPIAO_CONSOLE_TOKEN", short)
    monkeypatch.delenv("FAPIAO_CONSOLE_TOKEN_FILE", raising=False)
    # Were the check gone: no broker answers here, and a command gives up within the second.
    monkeypatch.setenv("FAPIAO_KAFKA_BOOTSTRAP", "127.0.0.1:9")
    monkeypatch.setenv("FAPIAO_KAFKA_CONNECT_TIMEOUT_S", "1")
    done = CliRunner().invoke(main, [*command, *(["--workdir", str(tmp_path)] if command == ["up"] else [])])
    assert done.exit_code == 1 and short not in done.output
    assert done.output.strip().splitlines() == [
        f"Error: FAPIAO_CONSOLE_TOKEN is shorter than {MIN_TOKEN_CHARS} characters: the console shows personal "
        "data; give it a longer token (e.g. `python -c 'import secrets; print(secrets.token_urlsafe(24))'`)"]
    assert token_refusal("x" * MIN_TOKEN_CHARS) is None
