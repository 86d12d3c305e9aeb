"""The audit's invariants: pure functions from the ledger to violations (DESIGN.md, "Guarantees").

Each check returns one `Violation` naming every serial that breaks it, or None when it holds.
With `--since`, a serial whose request came before the window is "carried in": its missing request
and its first seqs are outside what was read, not faults.
"""

from __future__ import annotations

from typing import Any, Callable

from fapiao.audit.ledger import Ledger, SerialLog, ledger_of
from fapiao.audit.model import Facts, Seen, Violation
from fapiao.schemas.records import EventType, Status

__all__ = ["CHECKS", "check", "violations"]


def _carried_in(ledger: Ledger, log: SerialLog) -> bool:
    return ledger.facts.since is not None and not log.requests


def _number(seen: Seen[Any]) -> str | None:
    """The invoice number an event or result carries (from its datum)."""
    return (seen["invoice"] or {}).get("number")


def _violation(name: str, found: dict[str, str], what: str) -> Violation | None:
    if not found:
        return None
    shown = "; ".join(f"{serial}: {why}" for serial, why in sorted(found.items())[:20])
    more = f" (+{len(found) - 20} more)" if len(found) > 20 else ""
    return Violation(name, tuple(sorted(found)), f"{len(found)} {what}: {shown}{more}")


def missing_result(ledger: Ledger) -> Violation | None:
    """A serial whose events reached a terminal state has a result on `fapiao.results`."""
    found = {}
    for serial, log in ledger.serials.items():
        if log.requests and not log.results:
            state = log.state()
            if state is not None and state.status.terminal:
                found[serial] = f"{state.status.value} at seq {state.seq}, no result"
    return _violation("missing_result", found, "serials terminal in the events without a result")


def conflicting_results(ledger: Ledger) -> Violation | None:
    """At most one terminal result per serial; identical copies are one."""
    found = {serial: " vs ".join(f"{r['status']}@{r.position}" for r in log.results)
             for serial, log in ledger.serials.items() if len(log.results) > 1}
    return _violation("conflicting_results", found, "serials with different results")


def issued_twice(ledger: Ledger) -> Violation | None:
    """No serial is issued twice: one `issued` event, and one invoice number across its results."""
    found = {}
    for serial, log in ledger.serials.items():
        issued = [seen for seen in log.events.values() if seen["type"] == EventType.ISSUED]
        numbers = {_number(r) for r in log.results if r["status"] == Status.ISSUED}
        if len(issued) > 1 or len(numbers) > 1:
            numbers |= {_number(e) for e in issued}
            found[serial] = (f"{len(issued)} issued events (seq {', '.join(str(e['seq']) for e in issued)}), "
                             f"invoice numbers {sorted(str(n) for n in numbers)}")
    return _violation("issued_twice", found, "serials issued more than once")


def result_without_request(ledger: Ledger) -> Violation | None:
    """Every result answers a request read from `fapiao.requests`."""
    found = {serial: f"{log.results[0]['status']} at {log.results[0].position}"
             for serial, log in ledger.serials.items()
             if log.results and not log.requests and not _carried_in(ledger, log)}
    return _violation("result_without_request", found, "results with no request")


def totals_differ(ledger: Ledger) -> Violation | None:
    """Every issued result's totals equal its request's (amount, tax, amount with tax)."""
    found = {}
    for serial, log in ledger.serials.items():
        request = log.request
        expected = request.totals if request else None
        for seen in log.results:
            actual = (seen["total_amount"], seen["total_tax"], seen["total_with_tax"])
            if seen["status"] == Status.ISSUED and expected is not None and actual != expected:
                found[serial] = f"result {'/'.join(map(str, actual))} != request {'/'.join(map(str, expected))}"
    return _violation("totals_differ", found, "issued results whose totals differ from the request")


def seq_gap(ledger: Ledger) -> Violation | None:
    """Event `seq` runs 1, 2, 3… per serial with no gap, and no seq carries two different events."""
    found = {}
    for serial, log in ledger.serials.items():
        if not log.events:
            continue
        first = min(log.events) if _carried_in(ledger, log) else 1
        missing = sorted(set(range(first, max(log.events) + 1)) - log.events.keys())
        problems = []
        if missing:
            problems.append(f"missing seq {', '.join(map(str, missing[:10]))}")
        if log.seq_conflicts:
            problems.append(f"seq {', '.join(map(str, sorted(set(log.seq_conflicts))))} written with different content")
        if problems:
            found[serial] = "; ".join(problems)
    return _violation("seq_gap", found, "serials whose event sequence is broken")


def dlq_unaccounted(ledger: Ledger) -> Violation | None:
    """Every DLQ record points at a record that exists, byte for byte, and was not also processed."""
    processed = {event["origin"] for log in ledger.serials.values() for event in log.events.values()
                 if event["origin"] and event["type"] == EventType.RECEIVED}
    found = {}
    for dead in ledger.facts.dlq:
        name = dead.key or str(dead.position)
        if dead.source_checked and dead.found is None:
            found[name] = f"{dead.position} points at {dead.source}, where there is no record"
        elif dead.source_checked and dead.found != dead.value:
            found[name] = f"{dead.position}: the record at {dead.source} is not the one it carries"
        elif str(dead.source) in processed:
            found[name] = f"{dead.position}: {dead.source} was dead-lettered and also processed"
    return _violation("dlq_unaccounted", found, "DLQ records not accounted for")


def undecodable_record(ledger: Ledger) -> Violation | None:
    """Everything our own services wrote (events, results, callbacks) decodes."""
    found = {str(position): why[:200] for position, why in ledger.facts.undecodable}
    return _violation("undecodable_record", found, "records that do not decode")


CHECKS: tuple[Callable[[Ledger], Violation | None], ...] = (
    missing_result, conflicting_results, issued_twice, result_without_request, totals_differ, seq_gap,
    dlq_unaccounted, undecodable_record,
)


def check(ledger: Ledger) -> list[Violation]:
    """Every violation found, in the order of `CHECKS`."""
    return [v for v in (rule(ledger) for rule in CHECKS) if v is not None]


def violations(facts: Facts) -> list[Violation]:
    return check(ledger_of(facts))
