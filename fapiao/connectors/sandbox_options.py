"""The sandbox options `fapiao demo`, `up` and `bench` take and the stack passes on, each only to the sandboxes
that take it.

An option is passed on only where its value differs from the sandbox's own default, so a sandbox started
without it behaves the same. A few options name something the worker must know as well: where such an
option is passed on, the workers get the matching setting with the same value (`worker_env`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterable, Mapping, TypeVar

import click

__all__ = ["SandboxOption", "SANDBOX_OPTIONS", "sandbox_args", "worker_env", "with_sandbox_options"]

EVERY = frozenset({"kingdee", "yipiaoyun"})
KINGDEE = frozenset({"kingdee"})
RATE = click.FloatRange(0, 1)
ON_OFF = click.Choice(["on", "off"])
F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class SandboxOption:
    name: str  # as the sandboxes spell it, without the dashes
    type: click.ParamType
    default: Any  # the sandbox's own default
    help: str
    providers: frozenset[str] = EVERY  # the sandboxes that take it
    worker_setting: str | None = None  # the worker setting that must hold the same value

    @property
    def key(self) -> str:
        """The name as a Python keyword (what click hands the command)."""
        return self.name.replace("-", "_")


SANDBOX_OPTIONS = (
    SandboxOption("latency-ms", click.IntRange(min=0), 0, "sandbox answer delay"),
    SandboxOption("fail-rate", RATE, 0.0, "share of submissions the sandbox answers 503 (nothing issued)"),
    SandboxOption("timeout-rate", RATE, 0.0, "share of submissions issued but answered too late (in doubt)"),
    SandboxOption("drop-callback-rate", RATE, 0.0, "share of callbacks the sandbox never sends"),
    SandboxOption("duplicate-callback-rate", RATE, 0.0, "share of callbacks the sandbox sends twice"),
    SandboxOption("token-ttl-s", click.IntRange(min=1), 7200, "sandbox token lifetime"),
    SandboxOption("dedupe", ON_OFF, "on", "off: a serial sent again is accepted and issued again (a careless provider)"),
    SandboxOption("used-rate", RATE, 0.0, "Kingdee: share of blue invoices the buyer has used (a red needs a form)",
                  KINGDEE),
    SandboxOption("buyer-answer", click.Choice(["confirm", "refuse", "silent"]), "confirm",
                  "Kingdee: how the buyer answers a red-letter form", KINGDEE),
    SandboxOption("buyer-delay-s", click.FloatRange(min=0), 1.0, "Kingdee: seconds before the buyer answers", KINGDEE),
    SandboxOption("form-deadline-s", click.FloatRange(min=0, min_open=True), 259200.0,
                  "Kingdee: seconds a red-letter form waits for the buyer (the workers are told too)", KINGDEE,
                  worker_setting="FAPIAO_RED_FORM_DEADLINE_S"),
    SandboxOption("auto-issue-on-confirm", ON_OFF, "on", "Kingdee: issue the red invoice once the buyer confirms",
                  KINGDEE),
)


def _known(keys: Iterable[str]) -> None:
    unknown = set(keys) - {option.key for option in SANDBOX_OPTIONS}
    if unknown:
        raise ValueError(f"not sandbox options: {', '.join(sorted(unknown))}")


def _given(values: Mapping[str, Any]) -> list[tuple[SandboxOption, Any]]:
    """The options among `values` (by `key`) whose value is not the sandbox's default."""
    _known(values)
    return [(option, values[option.key]) for option in SANDBOX_OPTIONS
            if option.key in values and values[option.key] != option.default]


def sandbox_args(values: Mapping[str, Any], provider: str) -> list[str]:
    """The arguments of `provider`'s sandbox for these option values: those it takes, where not its default."""
    return [arg for option, value in _given(values) if provider in option.providers
            for arg in (f"--{option.name}", str(value))]


def worker_env(values: Mapping[str, Any]) -> dict[str, str]:
    """The worker settings that must agree with options passed on to a sandbox."""
    return {option.worker_setting: str(value) for option, value in _given(values) if option.worker_setting}


def with_sandbox_options(**defaults: Any) -> Callable[[F], F]:
    """Declare every sandbox option on a command; `defaults` (by key) replace the sandbox's own defaults there."""
    _known(defaults)

    def decorate(func: F) -> F:
        for option in reversed(SANDBOX_OPTIONS):
            func = click.option(f"--{option.name}", option.key, type=option.type, show_default=True,
                                default=defaults.get(option.key, option.default), help=option.help)(func)
        return func
    return decorate
