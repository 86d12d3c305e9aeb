"""Pure mappings of the red-letter operations: `data` objects from a RedOrder, and answers as Outcomes.

- `apply_data` (2.1.03), `form_query_data` (2.1.13), `revoke_data` (2.1.08), `answer_data` (2.1.09),
  `red_data` (2.1.04); the red invoice's own query is the blue's (`mapping.query_data`).
- `form_of`: a 红字确认单 as an answer, a 2.1.13 list item, a callback or a query answer describes it,
  with its deadline: entered + 72 h while it awaits an answer, none once nobody must answer.
- `apply_outcome`, `form_query_outcome`, `red_query_outcome`: answers as Outcomes. A form answer is
  ACCEPTED with `form`, coded by its status and named in the message; the status says the rest.

Signs: a RedLine holds what a red takes back as positive magnitudes; on the wire a red line's amount,
tax and quantity are negative, its unit price positive (a zero tax stays 0.00: Decimal's `-` gives no -0.00).
Every name and code on the wire comes from `red_protocol`.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any, Mapping

from fapiao.connectors.kingdee.mapping import DIGITAL_TYPES, compact, first_text, query_item, query_outcome
from fapiao.connectors.kingdee.red_protocol import (
    APPLY_REASONS, CONFIRM_TYPE, ENTER_IDENTITY_OURS, ENTER_IDENTITY_THEIRS, ENTRY_ZONE, FORM_DEADLINE,
    FORM_STAGES, LINE_PROPERTY, RED_REASONS, REFUSE_TYPE, REVOKE_TYPE, Apply, Form, FormAction, FormQuery,
    FormStage, Line, Red,
)
from fapiao.connectors.provider import Outcome, OutcomeKind
from fapiao.schemas.records import Line as RequestLine
from fapiao.schemas.records import RED_FORM_STATUSES, Party, RedForm, RedLine, RedOrder

__all__ = ["seller_tax_id", "apply_data", "red_data", "form_query_data", "revoke_data", "answer_data",
           "entry_time", "deadline", "form_of", "form_outcome", "apply_outcome", "form_query_outcome",
           "red_query_outcome"]

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def _party(party: Party | None, role: str) -> Party:
    if party is None:
        raise ValueError(f"a red order states its blue's {role}")
    return party


def seller_tax_id(order: RedOrder) -> str | None:
    """The blue's seller tax id: whose forms and invoices these are."""
    return order.request.seller.tax_id if order.request.seller else None


def _named(seller: str | None) -> str:
    if not seller:
        raise ValueError("a red order states its blue's seller tax id")
    return seller


def _invoice_type(order: RedOrder) -> str:
    invoice_type = order.request.invoice_type
    if invoice_type not in DIGITAL_TYPES:
        raise ValueError(f"Kingdee documents reds only of 数电 invoices, not of invoice_type {invoice_type!r}")
    return DIGITAL_TYPES[invoice_type]


def _red_line(taken: RedLine, described: RequestLine, allowance: bool) -> dict[str, Any]:
    """One red line: what `taken` takes back of a blue line that `described` names."""
    quantity = None if allowance or taken.quantity is None else -taken.quantity
    price = None if allowance or described.unit_price is None else abs(described.unit_price)
    return compact({
        Line.original_line: taken.original_line, Line.kind: LINE_PROPERTY, Line.name: described.name,
        Line.tax_code: described.tax_code, Line.specification: described.specification, Line.unit: described.unit,
        Line.quantity: quantity, Line.price: price, Line.amount: -taken.amount,
        Line.tax_rate: format(described.tax_rate, "f"), Line.tax: -taken.tax_amount,
    })


def _red_lines(order: RedOrder) -> list[dict[str, Any]]:
    """Every line the red takes back, in the order's order; 04 销售折让 has no quantity or price."""
    described = {line.original_line: line for line in order.request.lines}
    missing = [taken.original_line for taken in order.lines if taken.original_line not in described]
    if missing or not order.lines:
        raise ValueError(f"a red order describes every blue line it takes back; not {missing or 'any'}")
    allowance = order.reason == "04"
    return [_red_line(taken, described[taken.original_line], allowance) for taken in order.lines]


def _whole_blue(order: RedOrder) -> bool:
    """The red takes back the blue entire: what the bureau calls a full red, which names no lines.

    A whole red after partial ones takes back only what remained, which the bureau sees as partial.
    """
    taken = sum((line.amount for line in order.lines), Decimal(0))
    return order.whole and order.original_invoice.total_amount == taken


def apply_data(order: RedOrder) -> dict[str, Any]:
    """2.1.03 `data`: the form for `order`, with the red's serial as its order number."""
    blue = order.original_invoice
    return compact({
        Apply.order_no: order.request.serial, Apply.blue_number: blue.number, Apply.blue_code: blue.code,
        Apply.reason: APPLY_REASONS[order.reason], Apply.invoice_type: _invoice_type(order),
        Apply.seller_tax_id: _named(seller_tax_id(order)),
        Apply.lines: None if _whole_blue(order) else _red_lines(order),
    })


def red_data(order: RedOrder, form: RedForm | None) -> dict[str, Any]:
    """2.1.04 `data`: the red invoice under the red's serial, with every line it takes back: of `form`, or
    without one ("direct": the provider raises the form itself)."""
    blue, seller = order.original_invoice, _party(order.request.seller, "seller")
    buyer = _party(order.request.buyer, "buyer")
    return compact({
        Red.serial: order.request.serial, Red.blue_number: blue.number, Red.blue_code: blue.code,
        Red.blue_issued_at: blue.issued_at, Red.blue_amount: blue.total_amount, Red.blue_tax: blue.total_tax,
        Red.reason: RED_REASONS[order.reason], Red.form_uuid: form.uuid if form else None,
        Red.form_number: form.number if form else None,
        Red.invoice_type: _invoice_type(order), Red.seller_tax_id: _named(seller.tax_id),
        Red.seller_name: seller.name, Red.buyer_name: buyer.name, Red.buyer_tax_id: buyer.tax_id,
        Red.lines: _red_lines(order),
    })


def _form_number(form: RedForm) -> str:
    if not form.number:
        raise ValueError("a form is named by its number (redInfoBillNo), and this one has none")
    return form.number


def form_query_data(seller: str | None, form: RedForm) -> dict[str, Any]:
    """2.1.13 `data`: the seller's form by its number, as the party that entered it."""
    return {FormQuery.taxpayer: _named(seller), FormQuery.number: _form_number(form), FormQuery.identity: ENTER_IDENTITY_OURS}


def revoke_data(seller: str | None, form: RedForm) -> dict[str, Any]:
    """2.1.08 `data`: withdraw a form we entered."""
    return {FormAction.taxpayer: _named(seller), FormAction.number: _form_number(form),
            FormAction.identity: ENTER_IDENTITY_OURS, FormAction.action: REVOKE_TYPE}


def answer_data(seller: str | None, form: RedForm, confirm: bool) -> dict[str, Any]:
    """2.1.09 `data`: confirm or refuse a form the counterparty entered."""
    return {FormAction.taxpayer: _named(seller), FormAction.number: _form_number(form),
            FormAction.identity: ENTER_IDENTITY_THEIRS, FormAction.action: CONFIRM_TYPE if confirm else REFUSE_TYPE}


def entry_time(value: Any) -> datetime | None:
    """`redConfirmEnterDate` as an aware UTC time; None when absent or unreadable (see `red_protocol`)."""
    if isinstance(value, int) and not isinstance(value, bool):  # epoch milliseconds
        return _EPOCH + timedelta(milliseconds=value)
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=ENTRY_ZONE)).astimezone(timezone.utc)


def _status(value: Any) -> str | None:
    text = "" if value is None or isinstance(value, bool) else str(value).strip()
    return text.zfill(2) if text.isdigit() else text or None  # 4 and "4" are "04"


def deadline(status: str | None, entered: datetime | None) -> datetime | None:
    """When an unanswered form lapses: 72 h after entry, unless nobody must answer it (01, 04, 05..11).

    A status we do not know keeps its deadline: the safe side is a form that can still lapse.
    """
    if entered is None or FORM_STAGES.get(status or "", FormStage.AWAITING) is not FormStage.AWAITING:
        return None
    return entered + FORM_DEADLINE


def form_of(item: Mapping[str, Any]) -> RedForm | None:
    """The form an answer or callback item describes; None when it names none (a blue's items)."""
    number, uuid = first_text(item, Form.number), first_text(item, Form.uuid)
    if number is None and uuid is None:
        return None
    status, entered = _status(item.get(Form.status)), entry_time(item.get(Form.entered))
    return RedForm(number=number, uuid=uuid, status=status, entered_at=entered, deadline=deadline(status, entered))


def form_outcome(form: RedForm) -> Outcome:
    """ACCEPTED with the form, coded by its status and named as the bureau names it."""
    zh, _ = RED_FORM_STATUSES.get(form.status or "", (None, None))
    return Outcome(OutcomeKind.ACCEPTED, code=form.status, message=zh, form=form)


def _readable(form: RedForm | None) -> bool:
    return form is not None and form.number is not None and form.status is not None


def apply_outcome(data: Any) -> Outcome:
    """2.1.03's answer. One without a form number and status is IN_DOUBT: the form may exist, and applying
    again under the same order number answers the same form."""
    form = form_of(data) if isinstance(data, Mapping) else None
    if form is None or not _readable(form):
        return Outcome(OutcomeKind.IN_DOUBT, code="unreadable_form",
                       message="the form was applied for, but the answer names no form number and status")
    return form_outcome(form)


def form_query_outcome(data: Any, asked: RedForm) -> Outcome:
    """2.1.13's answer about the form `asked`: ACCEPTED with it; NOT_FOUND when the list lacks it;
    RETRYABLE when unreadable (a query that says nothing about the form must not end it)."""
    found = data.get(Form.found) if isinstance(data, Mapping) else None
    if not isinstance(found, list):
        return Outcome(OutcomeKind.RETRYABLE, code="unreadable_form", message="the form query answered no list of forms")
    forms = [form_of(item) for item in found if isinstance(item, Mapping)]
    form = next((form for form in forms if form is not None and form.number == asked.number), None)
    if form is None:
        return Outcome(OutcomeKind.NOT_FOUND, message=f"no form {asked.number} among {len(found)} found")
    if not _readable(form):
        return Outcome(OutcomeKind.RETRYABLE, code="unreadable_form", message=f"form {asked.number} has no status")
    return form_outcome(form)


def red_query_outcome(data: Any) -> Outcome:
    """ALLE.INVOICE.QUERY's answer about a red: as a blue's, with the form it names (number, uuid)."""
    outcome, item = query_outcome(data), query_item(data)
    form = form_of(item) if isinstance(item, Mapping) else None
    return dataclasses.replace(outcome, form=form) if form is not None else outcome
