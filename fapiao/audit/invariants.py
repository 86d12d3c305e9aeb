"""The audit's invariants: pure functions from the ledger to violations (DESIGN.md, "Guarantees").

Each check returns one `Violation` naming every serial that breaks it, or None when it holds.
With `--since`, a serial whose request came before the window is "carried in": its missing request
and its first seqs are outside what was read, not faults.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Callable, Iterator

from fapiao.audit.ledger import Ledger, SerialLog, ledger_of
from fapiao.audit.model import Facts, Seen, Violation
from fapiao.schemas.records import EventType, InvoiceState, RequestKind, Status
from fapiao.streams.redletter.forms import REVOKED, failure_code
from fapiao.streams.redletter.remaining import redeemable

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


def _issued(log: SerialLog | None) -> bool:
    return log is not None and any(seen["type"] == EventType.ISSUED for seen in log.events.values())


def _reds(ledger: Ledger) -> Iterator[tuple[SerialLog, InvoiceState]]:
    """Every red's log with its state as its events rebuild it."""
    for log in ledger.serials.values():
        if any(request.kind == RequestKind.RED.value for request in log.requests) or any(
                seen["type"] == EventType.RESERVING for seen in log.events.values()):
            state = log.state()
            if state is not None and state.request is not None and state.request.kind is RequestKind.RED:
                yield log, state


def red_without_issued_blue(ledger: Ledger) -> Violation | None:
    """No red is issued unless its blue was issued."""
    found = {}
    for log, state in _reds(ledger):
        blue = ledger.serials.get(state.request.original_serial or "")  # type: ignore[union-attr]
        if _issued(log) and not _issued(blue) and not (ledger.facts.since is not None and blue is None):
            found[log.serial] = f"issued, but its blue {state.request.original_serial} was not"  # type: ignore[union-attr]
    return _violation("red_without_issued_blue", found, "reds issued without their blue")


def red_exceeds_blue(ledger: Ledger) -> Violation | None:
    """The reds issued against a blue never exceed it, per line and in total (amount, tax, quantity),
    counted from each red's own order, not from the blue's book."""
    taken: dict[str, dict[int, list[Decimal]]] = {}
    for log, state in _reds(ledger):
        if _issued(log) and state.red is not None:
            lines = taken.setdefault(state.red.original_serial, {})
            for line in state.red.lines:
                sums = lines.setdefault(line.original_line, [Decimal(0)] * 3)
                for i, value in enumerate((line.amount, line.tax_amount, line.quantity or Decimal(0))):
                    sums[i] += value
    found = {}
    for serial, lines in taken.items():
        blue = ledger.serials.get(serial)
        state = blue.state() if blue is not None else None
        if state is None or state.request is None:
            continue  # carried in from before the window: its lines are not known here
        whole = {number: line for number, (_, line) in redeemable(state.request).items()}
        over = []
        for number, (amount, tax, quantity) in sorted(lines.items()):
            limit = whole.get(number)
            if limit is None or amount > limit.amount or tax > limit.tax_amount or \
                    (limit.quantity is not None and quantity > limit.quantity):
                over.append(f"line {number}: {amount}/{tax}/{quantity} of "
                            f"{limit.amount if limit else 0}/{limit.tax_amount if limit else 0}")
        total = [sum((v[i] for v in lines.values()), Decimal(0)) for i in (0, 1)]
        if total[0] > state.request.total_amount or total[1] > state.request.total_tax:  # type: ignore[operator]
            over.append(f"in total {total[0]}/{total[1]} of {state.request.total_amount}/{state.request.total_tax}")
        if over:
            found[serial] = "; ".join(over)
    return _violation("red_exceeds_blue", found, "blues whose issued reds take back more than they hold")


_OUTCOMES = (EventType.ISSUED, EventType.FAILED, EventType.REJECTED, EventType.WITHDRAWN)


def red_outcomes_differ(ledger: Ledger) -> Violation | None:
    """Every red and red_cancel ends in one outcome: never two different terminal transitions."""
    found = {}
    for log in ledger.serials.values():
        if not any(request.kind != RequestKind.BLUE.value for request in log.requests):
            continue
        ends = sorted({seen["type"] for seen in log.events.values() if seen["type"] in _OUTCOMES})
        if len(ends) > 1:
            found[log.serial] = " and ".join(str(end) for end in ends)
    return _violation("red_outcomes_differ", found, "reds or red_cancels with more than one outcome")


_VOID = (failure_code(REVOKED), "red_withdrawn")


def void_form_issued(ledger: Ledger) -> Violation | None:
    """A red whose form was refused, lapsed or revoked, or that was withdrawn, issues nothing."""
    found = {}
    for log, state in _reds(ledger):
        void = [seen for seen in log.events.values() if seen["type"] == EventType.FAILED and
                (str(seen["code"] or "").startswith("red_form_") or seen["code"] in _VOID)]
        if void and _issued(log):
            found[log.serial] = f"{void[0]['code']}, and issued"
    return _violation("void_form_issued", found, "reds issued although their form was void")


CHECKS: tuple[Callable[[Ledger], Violation | None], ...] = (
    missing_result, conflicting_results, issued_twice, result_without_request, totals_differ, seq_gap,
    dlq_unaccounted, undecodable_record, red_without_issued_blue, red_exceeds_blue, red_outcomes_differ,
    void_form_issued,
)


def check(ledger: Ledger) -> list[Violation]:
    """Every violation found, in the order of `CHECKS`."""
    return [v for v in (rule(ledger) for rule in CHECKS) if v is not None]


def violations(facts: Facts) -> list[Violation]:
    return check(ledger_of(facts))
