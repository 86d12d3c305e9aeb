"""The sandbox's books: every submission it accepted, the invoices it issued, the blues reds may take back.

`Ledger.issue` is the only place an invoice comes into existence, once per accepted submission. With
`--dedupe on` a serial is accepted once, so any count above 1 in `issued_per_serial` would be a sandbox
bug; with `--dedupe off` a serial sent again is accepted and issued again (a new number), which is what
the stats are there to show.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from fapiao.connectors.kingdee.sandbox import names
from fapiao.connectors.kingdee.sandbox.books import BlueBook, Take
from fapiao.connectors.kingdee.sandbox.clock import Clock, written
from fapiao.connectors.kingdee.sandbox.forms import Form
from fapiao.connectors.kingdee.sandbox.takes import share_of_blue_line
from fapiao.connectors.sandboxkit import issuance_stats

__all__ = ["Invoice", "Blue", "Ledger"]


@dataclass(eq=False)
class Invoice:
    """One accepted submission: `data` is what a query or callback shows (invoiceStatus 2 开票中 until issued)."""

    serial: str
    interface: str  # OPEN, BILL_PUSH or RED
    data: dict[str, Any]
    form: Form | None = None  # a red's 红字确认单
    take: Take | None = None  # a red's share of its blue
    used: bool = False  # a blue's: the simulated buyer already did 用途确认/入账

    @property
    def status(self) -> str:
        return str(self.data["invoiceStatus"])


@dataclass(eq=False)
class Blue:
    """An issued 数电 blue that reds may take back."""

    invoice: Invoice
    book: BlueBook

    @property
    def used(self) -> bool:
        return self.invoice.used

    def detail(self) -> list[dict[str, Any]]:
        return list(self.invoice.data["invoiceDetail"])


@dataclass
class Ledger:
    base_url: str
    clock: Clock
    dedupe: bool = True
    invoices: dict[str, Invoice] = field(default_factory=dict)  # the latest submission per serial
    blues: dict[str, Blue] = field(default_factory=dict)  # by invoice number
    forms: dict[str, Form] = field(default_factory=dict)  # by form number (redInfoBillNo)
    by_number: dict[str, Invoice] = field(default_factory=dict)  # every issued invoice
    submissions_per_serial: Counter[str] = field(default_factory=Counter)
    issued_per_serial: Counter[str] = field(default_factory=Counter)
    faults: Counter[str] = field(default_factory=Counter)
    requests: Counter[str] = field(default_factory=Counter)
    callbacks: Counter[str] = field(default_factory=Counter)
    red_issued: int = 0
    _invoice_numbers: int = 0
    _form_numbers: int = 0

    def holds(self, serial: str) -> bool:
        return serial in self.invoices

    def record(self, serial: str, interface: str, data: dict[str, Any], used: bool = False) -> Invoice:
        """Accept a blue submission as 开票中 (a BILL.PUSH item shows its billNo as serialNo too, as 5.1.03's do)."""
        return self.accept(Invoice(serial, interface, {**data, "serialNo": serial, "invoiceStatus": "2"}, used=used))

    def accept(self, invoice: Invoice) -> Invoice:
        self.invoices[invoice.serial] = invoice
        self.submissions_per_serial[invoice.serial] += 1
        return invoice

    def next_form_number(self) -> str:
        self._form_numbers += 1
        return f"4401{self.clock.now():%y}{self._form_numbers:014d}"

    def issue(self, invoice: Invoice) -> bool:
        """开票成功 for a submission still 开票中; False (and no effect) for any other."""
        if invoice.status != "2":
            return False
        self._invoice_numbers += 1
        now = self.clock.now()
        digital = invoice.data["invoiceType"] in names.DIGITAL_TYPES
        files = f"{self.base_url}/_sandbox/files/{invoice.serial}"
        number = f"{now:%y}44{self._invoice_numbers:016d}" if digital else f"{self._invoice_numbers:08d}"
        invoice.data.update({
            "invoiceStatus": "0", "invoiceNum": number, "invoiceDate": written(now),
            "invoiceFileUrl": f"{files}.pdf", "ofdFileUrl": f"{files}.ofd", "xmlFileUrl": f"{files}.xml",
        })
        if not digital:  # tax-device types: a 12-digit code besides the 8-digit number
            invoice.data["invoiceCode"] = f"0440{now:%y}00{self._invoice_numbers % 10000:04d}"
        self.issued_per_serial[invoice.serial] += 1
        self.by_number[number] = invoice
        if invoice.interface == names.OPEN:
            lines = {seq: share_of_blue_line(line) for seq, line in enumerate(invoice.data["invoiceDetail"], 1)}
            self.blues[number] = Blue(invoice, BlueBook(lines))
        elif invoice.interface == names.RED:
            self._settle(invoice, number, now)
        return True

    def _settle(self, red: Invoice, number: str, now: datetime) -> None:
        assert red.form is not None and red.take is not None
        self.blues[red.form.blue_number].book.settle(red.form.number, red.take)
        red.form.red_invoice = {"redInvoiceNo": number, "redInvoiceDate": written(now),
                                "redInvoiceAmount": red.data["totalAmount"],
                                "redTaxAmount": red.data["totalTaxAmount"]}
        red.data["redConfirmBillStatus"] = red.form.status
        self.red_issued += 1

    def fail(self, invoice: Invoice, message: str) -> bool:
        """开票失败 (invoiceStatus 4) for a submission still 开票中."""
        if invoice.status != "2":
            return False
        invoice.data.update({"invoiceStatus": "4", "issueErrorMessage": message})
        return True

    def shown(self, invoice: Invoice) -> dict[str, Any]:
        """What ALLE.INVOICE.QUERY answers: a blue with what remains per line, a red with its form as it is."""
        data = dict(invoice.data)
        blue = self.blues.get(str(data.get("invoiceNum")))
        if blue is not None and blue.invoice is invoice:
            remaining = blue.book.remaining()
            data["invoiceDetail"] = [
                {**line, "detailRowNo": seq, "remainRedAmount": remaining[seq].amount,
                 "remainRedTax": remaining[seq].tax,
                 "remainRedQuantity": "" if remaining[seq].quantity is None else f"{remaining[seq].quantity:f}"}
                for seq, line in enumerate(blue.detail(), 1)]
            if blue.book.flushed():
                data["invoiceStatus"] = "3"
        if invoice.form is not None:
            data.update(invoice.form.ids())
        return data

    def bills(self, bill_no: str, seller: str) -> list[dict[str, Any]]:
        """What BILL.INVOICE.QUERY answers: `[{billNo, invoiceList}]` for the seller's 开票申请单, else `[]`.

        The bill's invoice is listed once it is issued or failed; while 开票中 the list is empty.
        """
        bill = self.invoices.get(bill_no)
        if bill is None or bill.interface != names.BILL_PUSH or bill.data.get("sellerTaxpayerId") != seller:
            return []
        listed = [] if bill.status == "2" else [
            {key: bill.data[key] for key in names.BILL_INVOICE_FIELDS if bill.data.get(key) not in (None, "")}]
        return [{"billNo": bill_no, "invoiceList": listed}]

    def stats(self, **settings: Any) -> dict[str, Any]:
        """`/_sandbox/stats`, with `settings` the sandbox reports as they are (e.g. the reason table in force)."""
        pending = sum(1 for invoice in self.invoices.values() if invoice.status == "2")
        return issuance_stats(
            self.submissions_per_serial, self.issued_per_serial, self.requests, self.callbacks, self.faults,
            dedupe=self.dedupe, held=len(self.invoices), pending=pending, **settings,
            forms=dict(Counter(form.status for form in self.forms.values())), red_issued=self.red_issued,
            over_flushed=sorted(number for number, blue in self.blues.items() if blue.book.over()))
