"""票申/易票云 as `/work/shared/providers.md` §2 describes it: paths, answer codes and texts, callback codes.

Written from the document, not from our client, so that a misreading on one side shows up as a
disagreement in the contract tests instead of being shared.

- Paths (§2.2). The docs show no query endpoint ([?]): the sandbox serves the one docs/providers.md
  assumes, `QUERY`, answering `{code: 0, data: {status, invoiceEntrys, message}}` or `-1 申请单不存在`.
- Answers (§2.4): `{"code": 0, "message": …, "data": …}` is success; a business refusal is HTTP 200 with
  another code. Texts the seed shows are used as they are; where it shows none, the text is ours.
- Callback codes (§2.3): -2 申请驳回, -1 开票失败, 1 开票成功; 开票部分成功 is not in the stored
  excerpt ([?]) and is 2 here. An entry's `status` is "1" issued, "2" not issued.
"""

from __future__ import annotations

from typing import NamedTuple

__all__ = ["Answer", "STAY_OPEN", "SUBSCRIBE", "POS", "QUERY", "SUBMISSIONS", "SIGN_TYPES", "SUCCESS",
           "DUPLICATE", "NOT_FOUND", "BAD_APP_ID", "BAD_SIGNATURE", "BAD_BODY", "NO_STORE", "NO_ONLINE_DEVICE",
           "UNKNOWN_GOODS", "BAD_TAX_CODE", "REJECTED", "FAILED", "ISSUED", "PARTIAL", "ENTRY_ISSUED",
           "ENTRY_FAILED"]

STAY_OPEN = "/openapi/invoice/application/addStayOpenApplication"
SUBSCRIBE = "/openapi/invoice/application/addSubscribeApplication"
POS = "/openapi/invoice/submitByPos"
QUERY = "/openapi/invoice/application/query"

SUBMISSIONS = {STAY_OPEN: "stay_open", SUBSCRIBE: "subscribe", POS: "pos"}  # path -> kind of application

SIGN_TYPES = ("MD5", "SHA1", "SHA256")


class Answer(NamedTuple):
    """The vendor's answer body: code, message and (on success) data."""

    code: int
    message: str
    data: object = None


SUCCESS = Answer(0, "success")
# Seed 004 texts.
DUPLICATE = Answer(-1, "申请单号重复!")
UNKNOWN_GOODS = Answer(-1, "找不到对应商品信息")
BAD_TAX_CODE = Answer(-1, "税收分类编码错误")
NO_STORE = Answer(4002, "门店不存在")
NO_ONLINE_DEVICE = Answer(5001, "当前无在线税盘,无法自动开票")
# Ours: the vendor's texts for these are not in the stored material.
NOT_FOUND = Answer(-1, "申请单不存在")
BAD_APP_ID = Answer(-1, "appId无效")
BAD_SIGNATURE = Answer(-1, "签名错误")
BAD_BODY = Answer(-1, "请求格式错误")

# 申请回调 codes and messages.
REJECTED = (-2, "申请驳回")
FAILED = (-1, "开票失败")
ISSUED = (1, "开票成功")
PARTIAL = (2, "开票部分成功")
ENTRY_ISSUED, ENTRY_FAILED = "1", "2"
