"""Which sandbox gets which option, and which setting the workers get with them (the pure part of the stack)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping, Sequence

import click
import pytest
from click.testing import CliRunner

from fapiao.connectors.sandbox_options import SANDBOX_OPTIONS, sandbox_args, with_sandbox_options, worker_env
from fapiao.connectors.stack import Stack, StackOptions, duplicates
from fapiao.connectors.yipiaoyun.sandbox import command as yipiaoyun_sandbox
from fapiao.settings import load

RED = {"used_rate": 0.25, "buyer_answer": "silent", "buyer_delay_s": 0.5, "form_deadline_s": 30.0,
       "auto_issue_on_confirm": "off"}
RED_ARGS = ["--used-rate", "0.25", "--buyer-answer", "silent", "--buyer-delay-s", "0.5", "--form-deadline-s", "30.0",
            "--auto-issue-on-confirm", "off"]
FAULTS = {"latency_ms": 300, "fail_rate": 0.2, "timeout_rate": 0.1, "drop_callback_rate": 0.3,
          "duplicate_callback_rate": 0.3, "token_ttl_s": 5, "dedupe": "off"}
FAULT_ARGS = ["--latency-ms", "300", "--fail-rate", "0.2", "--timeout-rate", "0.1", "--drop-callback-rate", "0.3",
              "--duplicate-callback-rate", "0.3", "--token-ttl-s", "5", "--dedupe", "off"]
DEFAULTS = {option.key: option.default for option in SANDBOX_OPTIONS}


def test_defaults_pass_nothing_on() -> None:
    assert sandbox_args(DEFAULTS, "kingdee") == sandbox_args(DEFAULTS, "yipiaoyun") == []
    assert worker_env(DEFAULTS) == {}


def test_fault_options_and_dedupe_go_to_both_sandboxes() -> None:
    values = {**DEFAULTS, **FAULTS}
    assert sandbox_args(values, "kingdee") == sandbox_args(values, "yipiaoyun") == FAULT_ARGS


def test_red_letter_options_go_to_kingdee_only() -> None:
    values = {**DEFAULTS, **FAULTS, **RED}
    assert sandbox_args(values, "kingdee") == FAULT_ARGS + RED_ARGS
    assert sandbox_args(values, "yipiaoyun") == FAULT_ARGS


def test_the_form_deadline_is_told_to_the_workers_too() -> None:
    assert worker_env({**DEFAULTS, "form_deadline_s": 30.0}) == {"FAPIAO_RED_FORM_DEADLINE_S": "30.0"}
    assert worker_env({**DEFAULTS, **FAULTS, "used_rate": 0.5}) == {}


def test_an_unknown_option_is_an_error_not_silence() -> None:
    with pytest.raises(ValueError, match="dedup"):
        sandbox_args({"dedup": "off"}, "yipiaoyun")
    with pytest.raises(ValueError, match="dedup"):
        with_sandbox_options(dedup="off")


def test_the_yipiaoyun_sandbox_takes_every_option_it_is_given() -> None:
    # Parsed by the sandbox's own command: a name or a value it does not take would raise here.
    context = yipiaoyun_sandbox.make_context("yipiaoyun", sandbox_args({**DEFAULTS, **FAULTS, **RED}, "yipiaoyun"))
    assert {key: context.params[key] for key in FAULTS} == FAULTS
    # ...and would refuse the Kingdee-only ones, which is why they are routed.
    with pytest.raises(click.NoSuchOption):
        yipiaoyun_sandbox.make_context("yipiaoyun", RED_ARGS[:2])


def test_a_command_declares_every_option_with_its_own_defaults() -> None:
    @click.command()
    @with_sandbox_options(dedupe="off")
    def show(**values: Any) -> None:
        click.echo(sorted(sandbox_args(values, "kingdee")))

    assert CliRunner().invoke(show, []).output == "['--dedupe', 'off']\n"
    assert CliRunner().invoke(show, ["--dedupe", "on"]).output == "[]\n"
    assert CliRunner().invoke(show, ["--fail-rate", "1.5"]).exit_code == 2  # the sandbox's own range


class _Recording(Stack):
    """A stack that records what it would start instead of starting it."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.spawned: dict[str, tuple[list[str], dict[str, str]]] = {}

    def spawn(self, name: str, args: Sequence[str], extra_env: Mapping[str, str] | None = None) -> Any:
        self.spawned[name] = (list(args), dict(extra_env or {}))

    def wait_until_answers(self, name: str, url: str, timeout_s: float = 30.0) -> None:
        pass


def test_the_stack_passes_each_sandbox_its_own_and_tells_the_workers(tmp_path: Path) -> None:
    stack = _Recording(load({}), tmp_path, StackOptions(sandbox_options={**FAULTS, **RED}, sandbox_args=("--seed", "7")))
    for provider in ("kingdee", "yipiaoyun"):
        stack._start_sandbox(provider)
    stack.start_worker(0)
    kingdee, yipiaoyun = (stack.spawned[f"sandbox-{p}"][0] for p in ("kingdee", "yipiaoyun"))
    assert kingdee[kingdee.index("--latency-ms"):] == FAULT_ARGS + RED_ARGS + ["--seed", "7"]
    assert yipiaoyun[yipiaoyun.index("--latency-ms"):] == FAULT_ARGS + ["--seed", "7"]
    assert stack.spawned["worker-0"][1]["FAPIAO_RED_FORM_DEADLINE_S"] == "30.0"


def test_duplicates_are_serials_issued_more_than_once_summed_over_sandboxes() -> None:
    kingdee = {"duplicates": 0, "issued_per_serial": {"K1": 1, "K2": 2, "K3": 3}}  # the summary is not trusted
    yipiaoyun = {"issued_per_serial": {"K1": 2, "Y1": 1}}  # a serial is counted per provider
    assert duplicates([kingdee, yipiaoyun]) == 3
    assert duplicates([{"issued_per_serial": {}}]) == 0
    with pytest.raises(KeyError):
        duplicates([{"duplicates": 0}])  # a sandbox without the count is an error, never a silent 0
