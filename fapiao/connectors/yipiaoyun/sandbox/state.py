"""The sandbox's books: applications by applicationNo, their invoices, and the counts `/_sandbox/stats` reports.

With `dedupe` (the vendor's behaviour) an applicationNo (POS: orderNo) seen before is refused, -1 申请单号重复!.
Without it the sandbox is a careless provider: the same number is accepted again as a new application,
which is issued again, with a new invoice. A query then shows the newest application under that number.

Counted for the stats, true in both modes: accepted submissions per serial, invoices issued per serial (an
application is decided once, so a serial has two invoices only if it was accepted twice), and faults.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from fapiao.connectors.sandboxkit import issuance_stats
from fapiao.connectors.yipiaoyun.sandbox import protocol, rules
from fapiao.connectors.yipiaoyun.sandbox.protocol import Answer

__all__ = ["Ledger", "Application", "Callback"]

CHINA = timezone(timedelta(hours=8), "CST")  # the vendor's clock: paperDrewDate is local time
INVOICE_CODE = "044031900111"  # 12-digit 发票代码 of the sandbox's (legacy 税盘) invoices
CENT = Decimal("0.01")

Callback = tuple[int, str, dict[str, Any]]  # (code, message, data) of one 申请回调


@dataclass
class Application:
    """One accepted submission and what became of it."""

    draft: rules.Draft
    number: int  # the sandbox's own sequence, for the batch number and the POS link
    status: str = "pending"  # pending | issued | failed | rejected
    entries: list[dict[str, Any]] = field(default_factory=list)


class Ledger:
    def __init__(self, host_url: str, dedupe: bool = True) -> None:
        self.host_url = host_url
        self.dedupe = dedupe
        self.applications: dict[str, list[Application]] = {}
        self.submissions_per_serial: Counter[str] = Counter()
        self.issued_per_serial: Counter[str] = Counter()
        self.faults: Counter[str] = Counter()
        self.requests: Counter[str] = Counter()
        self.callbacks: Counter[str] = Counter()
        self._accepted = 0
        self._invoices = 0

    def admit(self, kind: str, body: dict[str, Any]) -> tuple[Answer, Application | None]:
        """Check one submission and record it when accepted: the answer, and the application if there is one."""
        try:
            draft = rules.read(kind, body)
        except rules.Refused as refused:
            self.requests[f"refused_{refused.answer.code}"] += 1
            return refused.answer, None
        if self.dedupe and draft.serial in self.applications:
            self.requests["duplicate"] += 1
            return protocol.DUPLICATE, None
        self._accepted += 1
        application = Application(draft, self._accepted)
        self.applications.setdefault(draft.serial, []).append(application)
        self.submissions_per_serial[draft.serial] += 1
        if kind == "pos":  # the customer fills in the title on this page; nothing is issued before that
            link = f"{self.host_url}/blank?id={application.number}&p=1&an={draft.serial}"
            return protocol.SUCCESS._replace(data=link), application
        return protocol.SUCCESS._replace(data=True if kind == "subscribe" else None), application

    def complete(self, application: Application) -> Callback | None:
        """Decide a pending application, once: its 申请回调, or None if it was decided before."""
        if application.status != "pending":
            return None
        draft = application.draft
        code, message = draft.result
        if draft.result == protocol.REJECTED:
            application.status = "rejected"
            return code, message, self._orders(application)
        if draft.result == protocol.FAILED:
            application.status = "failed"
            application.entries = [self._failed_entry(draft, "开具失败,税盘不在线")]
        else:
            application.status = "issued"
            application.entries = [self._issued_entry(draft)]
            if draft.result == protocol.PARTIAL:
                application.entries.append(self._failed_entry(draft, "开具失败,超过限额"))
            self.issued_per_serial[draft.serial] += 1
        entries = application.entries
        return code, message, {
            **self._orders(application),
            "successNumber": sum(entry["status"] == protocol.ENTRY_ISSUED for entry in entries),
            "failNumber": sum(entry["status"] == protocol.ENTRY_FAILED for entry in entries),
            "invoiceEntrys": entries,
        }

    @staticmethod
    def _orders(application: Application) -> dict[str, Any]:
        draft = application.draft
        return {"orderBatchNo": f"B{application.number:08d}", "erpOrderNos": list(draft.erp_order_nos),
                "partnerOrderNos": list(draft.partner_order_nos)}

    def _issued_entry(self, draft: rules.Draft) -> dict[str, Any]:
        """One invoice for the whole application (a 预约 application has no goods, hence no amounts)."""
        self._invoices += 1
        number = f"{self._invoices:08d}"
        entry: dict[str, Any] = {
            "invoiceType": draft.invoice_type, "invoiceCode": INVOICE_CODE, "invoiceNo": number,
            "paperDrewDate": datetime.now(CHINA).strftime("%Y%m%d%H%M%S"), "purchaserName": draft.purchaser,
            "taxRate": draft.lines[0].rate if draft.lines else rules.POS_RATE, "status": protocol.ENTRY_ISSUED,
            "pdfPath": f"{self.host_url}/pdf/{number}.pdf", "processRemark": "",
        }
        if draft.lines:
            details = [_detail(line) for line in draft.lines]
            entry.update({key: sum((d[key] for d in details), Decimal(0))
                          for key in ("amountWithoutTax", "taxAmount", "amountWithTax")}, details=details)
        return entry

    @staticmethod
    def _failed_entry(draft: rules.Draft, remark: str) -> dict[str, Any]:
        return {"invoiceType": draft.invoice_type, "invoiceCode": "", "invoiceNo": "",
                "status": protocol.ENTRY_FAILED, "processRemark": remark}

    def query(self, serial: str) -> Answer:
        """What the (assumed) query endpoint answers for an applicationNo: its newest application."""
        if serial not in self.applications:
            return protocol.NOT_FOUND
        application = self.applications[serial][-1]
        message = None if application.status == "pending" else application.draft.result[1]
        return protocol.SUCCESS._replace(data={"status": application.status, "invoiceEntrys": application.entries,
                                               "message": message})

    def stats(self) -> dict[str, Any]:
        return issuance_stats(self.submissions_per_serial, self.issued_per_serial, self.requests, self.callbacks,
                              self.faults, dedupe=self.dedupe, applications=self._accepted)


def _detail(line: rules.Line) -> dict[str, Any]:
    """One invoice line: its tax-inclusive price split at its rate (without tax rounded half up to the cent)."""
    without = (line.with_tax * 100 / (100 + line.rate)).quantize(CENT, ROUND_HALF_UP)
    return {"cargoName": line.name, "taxRate": line.rate, "amountWithoutTax": without,
            "taxAmount": line.with_tax - without, "amountWithTax": line.with_tax}
