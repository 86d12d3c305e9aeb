"""Which Kingdee query asks after a serial, and how its answer reads: the one place that chooses.

- 数电 types, issued by ALLE.INVOICE.OPEN under `serialNo`: 4.1.04 ALLE.INVOICE.QUERY
  `{serialNo, sellerTaxpayerId}`; `data` is the invoice (`mapping.query_outcome`).
- tax-device and 电子 types, issued by BILL.PUSH as a 开票申请单 whose `billNo` is our serial:
  1.1.03 BILL.INVOICE.QUERY `{sellerTaxpayerId, serialNo: billNo}` [C] (open-ultimate.piaozone.com
  api-146003729); `data` is a list of `{billNo, invoiceList[]}`, one per bill. The invoices of a bill
  carry the fields of the 5.1.03 按单 callback's items (invoiceStatus 0 正常 2 待开 3 红冲 6 作废,
  invoiceNum, invoiceCode, invoiceDate, totals, file links) [I]: the page's field list was not readable.

How a bill's answer reads [I], chosen so that a serial is never submitted twice:
- no entry for our billNo: NOT_FOUND (only this lets the serial be submitted again);
- the bill, but no invoice yet: PENDING (the bill was accepted; an invoice may still come);
- an invoice still 待开: PENDING; otherwise one issued invoice makes the serial ISSUED (the first one's
  number; a bill the platform split says how many in the message), and only a bill whose every
  invoice failed is FAILED.
"""

from __future__ import annotations

from typing import Any, Mapping

from fapiao.connectors.kingdee import mapping
from fapiao.connectors.kingdee.protocol import BILL_QUERY, QUERY
from fapiao.connectors.provider import Outcome, OutcomeKind
from fapiao.schemas.records import InvoiceRequest

__all__ = ["query_for", "outcome_of"]


def query_for(request: InvoiceRequest) -> tuple[str, dict[str, Any]]:
    """(interfaceCode, data) of the query that finds this request's invoice."""
    if request.invoice_type in mapping.BILL_TYPES:
        return BILL_QUERY, {"sellerTaxpayerId": request.seller.tax_id, "serialNo": request.serial}
    return QUERY, mapping.query_data(request)


def outcome_of(interface: str, data: Any, serial: str) -> Outcome:
    """A successful query's decoded `data` as an Outcome."""
    return _bill_outcome(data, serial) if interface == BILL_QUERY else mapping.query_outcome(data)


def _bill_outcome(data: Any, serial: str) -> Outcome:
    bills = data if isinstance(data, list) else [data] if isinstance(data, Mapping) else []
    ours = [bill for bill in bills if isinstance(bill, Mapping) and str(bill.get("billNo", serial)) == serial]
    if not ours:
        return Outcome(OutcomeKind.NOT_FOUND)
    invoices = [item for bill in ours for item in bill.get("invoiceList") or [] if isinstance(item, Mapping)]
    outcomes = [mapping.query_outcome(item) for item in invoices]
    if not outcomes or any(outcome.kind is OutcomeKind.PENDING for outcome in outcomes):
        return Outcome(OutcomeKind.PENDING, message="开票申请单已受理, 发票未开具" if not outcomes else None)
    issued = [outcome for outcome in outcomes if outcome.kind is OutcomeKind.ISSUED]
    if not issued:
        return outcomes[0]  # every invoice of the bill failed: the first one's reason
    split = f"开票申请单拆分为 {len(outcomes)} 张发票, {len(issued)} 张已开具" if len(outcomes) > 1 else None
    return Outcome(OutcomeKind.ISSUED, code=issued[0].code, message=split, invoice=issued[0].invoice)
