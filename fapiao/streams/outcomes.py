"""Provider outcomes to lifecycle signals: the issue agent's and the gateway's only decision, kept pure."""

from __future__ import annotations

from datetime import datetime
from typing import Iterable

from fapiao.connectors.provider import CallbackFacts, Outcome, OutcomeKind
from fapiao.schemas.records import InvoiceRequest, Signal, SignalKind
from fapiao.streams.lifecycle import CALLBACK_HINT, CALLBACK_VERIFIED

__all__ = ["signal_for", "adopt", "callback_signals", "SIGNED"]

SIGNED = frozenset({"yipiaoyun"})  # providers whose callbacks carry a signature the gateway checks

_KIND = {
    OutcomeKind.ACCEPTED: SignalKind.ACCEPTED,
    OutcomeKind.ISSUED: SignalKind.ISSUED,
    OutcomeKind.PENDING: SignalKind.PENDING,
    OutcomeKind.FAILED: SignalKind.FAILED,
    OutcomeKind.RETRYABLE: SignalKind.RETRYABLE,
    OutcomeKind.SESSION: SignalKind.SESSION,
    OutcomeKind.IN_DOUBT: SignalKind.IN_DOUBT,
    OutcomeKind.NOT_FOUND: SignalKind.NOT_FOUND,
    # A duplicate is answered by a query before it becomes a signal (see `adopt`); if one still
    # reaches here the provider has the serial, which is what "accepted" means.
    OutcomeKind.DUPLICATE: SignalKind.ACCEPTED,
}


def signal_for(serial: str, outcome: Outcome, *, at: datetime, source: str, attempt: int,
               querying: bool = False) -> Signal:
    """The signal that reports `outcome`. A failed query is no answer at all: the serial stays in doubt.
    An answer that describes a red's form (applied, queried, revoked) is the form's word."""
    kind = _KIND[outcome.kind]
    if querying and kind in (SignalKind.RETRYABLE, SignalKind.SESSION):
        kind = SignalKind.IN_DOUBT
    if outcome.form is not None and outcome.kind is OutcomeKind.ACCEPTED:
        kind = SignalKind.FORM
    return Signal(serial=serial, kind=kind, at=at, source=source, attempt=attempt, code=outcome.code,
                  message=outcome.message, invoice=outcome.invoice, form=outcome.form)


def callback_signals(provider: str, facts: Iterable[CallbackFacts], at: datetime) -> list[Signal]:
    """What an accepted callback tells the fold: a signal per serial it names (facts naming none tell nothing).

    A signed provider's callback (票申; the gateway refused bad signatures) is the provider's word, but 票申 signs
    only appId, nonceStr, timestamp and signType, not the body: an issued callback carries invoice numbers we
    can take, while a failure could be forged to make the ERP re-issue, so it only makes the fold ask the
    provider. An unsigned one (Kingdee) is a hint: the fold answers it with a query, so a forged callback can
    at most cause a query.
    """
    signals = []
    for fact in facts:
        if not fact.serial:
            continue
        trusted = provider in SIGNED and fact.outcome.kind is OutcomeKind.ISSUED
        signals.append(signal_for(fact.serial, fact.outcome, at=at,
                                  source=CALLBACK_VERIFIED if trusted else CALLBACK_HINT, attempt=0))
    return signals


def adopt(request: InvoiceRequest, found: Outcome) -> Outcome:
    """What to make of the provider's existing invoice for our serial (after a duplicate answer).

    Adopt it only when its totals match our request: otherwise the serial was used for something else
    at the provider, and issuing ours under it is impossible without a human.
    """
    if found.kind not in (OutcomeKind.ISSUED, OutcomeKind.FAILED, OutcomeKind.PENDING):
        # The query gave no clear answer, but the duplicate did: the provider holds this serial.
        # "Accepted" sends it to the recheck timer; counting it as a retry could fail a held serial.
        return Outcome(OutcomeKind.DUPLICATE, found.code, found.message)
    invoice = found.invoice
    if found.kind is OutcomeKind.ISSUED and invoice is not None:
        mismatched = [name for name, theirs, ours in (("total_amount", invoice.total_amount, request.total_amount),
                                                      ("total_tax", invoice.total_tax, request.total_tax))
                      if theirs is not None and theirs != ours]
        if mismatched:
            return Outcome(OutcomeKind.FAILED, "provider_serial_conflict",
                           f"the provider holds another invoice under this serial ({', '.join(mismatched)} differ)")
    return found
