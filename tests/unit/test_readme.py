"""The README is the front door: its commands must match the code, and so must the configuration table in docs/."""

from __future__ import annotations

import re
from pathlib import Path

from click.testing import CliRunner

from fapiao.cli import main
from fapiao.settings import KEYS

ROOT = Path(__file__).parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")
CONFIGURATION = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
SOURCE = Path(__file__).parents[2] / "fapiao"


def test_the_two_commands_come_first() -> None:
    first_block = README.split("```")[1]
    assert "make demo" in first_block and "make test" in first_block


def test_the_readme_stays_a_front_door() -> None:
    assert len(README.splitlines()) <= 200, "the manual belongs in docs/, not the README"


def test_every_document_the_readme_links_exists() -> None:
    for target in re.findall(r"\]\((docs/[^)]+)\)", README):
        assert (ROOT / target).is_file(), target


def test_every_configuration_key_is_in_the_configuration_table() -> None:
    table = {line.split("`")[1] for line in CONFIGURATION.splitlines() if line.startswith("| `FAPIAO_")}
    assert {key.name for key in KEYS} - table == set()
    assert table - {key.name for key in KEYS} == set(), "docs/configuration.md documents keys the code does not read"


def test_the_configuration_table_gives_each_keys_default_and_meaning_as_the_code_does() -> None:
    rows = {cells[0].strip("`"): cells[1:] for line in CONFIGURATION.splitlines() if line.startswith("| `FAPIAO_")
            for cells in [[cell.strip() for cell in line.strip().strip("|").split(" | ")]]}
    for key in KEYS:
        default, meaning = rows[key.name]
        assert default == ("(unset)" if key.default is None else f"`{key.default}`"), key.name
        assert meaning == key.meaning + " (secret)" * key.secret, key.name


def test_every_fapiao_name_in_the_code_is_a_declared_key() -> None:
    declared = {key.name for key in KEYS}
    used = {name for path in SOURCE.rglob("*.py") for name in re.findall(r"FAPIAO_[A-Z0-9_]+[A-Z0-9]",
                                                                          path.read_text(encoding="utf-8"))}
    # A family (FAPIAO_KINGDEE_*) or a name built at run time (FAPIAO_{PROVIDER}_BASE_URL) shows up as
    # a prefix of declared keys. FAPIAO_TEST_KAFKA belongs to the test suite; FAPIAO_STREAM is a value
    # (the default Kingdee businessSystemCode), not a key.
    undeclared = {name for name in used - declared if not any(key.startswith(name + "_") for key in declared)}
    assert undeclared <= {"FAPIAO_TEST_KAFKA", "FAPIAO_STREAM"}


def test_every_subcommand_is_in_the_readme() -> None:
    runner = CliRunner()
    for name in main.commands:
        assert f"fapiao {name}" in README, f"`fapiao {name}` is not documented"
        assert runner.invoke(main, [name, "--help"]).exit_code == 0
