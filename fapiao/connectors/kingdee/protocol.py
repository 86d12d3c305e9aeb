"""The names of the Kingdee 发票云 protocol that the client and the sandbox share (shared/providers.md §1).

Marked [I] where providers.md had no vendor source and the sandbox fixes the choice.
"""

from __future__ import annotations

__all__ = [
    "APP_TOKEN_PATH", "LOGIN_PATH", "OPEN_API_PATH", "OPEN", "BILL_PUSH", "QUERY", "BILL_QUERY",
    "OK_CODES", "DUPLICATE_CODE", "AUTH_FAILURE", "BAD_TOTALS", "NOT_FOUND_MESSAGE",
    "SANDBOX_PORT", "SANDBOX_URL", "CALLBACK_REPLY",
]

APP_TOKEN_PATH = "/api/getAppToken.do"
LOGIN_PATH = "/api/login.do"
OPEN_API_PATH = "/kapi/app/sim/openApi"

OPEN = "ALLE.INVOICE.OPEN"  # 2.1.01 数电票蓝字发票开具
BILL_PUSH = "BILL.PUSH"  # 1.1.01 开票申请单生成及开票 (tax-device and 电子 invoice types)
QUERY = "ALLE.INVOICE.QUERY"  # 4.1.04 数电票发票单张查询
BILL_QUERY = "BILL.INVOICE.QUERY"  # 1.1.03 开票申请单发票查询 (the invoices of a BILL.PUSH bill)

OK_CODES = frozenset({"0", "0000"})
DUPLICATE_CODE = "10127"  # 重复流水号: the provider already holds this serial
AUTH_FAILURE = "未进行接口授权"  # no 接口授权, or an expired access_token: the same text for both
BAD_TOTALS = "价税合计金额不对"
# [I] The real not-found answer of ALLE.INVOICE.QUERY is not documented: the sandbox answers
# success with an empty `data` and this message; the client also reads a failure naming 不存在.
NOT_FOUND_MESSAGE = "未查询到发票"

SANDBOX_PORT = 8790
SANDBOX_URL = f"http://127.0.0.1:{SANDBOX_PORT}"  # where an unconfigured client goes: the sandbox

CALLBACK_REPLY = '{"message":"回调成功","errorCode":"0","success":true}'.encode()
