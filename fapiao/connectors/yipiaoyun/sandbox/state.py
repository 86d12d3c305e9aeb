"""The sandbox's books: applications by applicationNo, the seed's business rules, and issuance counts.

Rules (seed 004, so a client meets the same answers as at the vendor):
- duplicate applicationNo (POS: orderNo) -> -1 申请单号重复!
- unknown goods identifier -> -1 找不到对应商品信息 (known: `GOODS`)
- unknown store -> 4002 门店不存在 (known: storeNo in `STORES`, storeId in `STORE_IDS`; POS accessKey in `POS_TERMINALS`)
- store `OFFLINE_STORE` ("S009") has no online tax device: an autoDeal submission -> 5001 当前无在线税盘
- totals must add up (totalPrice = unitPrice × quantity; orderPrice = Σ totalPrice) and taxRate must be listed
- a remark containing SANDBOX:REJECT / SANDBOX:FAIL / SANDBOX:PARTIAL makes the later result 申请驳回 (-2) /
  开票失败 (-1) / 部分成功 (2) instead of 开票成功 (1), so callbacks of every kind can be produced

`complete()` issues at most once per application: the sandbox itself never issues a serial twice.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from fapiao.clock import now
from fapiao.connectors.sandboxkit import issuance_stats

__all__ = ["Ledger", "Application", "Answer", "GOODS", "STORES", "STORE_IDS", "POS_TERMINALS", "OFFLINE_STORE"]

GOODS = {"ZSF0000001": ("*住宿服务*住宿费", 6), "CYF0000001": ("*餐饮服务*餐饮费", 6), "SPF0000001": ("*日用品*商品", 13)}
STORES = frozenset({"S001", "S002", "S009"})
STORE_IDS = frozenset({123})
OFFLINE_STORE = "S009"
POS_TERMINALS = {"POS001": "ACTIVE001"}  # accessKey (parterStoreNo) -> accessSecret (activeCode)
RATES = frozenset({0, 3, 5, 6, 9, 10, 13, 16})
SCENARIOS = {"SANDBOX:REJECT": (-2, "申请驳回"), "SANDBOX:FAIL": (-1, "开票失败"), "SANDBOX:PARTIAL": (2, "开票部分成功")}
ISSUED = (1, "开票成功")
CENT = Decimal("0.01")

Answer = tuple[int, str, Any]  # (code, message, data) of a vendor answer


class Refused(Exception):
    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.answer: Answer = (code, message, None)


@dataclass
class Application:
    serial: str
    kind: str  # stay_open | subscribe | pos
    invoice_type: str
    erp_order_nos: list[str]
    partner_order_nos: list[str]
    lines: list[tuple[str, int, Decimal]]  # (name, rate percent, total with tax)
    result: tuple[int, str]
    auto_deal: bool = False
    status: str = "pending"  # pending | issued | failed | rejected
    entries: list[dict[str, Any]] = field(default_factory=list)


def _decimal(value: Any, what: str) -> Decimal:
    if value is None or isinstance(value, bool):
        raise Refused(-1, f"{what}不能为空")
    try:
        return Decimal(str(value))
    except InvalidOperation:
        raise Refused(-1, f"{what}格式错误") from None


class Ledger:
    def __init__(self, host_url: str) -> None:
        self.host_url = host_url
        self.applications: dict[str, Application] = {}
        self.issued_per_serial: Counter[str] = Counter()
        self.submissions_per_serial: Counter[str] = Counter()
        self.faults: Counter[str] = Counter()
        self.requests: Counter[str] = Counter()
        self.callbacks: Counter[str] = Counter()
        self._invoice_numbers = 0

    def admit(self, kind: str, body: dict[str, Any]) -> Answer:
        """Apply the rules to one submission; record it when accepted."""
        try:
            application = self._pos(body) if kind == "pos" else self._application(kind, body)
        except Refused as refused:
            self.requests[f"refused_{refused.answer[0]}"] += 1
            return refused.answer
        if application.serial in self.applications:
            self.requests["duplicate"] += 1
            return -1, "申请单号重复!", None
        self.applications[application.serial] = application
        self.submissions_per_serial[application.serial] += 1
        if kind == "pos":
            return 0, "success", f"{self.host_url}/blank?id={len(self.applications)}&p=1&an={application.serial}"
        return 0, "success", True if kind == "subscribe" else None

    def _pos(self, body: dict[str, Any]) -> Application:
        key, secret = body.get("accessKey"), body.get("accessSecret")
        if key not in POS_TERMINALS:
            raise Refused(4002, "门店不存在")
        if POS_TERMINALS[key] != secret:
            raise Refused(-1, "激活码无效")
        serial = str(body.get("orderNo") or "")
        if not serial:
            raise Refused(-1, "订单号不能为空")
        price = _decimal(body.get("orderPrice"), "订单金额")
        return Application(serial, "pos", "ce", [], [serial], [("*默认商品*", 6, price)], ISSUED)

    def _application(self, kind: str, body: dict[str, Any]) -> Application:
        serial = str(body.get("applicationNo") or "")
        if not serial:
            raise Refused(-1, "申请单号不能为空")
        invoice_type = body.get("invoiceType")
        if invoice_type not in ("s", "c", "ce") or body.get("titleType") not in (1, 2):
            raise Refused(-1, "发票类型或抬头类型错误")
        store_no, store_id = body.get("storeNo"), body.get("storeId")
        if (store_no is not None and store_no not in STORES) or (store_id is not None and store_id not in STORE_IDS):
            raise Refused(4002, "门店不存在")
        auto_deal = body.get("autoDeal") is True
        if auto_deal and store_no == OFFLINE_STORE:
            raise Refused(5001, "当前无在线税盘,无法自动开票")
        orders = body.get("orderList")
        if not isinstance(orders, list) or not orders:
            raise Refused(-1, "订单列表不能为空")
        lines = [] if kind == "subscribe" else [line for order in orders for line in self._order_lines(order)]
        remark = str(body.get("remark") or "")
        result = next((SCENARIOS[tag] for tag in SCENARIOS if tag in remark), ISSUED)
        return Application(serial, kind, invoice_type, [str(o["erpOrderNo"]) for o in orders if o.get("erpOrderNo")],
                           [str(o["orderNo"]) for o in orders if o.get("orderNo")], lines, result, auto_deal)

    def _order_lines(self, order: dict[str, Any]) -> list[tuple[str, int, Decimal]]:
        lines = []
        for item in order.get("items") or []:
            total = _decimal(item.get("totalPrice"), "总价")
            if item.get("unitPrice") is not None and item.get("quantity") is not None:
                if _decimal(item["unitPrice"], "单价") * _decimal(item["quantity"], "数量") != total:
                    raise Refused(-1, "总价不等于单价*数量")
            if "identifier" in item:
                if item["identifier"] not in GOODS:
                    raise Refused(-1, "找不到对应商品信息")
                name, rate = GOODS[item["identifier"]]
            else:
                if not item.get("name") or not item.get("taxTypeNo"):
                    raise Refused(-1, "税收分类编码错误")
                raw_rate = str(item.get("taxRate", ""))
                name, rate = str(item["name"]), int(raw_rate) if raw_rate.isdigit() else -1
                if rate not in RATES:
                    raise Refused(-1, "税率错误")
            lines.append((name, rate, total))
        if not lines or sum(total for _, _, total in lines) != _decimal(order.get("orderPrice"), "订单金额"):
            raise Refused(-1, "订单金额与商品总价不符")
        return lines

    def complete(self, serial: str) -> tuple[int, str, dict[str, Any]] | None:
        """Decide a pending application (once); return the 申请回调 (code, message, data), or None."""
        application = self.applications.get(serial)
        if application is None or application.status != "pending":
            return None
        code, message = application.result
        if code == -2:
            application.status = "rejected"
        else:
            entries = [self._entry(application)]
            if code == -1:
                entries = [{**entries[0], "invoiceNo": "", "invoiceCode": "", "status": "2",
                            "processRemark": "开具失败,税盘不在线"}]
            elif code == 2:
                entries.append({"invoiceType": application.invoice_type, "status": "2", "processRemark": "开具失败,超过限额"})
            application.entries = entries
            application.status = "failed" if code == -1 else "issued"
            if application.status == "issued":
                self.issued_per_serial[serial] += 1
        data = {"orderBatchNo": f"B{serial}", "erpOrderNos": application.erp_order_nos,
                "partnerOrderNos": application.partner_order_nos,
                "successNumber": sum(e.get("status") == "1" for e in application.entries),
                "failNumber": sum(e.get("status") == "2" for e in application.entries),
                "invoiceEntrys": application.entries}
        return code, message, data

    def _entry(self, application: Application) -> dict[str, Any]:
        """One invoice for the whole application (a subscription has no goods, hence no amounts)."""
        self._invoice_numbers += 1
        number = f"{self._invoice_numbers:08d}"
        lines = application.lines
        entry: dict[str, Any] = {
            "invoiceType": application.invoice_type, "invoiceCode": "044031900111", "invoiceNo": number,
            "paperDrewDate": now().strftime("%Y%m%d%H%M%S"), "taxRate": lines[0][1] if lines else 6,
            "status": "1", "pdfPath": f"{self.host_url}/pdf/{number}.pdf", "processRemark": "",
        }
        if lines:
            total = sum((t for _, _, t in lines), Decimal(0))
            without = sum(((t / (1 + Decimal(r) / 100)).quantize(CENT, ROUND_HALF_UP) for _, r, t in lines), Decimal(0))
            entry.update(amountWithTax=total, amountWithoutTax=without, taxAmount=total - without,
                         details=[{"cargoName": n, "taxRate": r, "amountWithTax": t} for n, r, t in lines])
        return entry

    def query(self, serial: str) -> Answer:
        application = self.applications.get(serial)
        if application is None:
            return -1, "申请单不存在", None
        return 0, "success", {"status": application.status, "invoiceEntrys": application.entries,
                              "message": application.result[1] if application.status != "pending" else None}

    def stats(self) -> dict[str, Any]:
        faults = self.faults + Counter({f"callbacks_{name}": self.callbacks[name] for name in ("dropped", "duplicated")
                                        if self.callbacks[name]})
        return issuance_stats(self.submissions_per_serial, self.issued_per_serial, self.requests, self.callbacks,
                              faults, dedupe=True, applications=len(self.applications))
