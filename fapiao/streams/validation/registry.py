"""The rule registry: every rule is a pure function `request -> findings`, registered in the order it runs.

A rule is common (runs for every provider) or belongs to one provider, and it is for blue requests
unless it says which kinds it checks (reds and red_cancels have rules of their own). Modules register
their rules on import; `fapiao.streams.validation` imports them in a fixed order, so `validate` returns
findings in a deterministic order: rule by rule, and inside a rule, in field order.
"""

from __future__ import annotations

from typing import Callable, Iterable, Iterator

from fapiao.schemas.records import Finding, InvoiceRequest, RequestKind, Severity

__all__ = ["Rule", "rule", "rules_for", "error", "warning"]

Rule = Callable[[InvoiceRequest], Iterable[Finding]]

# (kind, provider or None for every provider) -> rules in the order they run
_RULES: dict[tuple[RequestKind, str | None], list[Rule]] = {}


def rule(provider: str | None = None, kinds: Iterable[RequestKind] = (RequestKind.BLUE,)) -> Callable[[Rule], Rule]:
    """Register a rule for every provider (None) or for one provider only, for requests of these kinds."""

    def register(function: Rule) -> Rule:
        for kind in kinds:
            _RULES.setdefault((kind, provider), []).append(function)
        return function

    return register


def rules_for(request: InvoiceRequest) -> Iterator[Rule]:
    """The common rules of the request's kind, then its provider's own."""
    yield from _RULES.get((request.kind, None), ())
    if request.provider is not None:
        yield from _RULES.get((request.kind, request.provider), ())


def error(code: str, field: str, zh: str, en: str) -> Finding:
    """A finding that rejects the request."""
    return Finding(code, field, Severity.ERROR, zh, en)


def warning(code: str, field: str, zh: str, en: str) -> Finding:
    """A finding that is recorded and passed on with the request."""
    return Finding(code, field, Severity.WARNING, zh, en)
