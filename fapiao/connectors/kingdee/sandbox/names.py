"""The sandbox's own words for Kingdee 发票云's protocol, written from shared/providers.md §1 and red-letter.md §1.

Deliberately not imported from the client (`fapiao.connectors.kingdee.protocol`): the sandbox is a second
reading of the documentation, so a wrong name on one side shows up as a failing contract test. Where the
documentation is silent the choice is the one docs/red-letter.md records ([I] below).
"""

from __future__ import annotations

DEFAULT_PORT = 8790

APP_TOKEN_PATH = "/api/getAppToken.do"  # 1.01
LOGIN_PATH = "/api/login.do"  # 1.02
OPEN_API_PATH = "/kapi/app/sim/openApi"  # every business call

# interfaceCode values
OPEN = "ALLE.INVOICE.OPEN"  # 2.1.01 数电 blue
BILL_PUSH = "BILL.PUSH"  # 1.1.01 开票申请单 (tax-device and 电子 types)
QUERY = "ALLE.INVOICE.QUERY"  # 4.1.04 by serialNo (or invoiceNum)
BILL_QUERY = "BILL.INVOICE.QUERY"  # 1.1.03 the invoices of a 开票申请单, by its billNo (sent as serialNo)
APPLY = "REDCONFIRMBILL.APPLY"  # 2.1.03 raise a 红字确认单
RED = "ALLE.INVOICE.RED"  # 2.1.04 issue a red invoice
REVOKE = "REDCONFIRMBILL.REVOKE"  # 2.1.08 qrlx "C"
CONFIRM = "REDCONFIRMBILL.CONFIRM"  # 2.1.09 qrlx "Y"/"N": [I] the name is ours, the page is not stored
FORM_QUERY = "ALLE.REDCONFIRMBILL.QUERY"  # 2.1.13
# Callback interfaceCode values (2.1.02)
CALLBACK_OPEN = "INVOICE.OPEN"
CALLBACK_RED = "INVOICE.RED"

DIGITAL_TYPES = frozenset({"01", "02"})  # ALLE.*: 01 数电专, 02 数电普
BILL_TYPES = frozenset({"004", "007", "025", "026", "028"})  # BILL.PUSH
SPECIAL_TYPES = frozenset({"01", "004", "028"})  # 专票: the buyer's tax id is required
# [I] A bill's invoice as 1.1.03 lists it: the fields of a 5.1.03 按单 callback item (the 1.1.03 page was not readable)
BILL_INVOICE_FIELDS = ("billNo", "serialNo", "invoiceType", "invoiceStatus", "invoiceCode", "invoiceNum",
                       "invoiceDate", "totalAmount", "totalTaxAmount", "includeTaxAmount", "invoiceFileUrl",
                       "ofdFileUrl", "xmlFileUrl", "issueErrorMessage")

# errorCode values
OK = "0"
REFUSED = "9999"  # [I] a business refusal (the code the 2.1.02 callback uses for 开票失败)
DUPLICATE = "10127"  # the serial is already held (SDK)
FACE_CHECK = "91400"  # the bureau asks for 人脸认证 (Kingdee's e-tax plug-in)
UNAUTHORIZED = "401"
BAD_REQUEST = "400"
UNKNOWN_INTERFACE = "404"
BUSY = "503"

# Answer texts
NOT_AUTHORIZED = "未进行接口授权"  # no 接口授权, or an expired access_token: one text for both
BAD_TOTALS = "价税合计金额不对"
NOT_FOUND = "未查询到发票"  # [I] query of an unknown serial: success with empty data
ISSUING = "开票中"
BUSY_TEXT = "系统繁忙,请稍后重试"
FACE_CHECK_TEXT = "扫脸认证已超时, 请先进行人脸认证后再进行录入操作!"
NOTHING_LEFT = "没有可红冲的金额"
NO_PARTIAL_FOR_ERROR = "红冲原因为开票有误时不允许部分红冲, 已进行部分红冲的只能选择销货退回/服务中止/销售折让"
ALLOWANCE_QUANTITY = "红冲原因为销售折让时数量和单价必须为空"
PRICE_ERROR = "明细金额误差超过±0.01"
TAX_ERROR = "税额误差超过±0.06"
ISSUE_TIME_REQUIRED = "originalIssueTime开红字普票时, 且发票云不存在该蓝票时必填"
FORM_STATE_REFUSAL = "开票失败, 当前红字发票确认单状态为："  # + the status name

# 红字确认单 statuses (redConfirmBillStatus), with the names the bureau gives them
FORM_STATUS = {
    "01": "无需确认", "02": "销方录入待购方确认", "03": "购方录入待销方确认", "04": "购销双方已确认",
    "05": "作废（销方录入购方否认）", "06": "作废（购方录入销方否认）", "07": "作废（超72小时未确认）",
    "08": "作废（发起方已撤销）", "09": "作废（确认后撤销）", "10": "作废（异常凭证）",
}
ISSUABLE = frozenset({"01", "04"})  # a red may be issued from these
AWAITING = frozenset({"02", "03"})  # waiting for the other party; they lapse to 07 at the deadline

# Red reasons: the bureau's codes ("01".."04" on 2.1.04) and the two numberings 2.1.03's "1".."4" may follow.
REASONS = {"01": "开票有误", "02": "销货退回", "03": "服务中止", "04": "销售折让"}
APPLY_REASON_TABLES = {
    "bureau": {"1": "01", "2": "02", "3": "03", "4": "04"},  # the order of the bureau's codes (our choice)
    "standard": {"1": "02", "2": "01", "3": "03", "4": "04"},  # Kingdee 标准版 and Nuonuo: 1 销货退回, 2 开票有误
}
ERROR_REASON, ALLOWANCE_REASON = "01", "04"

# Markers in a blue's remark that decide the simulated buyer for that blue (as the 票申 sandbox's SANDBOX:REJECT)
USED, UNUSED = "SANDBOX:USED", "SANDBOX:UNUSED"
BUYER_MARKERS = {"SANDBOX:BUYER-CONFIRMS": "confirm", "SANDBOX:BUYER-REFUSES": "refuse",
                 "SANDBOX:BUYER-SILENT": "silent"}
