"""A query that fails is no answer about the invoice: it must never fail a serial the provider may hold."""

from __future__ import annotations

import json

import httpx
import pytest

from fapiao.connectors.kingdee import KingdeeProvider
from fapiao.connectors.provider import OutcomeKind
from fapiao.samples import valid_request
from fapiao.schemas.requests import parse_request
from fapiao.settings import load


def _provider(business_answer: dict[str, object]) -> KingdeeProvider:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("getAppToken.do"):
            return httpx.Response(200, json={"data": {"app_token": "app", "expire_time": 9_999_999_999_999,
                                                      "success": True, "error_code": "0"}, "status": True})
        if request.url.path.endswith("login.do"):
            return httpx.Response(200, json={"data": {"access_token": "acc", "expire_time": 9_999_999_999_999,
                                                      "success": True, "error_code": "0"}, "status": True})
        return httpx.Response(200, content=json.dumps(business_answer).encode())

    settings = load({"FAPIAO_KINGDEE_BASE_URL": "http://kingdee.test"})
    return KingdeeProvider(settings.kingdee, 5.0, transport=httpx.MockTransport(handler))


@pytest.mark.parametrize("answer, kind", [
    ({"success": False, "errorCode": "9999", "message": "系统异常"}, OutcomeKind.RETRYABLE),
    ({"success": False, "errorCode": "9999", "message": "发票未查询到"}, OutcomeKind.NOT_FOUND),
])
async def test_query_errors_are_retryable_not_failed(answer: dict[str, object], kind: OutcomeKind) -> None:
    request, _ = parse_request(valid_request("Q1", "kingdee"))
    provider = _provider(answer)
    try:
        assert (await provider.query(request)).kind is kind  # type: ignore[arg-type]
    finally:
        await provider.aclose()
