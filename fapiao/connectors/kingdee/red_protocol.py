"""Every Kingdee wire choice of the client's red-letter (红冲) operations, in one place.

What the vendor documents is in `../shared/red-letter.md` §1; where it is silent [?], the choice is the
table in `docs/red-letter.md`, which the sandbox (`kingdee/sandbox/`) implements a second time from
the same table, sharing no code with this module. Change one side only together with that table.
"""

from __future__ import annotations

from datetime import timedelta, timezone
from enum import StrEnum

__all__ = [
    "APPLY", "FORM_QUERY", "REVOKE", "ANSWER", "RED", "RED_CALLBACK",
    "APPLY_REASONS", "RED_REASONS", "LINE_PROPERTY", "ENTER_IDENTITY_OURS", "ENTER_IDENTITY_THEIRS",
    "REVOKE_TYPE", "CONFIRM_TYPE", "REFUSE_TYPE",
    "FormStage", "FORM_STAGES", "FORM_DEADLINE", "ENTRY_ZONE",
    "Form", "Line", "Apply", "FormQuery", "FormAction", "Red",
    "FACE_CHECK_CODE", "FACE_CHECK", "NO_REMAINING", "WHOLE_ONLY", "FORM_NOT_ISSUABLE",
]

# Interface codes (the envelope's `interfaceCode`).
APPLY = "REDCONFIRMBILL.APPLY"  # 2.1.03 红字确认单生成
FORM_QUERY = "ALLE.REDCONFIRMBILL.QUERY"  # 2.1.13 红字确认单编号查询
REVOKE = "REDCONFIRMBILL.REVOKE"  # 2.1.08 红字确认单撤销
ANSWER = "REDCONFIRMBILL.CONFIRM"  # 2.1.09 红字确认单确认或拒绝 [?]: the code is undocumented; named as 2.1.08 is
RED = "ALLE.INVOICE.RED"  # 2.1.04 数电票红冲 (the vendor page writes it with a stray leading space)
RED_CALLBACK = "INVOICE.RED"  # 2.1.02's interfaceCode on the result of a 2.1.04

# The bureau's red reasons (RED_REASONS in fapiao.schemas.records) as each endpoint numbers them.
# [?] 2.1.03 enumerates "1".."4" without meanings: we take the bureau's order, as 2.1.04 does with "01".."04"
# (Kingdee 标准版 and Nuonuo order them 1 销货退回, 2 开票有误; the sandbox can be switched to that order).
APPLY_REASONS = {"01": "1", "02": "2", "03": "3", "04": "4"}
RED_REASONS = {"01": "01", "02": "02", "03": "03", "04": "04"}

LINE_PROPERTY = "0"  # every red line is a normal line (ALLE.* numbering)

# 2.1.08/2.1.09 `enteridentity` (录入方身份) and `qrlx` (确认类型). [?] beyond 2.1.08's "C撤销".
ENTER_IDENTITY_OURS = "0"  # we entered the form (revoking it; also 2.1.13's `identity`)
ENTER_IDENTITY_THEIRS = "1"  # the counterparty entered it and we answer
REVOKE_TYPE, CONFIRM_TYPE, REFUSE_TYPE = "C", "Y", "N"


class FormStage(StrEnum):
    """What a form's status means for the red that hangs off it."""

    ISSUABLE = "issuable"  # the red may be issued: nobody must confirm (01), or both confirmed (04)
    AWAITING = "awaiting"  # the counterparty must answer before the deadline (02, 03)
    VOID = "void"  # refused, lapsed, revoked or blocked: nothing is ever issued for it (05..11)


# What each of the bureau's 红字确认单 statuses (`redConfirmBillStatus`; their names are RED_FORM_STATUSES
# in fapiao.schemas.records) means here. A status not in it is none of the bureau's.
FORM_STAGES: dict[str, FormStage] = {
    "01": FormStage.ISSUABLE, "02": FormStage.AWAITING, "03": FormStage.AWAITING, "04": FormStage.ISSUABLE,
    **{status: FormStage.VOID for status in ("05", "06", "07", "08", "09", "10", "11")},
}

# A form that awaits an answer lapses (07) this long after it was entered (the bureau's rule).
FORM_DEADLINE = timedelta(hours=72)
# [?] `redConfirmEnterDate` has no documented format: "yyyy-MM-dd HH:mm:ss" (as every Kingdee time) in
# China Standard Time, which has no daylight saving; an ISO 8601 offset or epoch milliseconds are read too.
ENTRY_ZONE = timezone(timedelta(hours=8))


class Form:
    """A form's fields in the answers of 2.1.03 (`data`) and 2.1.13 (`data.dataList[]`), and in red
    callbacks and query answers."""

    number = "redInfoBillNo"
    uuid = "govRedConfirmBillUuid"
    status = "redConfirmBillStatus"
    entered = "redConfirmEnterDate"
    found = "dataList"  # 2.1.13: the forms found (empty: none)


class Line:
    """A red line of 2.1.03 and 2.1.04 `invoiceDetail[]`: amounts, tax and quantity negative, price positive,
    quantity and price left out for 04 销售折让."""

    original_line = "originalSeq"  # the blue's 1-based line number, an int
    kind = "lineProperty"  # LINE_PROPERTY
    name = "goodsName"
    tax_code = "revenueCode"
    specification = "specification"
    unit = "units"
    quantity = "quantity"
    price = "price"
    amount = "amount"
    tax_rate = "taxRate"
    tax = "taxAmount"


class Apply:
    """2.1.03 `data`. [?] `sellerTaxpayerId` is not in the vendor's table: a tenant may hold several sellers."""

    order_no = "orderNo"  # the red's serial: applying again with it answers the same form
    blue_number = "invoiceNo"
    blue_code = "invoiceCode"
    reason = "redReason"  # APPLY_REASONS
    invoice_type = "invoiceType"  # "01" 专 / "02" 普
    seller_tax_id = "sellerTaxpayerId"
    lines = "invoiceDetail"  # only for a partial red


class FormQuery:
    """2.1.13 `data`."""

    taxpayer = "taxpayerId"
    number = "redInfoBillNo"
    identity = "identity"  # ENTER_IDENTITY_OURS


class FormAction:
    """2.1.08 revoke and 2.1.09 confirm/refuse `data`."""

    taxpayer = "taxNo"
    number = "number"  # the form's redInfoBillNo
    identity = "enteridentity"
    action = "qrlx"  # REVOKE_TYPE, CONFIRM_TYPE, REFUSE_TYPE


class Red:
    """2.1.04 `data`: every red line, also for a whole red."""

    serial = "serialNo"  # the red's own serial: the idempotency key of the red invoice
    blue_number = "invoiceNum"
    blue_code = "invoiceCode"
    blue_issued_at = "originalIssueTime"
    blue_amount = "originalInvoiceAmount"
    blue_tax = "originalTotalTaxAmount"
    reason = "redReason"  # RED_REASONS
    form_uuid = Form.uuid
    form_number = Form.number
    invoice_type = "invoiceType"
    seller_tax_id = "sellerTaxpayerId"
    seller_name = "sellerName"
    buyer_name = "buyerName"
    buyer_tax_id = "buyerTaxpayerId"
    lines = "invoiceDetail"


# Refusals. The face check interrupts a bureau save: the seller must act, nothing was entered.
FACE_CHECK_CODE = "91400"
FACE_CHECK = "扫脸认证"
# Business refusals (errorCode "9999") carry the bureau's texts; these are the parts a reader can rely on.
NO_REMAINING = "没有可红冲的金额"  # the blue (or that line) has nothing left to take back
WHOLE_ONLY = "红冲原因为开票有误时不允许部分红冲"  # 01 开票有误 with lines, or after a partial red
FORM_NOT_ISSUABLE = "当前红字发票确认单状态为："  # 2.1.04 against a form that is not 01 or 04, then its name
