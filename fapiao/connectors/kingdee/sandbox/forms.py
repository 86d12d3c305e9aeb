"""A 红字确认单 (red-letter confirmation form) as the sandbox keeps it, and how the two form APIs show it.

    01 无需确认 ──────────────────────────────► red issued (ALLE.INVOICE.RED)
    02 销方录入待购方确认 ─ buyer confirms ──► 04 ─► red issued (by itself, or by ALLE.INVOICE.RED)
       ├─ buyer refuses ► 05    ├─ deadline ► 07    └─ we revoke ► 08        04 ─ revoked before a red ► 09
    03 购方录入待销方确认 ─ we confirm (2.1.09 Y) ► 04;  refuse (N) ► 06;  deadline ► 07
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from fapiao.connectors.kingdee.sandbox import names
from fapiao.connectors.kingdee.sandbox.books import Take
from fapiao.connectors.kingdee.sandbox.clock import written

if TYPE_CHECKING:
    from fapiao.connectors.kingdee.sandbox.ledger import Invoice

__all__ = ["Party", "Form"]

SELLER, BUYER = "0", "1"  # enterIdentity / identity: who entered the form


@dataclass(frozen=True)
class Party:
    tax_id: str
    name: str


@dataclass(eq=False)
class Form:
    number: str  # redInfoBillNo, 20 digits
    uuid: str  # govRedConfirmBillUuid, 32 hex
    order_no: str  # the orderNo it was applied under: the serial its red is issued under by itself
    blue: Invoice
    reason: str  # the bureau's code, 01..04, whichever numbering the request used
    identity: str  # SELLER or BUYER
    status: str
    entered_at: datetime
    deadline: datetime
    take: Take
    seller: Party
    buyer: Party
    buyer_answer: str = "silent"  # what the simulated buyer answers a 02 form: confirm, refuse or silent
    red: Invoice | None = None  # the red invoice issued, being issued, or waiting for this form
    red_invoice: dict[str, Any] = field(default_factory=dict)  # redInvoiceNo … once the red is issued

    @property
    def blue_number(self) -> str:
        return str(self.blue.data["invoiceNum"])

    @property
    def status_name(self) -> str:
        return names.FORM_STATUS[self.status]

    def lapse(self, now: datetime) -> bool:
        """07 作废（超72小时未确认）: a form still awaiting the other party past its deadline."""
        if self.status in names.AWAITING and now >= self.deadline:
            self.status = "07"
            return True
        return False

    def ids(self) -> dict[str, str]:
        """What 2.1.03 answers, and what a red invoice shows of its form."""
        return {"redInfoBillNo": self.number, "govRedConfirmBillUuid": self.uuid,
                "redConfirmBillStatus": self.status, "redConfirmEnterDate": written(self.entered_at)}

    def item(self) -> dict[str, Any]:
        """One `dataList` entry of 2.1.13 (the 21 fields of Kingdee's own list, with OpenAPI names)."""
        amount = sum((share.amount for share in self.take.values()), Decimal(0))
        tax = sum((share.tax for share in self.take.values()), Decimal(0))
        blue = self.blue.data
        return {
            **self.ids(), "redReason": self.reason, "enterIdentity": self.identity, "orderNo": self.order_no,
            "buyerName": self.buyer.name, "buyerTaxNo": self.buyer.tax_id,
            "salerName": self.seller.name, "salerTaxNo": self.seller.tax_id,
            "redInvoiceNo": "", "redInvoiceDate": "", "redInvoiceAmount": -amount, "redTaxAmount": -tax,
            **self.red_invoice,
            "blueInvoiceType": blue["invoiceType"], "blueInvoiceCode": "", "blueInvoiceNo": self.blue_number,
            "blueInvoiceAmount": blue["totalAmount"], "blueTaxAmount": blue["totalTaxAmount"],
            "blueInvoiceDate": blue["invoiceDate"],
        }
