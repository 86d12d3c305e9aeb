"""The rule registry: every rule is a pure function `request -> findings`, registered in the order it runs.

A rule is common (runs for every provider) or belongs to one provider. Modules register their rules
on import; `fapiao.streams.validation` imports them in a fixed order, so `validate` returns findings in
a deterministic order: rule by rule, and inside a rule, in field order.
"""

from __future__ import annotations

from typing import Callable, Iterable, Iterator

from fapiao.schemas.records import Finding, InvoiceRequest, Severity

__all__ = ["Rule", "rule", "rules_for", "error", "warning"]

Rule = Callable[[InvoiceRequest], Iterable[Finding]]

_COMMON: list[Rule] = []
_BY_PROVIDER: dict[str, list[Rule]] = {}


def rule(provider: str | None = None) -> Callable[[Rule], Rule]:
    """Register a rule for every provider (None) or for one provider only."""

    def register(function: Rule) -> Rule:
        (_COMMON if provider is None else _BY_PROVIDER.setdefault(provider, [])).append(function)
        return function

    return register


def rules_for(provider: str) -> Iterator[Rule]:
    """The common rules, then the provider's own."""
    yield from _COMMON
    yield from _BY_PROVIDER.get(provider, ())


def error(code: str, field: str, zh: str, en: str) -> Finding:
    """A finding that rejects the request."""
    return Finding(code, field, Severity.ERROR, zh, en)


def warning(code: str, field: str, zh: str, en: str) -> Finding:
    """A finding that is recorded and passed on with the request."""
    return Finding(code, field, Severity.WARNING, zh, en)
