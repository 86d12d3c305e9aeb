"""The audit: read the log, regroup it by serial, count, and check the guarantees of DESIGN.md.

A pure core (`model`, `ledger`, `invariants`, `counts`, the reports) behind one reader that does I/O.
"""

from __future__ import annotations

from fapiao.audit.counts import Summary, summarize
from fapiao.audit.invariants import CHECKS, check
from fapiao.audit.ledger import Ledger, ledger_of
from fapiao.audit.model import Facts, Violation

__all__ = ["Audit", "CHECKS", "Facts", "Violation", "Summary", "Ledger"]


class Audit:
    """The outcome of one audit: the ledger, the counts and the violations."""

    def __init__(self, facts: Facts) -> None:
        self.facts = facts
        self.ledger = ledger_of(facts)
        self.summary = summarize(self.ledger)
        self.violations = check(self.ledger)

    @property
    def ok(self) -> bool:
        return not self.violations

    def to_json(self) -> dict[str, object]:
        """The `--json` object: counts, `violations` ({name, serials, detail}) and `ok`."""
        return {**self.summary.to_json(self.facts.now), "violations": [v.to_json() for v in self.violations],
                "ok": self.ok}
