"""Provider outcomes to signals, and adopting the provider's invoice after a duplicate answer."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

import pytest
from streams_support import SERIAL, T0

from fapiao.connectors.provider import Outcome, OutcomeKind
from fapiao.schemas.records import InvoiceInfo, SignalKind
from fapiao.streams.lifecycle import CALLBACK_HINT, CALLBACK_VERIFIED
from fapiao.streams.outcomes import adopt, signal_for

MAPPING = {
    OutcomeKind.ACCEPTED: SignalKind.ACCEPTED,
    OutcomeKind.ISSUED: SignalKind.ISSUED,
    OutcomeKind.PENDING: SignalKind.PENDING,
    OutcomeKind.FAILED: SignalKind.FAILED,
    OutcomeKind.RETRYABLE: SignalKind.RETRYABLE,
    OutcomeKind.SESSION: SignalKind.SESSION,
    OutcomeKind.IN_DOUBT: SignalKind.IN_DOUBT,
    OutcomeKind.NOT_FOUND: SignalKind.NOT_FOUND,
    OutcomeKind.DUPLICATE: SignalKind.ACCEPTED,  # the provider has the serial
}
# A query that could not be answered tells nothing about the serial: it stays in doubt.
WHEN_QUERYING = {**MAPPING, OutcomeKind.RETRYABLE: SignalKind.IN_DOUBT, OutcomeKind.SESSION: SignalKind.IN_DOUBT}
INVOICE = InvoiceInfo(number="24442000000012345678", total_amount=Decimal("100.00"), total_tax=Decimal("6.00"))


def test_the_mapping_covers_every_outcome_kind() -> None:
    assert set(MAPPING) == set(OutcomeKind)


@pytest.mark.parametrize("source", ["issue", "query", CALLBACK_HINT, CALLBACK_VERIFIED])
@pytest.mark.parametrize("querying", [False, True], ids=["submit", "query"])
@pytest.mark.parametrize("kind", list(OutcomeKind))
def test_every_outcome_becomes_its_signal(kind: OutcomeKind, querying: bool, source: str) -> None:
    outcome = Outcome(kind, code="E42", message="说明", invoice=INVOICE)
    signal = signal_for(SERIAL, outcome, at=T0, source=source, attempt=3, querying=querying)
    assert signal.kind is (WHEN_QUERYING if querying else MAPPING)[kind]
    assert (signal.serial, signal.at, signal.source, signal.attempt) == (SERIAL, T0, source, 3)
    assert (signal.code, signal.message, signal.invoice) == ("E42", "说明", INVOICE)
    assert (signal.request, signal.findings, signal.fingerprint) == (None, (), None)


def test_querying_is_keyword_only_and_off_by_default() -> None:
    signal = signal_for(SERIAL, Outcome(OutcomeKind.RETRYABLE), at=T0, source="issue", attempt=1)
    assert signal.kind is SignalKind.RETRYABLE
    with pytest.raises(TypeError):
        signal_for(SERIAL, Outcome(OutcomeKind.RETRYABLE), T0, "issue", 1)  # type: ignore[misc]


# -- adopt -----------------------------------------------------------------------------------------------


def test_adopts_an_invoice_whose_totals_match(invoice_request) -> None:
    found = Outcome(OutcomeKind.ISSUED, "0000", "ok", dataclasses.replace(
        INVOICE, total_amount=invoice_request.total_amount, total_tax=invoice_request.total_tax))
    assert adopt(invoice_request, found) is found


def test_totals_compare_as_amounts_not_as_text(invoice_request) -> None:
    """The provider may write 100.5 where we wrote 100.50."""
    found = Outcome(OutcomeKind.ISSUED, invoice=dataclasses.replace(
        INVOICE, total_amount=invoice_request.total_amount.normalize(),
        total_tax=invoice_request.total_tax.quantize(Decimal("0.00000001"))))
    assert adopt(invoice_request, found) is found


@pytest.mark.parametrize(("amount_delta", "tax_delta", "named"), [
    ("0.01", "0", "total_amount"),
    ("0", "-0.01", "total_tax"),
    ("100", "6", "total_amount, total_tax"),
])
def test_refuses_an_invoice_whose_totals_differ(invoice_request, amount_delta: str, tax_delta: str,
                                                named: str) -> None:
    found = Outcome(OutcomeKind.ISSUED, "0000", "ok", dataclasses.replace(
        INVOICE, total_amount=invoice_request.total_amount + Decimal(amount_delta),
        total_tax=invoice_request.total_tax + Decimal(tax_delta)))
    refused = adopt(invoice_request, found)
    assert refused.kind is OutcomeKind.FAILED and refused.code == "provider_serial_conflict"
    assert refused.message is not None and f"({named} differ)" in refused.message
    assert refused.invoice is None  # never report someone else's invoice as ours


def test_adopts_when_the_provider_does_not_say_the_totals(invoice_request) -> None:
    found = Outcome(OutcomeKind.ISSUED, invoice=InvoiceInfo(number="1"))
    assert adopt(invoice_request, found) is found


@pytest.mark.parametrize("kind", [OutcomeKind.FAILED, OutcomeKind.PENDING])
def test_a_clear_answer_other_than_issued_passes_through(invoice_request, kind: OutcomeKind) -> None:
    found = Outcome(kind, "c", "m", INVOICE)
    assert adopt(invoice_request, found) is found


@pytest.mark.parametrize("kind", [k for k in OutcomeKind
                                  if k not in (OutcomeKind.ISSUED, OutcomeKind.FAILED, OutcomeKind.PENDING)])
def test_an_unclear_query_after_a_duplicate_still_means_the_provider_holds_the_serial(
        invoice_request, kind: OutcomeKind) -> None:
    adopted = adopt(invoice_request, Outcome(kind, "c", "m", INVOICE))
    assert adopted.kind is OutcomeKind.DUPLICATE and (adopted.code, adopted.message) == ("c", "m")


def test_an_issued_answer_without_invoice_passes_through(invoice_request) -> None:
    found = Outcome(OutcomeKind.ISSUED)
    assert adopt(invoice_request, found) is found
