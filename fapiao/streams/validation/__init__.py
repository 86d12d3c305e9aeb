"""The VAT validation core: pure functions from a request to findings, no I/O.

    validate(request) -> [Finding]           every rule of the request's kind, in a fixed order
    check(obj)        -> (request | None, [Finding])   parse_request, then validate when it parsed
    is_valid(findings) -> bool               True when no finding is an error

Rules live in one module per concern and register themselves (see `registry`); a finding's `code`
is stable, its `field` is a path such as `lines[2].tax_rate`, and its message is in Chinese and English.
An ERROR rejects the request; a WARNING is recorded and the request goes on.
"""

from __future__ import annotations

from typing import Iterable

from fapiao.schemas.records import Finding, InvoiceRequest, Severity
from fapiao.schemas.requests import parse_request

# Imported for the rules they register, in the order the rules run.
from fapiao.streams.validation import (  # noqa: F401  # isort: skip
    providers, taxpayer, parties, lines, amounts, lengths, yipiaoyun, red,
)
from fapiao.streams.validation.registry import rules_for

__all__ = ["validate", "check", "is_valid"]


def validate(request: InvoiceRequest) -> list[Finding]:
    """All findings for a parsed request, in rule order."""
    return [finding for rule in rules_for(request) for finding in rule(request)]


def check(obj: object) -> tuple[InvoiceRequest | None, list[Finding]]:
    """Parse a request's dict shape and validate it; structural findings alone when it does not parse."""
    request, findings = parse_request(obj)
    if request is None:
        return None, findings
    return request, validate(request)


def is_valid(findings: Iterable[Finding]) -> bool:
    """True when no finding is an error (warnings pass)."""
    return all(finding.severity is not Severity.ERROR for finding in findings)
