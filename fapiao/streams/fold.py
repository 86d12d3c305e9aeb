"""fold: what one batch of signals comes to, decided without I/O.

    fold(signals, row, policy, validate) -> Fold

For each signal in order: `decide` the events from the serial's row as the batch has left it so far (or as
`row` reads it from the table), fold them into the row with `evolve`, emit each transition that owes a provider
call a second time for the issue agent, what they tell the other serial of a red pair (`redletter.crossings`),
and the result when the row turns terminal. The invoice agent (`fapiao.streams.invoices.fold_batch`) sends
`Fold.sends` in order, waits for the broker, and only then writes `Fold.rows`. A batch folded again from the same rows (read again after a crash
before the rows were written) comes to the same sends with the same seq numbers: the fold is deterministic.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Iterable, NamedTuple

from fapiao.schemas.records import InvoiceEvent, InvoiceResult, InvoiceState, Signal
from fapiao.streams.lifecycle import CALLS, Policy, Validator, decide, replay, result_of
from fapiao.streams.redletter.crossings import crossings

__all__ = ["Fold", "Outgoing", "RowLookup", "fold"]

RowLookup = Callable[[str], InvoiceState | None]


class Outgoing(NamedTuple):
    """One record to send, keyed by serial, to the topic of `role` ("events"; "calls", a copy of a transition
    that owes a provider call; "signals" for the other serial of a red pair; or "results")."""

    role: str
    serial: str
    record: InvoiceEvent | Signal | InvoiceResult


@dataclass
class Fold:
    """A batch's outcome: the records to send in order, the rows to write after, and the signals refused."""

    sends: list[Outgoing] = field(default_factory=list)
    rows: dict[str, InvoiceState] = field(default_factory=dict)  # serial -> its row after the batch
    # (index in the batch, reason) of each signal the fold could not handle: the agent parks it on the DLQ
    refused: list[tuple[int, str]] = field(default_factory=list)

    @property
    def results(self) -> list[InvoiceResult]:
        return [out.record for out in self.sends if isinstance(out.record, InvoiceResult)]


def fold(signals: Iterable[Signal], row: RowLookup, policy: Policy, validate: Validator) -> Fold:
    """Fold a batch of signals over the rows `row` reads; a signal that raises is refused and changes nothing."""
    out = Fold()
    for index, signal in enumerate(signals):
        try:
            before = out.rows[signal.serial] if signal.serial in out.rows else row(signal.serial)
            events = decide(before, signal, policy, validate)
            after = replay(events, before)
        except Exception as exc:  # a poison signal must not stop the partition
            out.refused.append((index, f"{type(exc).__name__}: {exc}"))
            continue
        for event in events:
            out.sends.append(Outgoing("events", signal.serial, event))
            if event.type in CALLS:
                out.sends.append(Outgoing("calls", signal.serial, event))
        out.sends.extend(Outgoing("signals", message.serial, message) for message in crossings(before, events, after))
        if after is not None and after.status.terminal and (before is None or not before.status.terminal):
            out.sends.append(Outgoing("results", signal.serial, result_of(after)))
        if events and after is not None:
            out.rows[signal.serial] = after
    return out
