"""Classification: every answer code, every HTTP status class, every httpx exception."""

from __future__ import annotations

import inspect
from decimal import Decimal

import httpx
import pytest

from fapiao.connectors.provider import OutcomeKind, ProviderConfigurationError
from fapiao.connectors.yipiaoyun.errors import (
    EXCEPTION_KINDS,
    YipiaoyunError,
    YipiaoyunInDoubt,
    YipiaoyunUnavailable,
    classify_query,
    classify_submit,
    edge,
)


@pytest.mark.parametrize("payload, kind, code", [
    ({"code": 0}, OutcomeKind.ACCEPTED, "0"),
    ({"code": 0, "data": True}, OutcomeKind.ACCEPTED, "0"),
    ({"code": -1, "message": "申请单号重复!"}, OutcomeKind.DUPLICATE, "-1"),
    ({"code": 5001, "message": "当前无在线税盘,无法自动开票"}, OutcomeKind.SESSION, "5001"),
    ({"code": 4002, "message": "门店不存在"}, OutcomeKind.FAILED, "4002"),
    ({"code": -1, "message": "找不到对应商品信息"}, OutcomeKind.FAILED, "-1"),
    ({"code": -1, "message": "税收分类编码错误"}, OutcomeKind.FAILED, "-1"),
    ({"code": 7777, "message": "新错误"}, OutcomeKind.FAILED, "7777"),
])
def test_submit_codes(payload: dict, kind: OutcomeKind, code: str) -> None:
    outcome = classify_submit(200, payload)
    assert (outcome.kind, outcome.code) == (kind, code)
    if kind is OutcomeKind.FAILED:
        assert outcome.message == payload["message"]


def test_pos_success_carries_the_h5_link() -> None:
    outcome = classify_submit(200, {"code": 0, "data": "https://h5.yipiaoyun.cn/blank?id=1&p=1&an=X"})
    assert outcome.kind is OutcomeKind.ACCEPTED
    assert outcome.invoice is not None and outcome.invoice.h5_url == "https://h5.yipiaoyun.cn/blank?id=1&p=1&an=X"


@pytest.mark.parametrize("status, payload, kind", [
    (503, None, OutcomeKind.RETRYABLE),
    (500, {"code": 500}, OutcomeKind.IN_DOUBT),  # the backend may have stored it before failing
    (503, None, OutcomeKind.RETRYABLE),
    (429, None, OutcomeKind.RETRYABLE),
    (400, None, OutcomeKind.FAILED),
    (200, None, OutcomeKind.IN_DOUBT),
    (200, {"message": "no code"}, OutcomeKind.IN_DOUBT),
])
def test_http_level_answers(status: int, payload: object, kind: OutcomeKind) -> None:
    assert classify_submit(status, payload).kind is kind


@pytest.mark.parametrize("status, payload", [
    (200, {"code": -1, "message": "签名错误"}),
    (200, {"code": -1, "message": "appId无效"}),
    (401, None),
    (403, None),
])
def test_credentials_refused_is_configuration(status: int, payload: object) -> None:
    with pytest.raises(ProviderConfigurationError):
        classify_submit(status, payload)
    with pytest.raises(ProviderConfigurationError):
        classify_query(status, payload)


ENTRY = {"invoiceNo": "00000001", "invoiceCode": "044031900111", "paperDrewDate": "20260101120000",
         "pdfPath": "http://x/1.pdf", "amountWithoutTax": Decimal("23.40"), "taxAmount": Decimal("1.40")}


@pytest.mark.parametrize("payload, kind", [
    ({"code": 0, "data": {"status": "pending"}}, OutcomeKind.PENDING),
    ({"code": 0, "data": {"status": "failed", "message": "开票失败"}}, OutcomeKind.FAILED),
    ({"code": 0, "data": {"status": "rejected", "message": "申请驳回"}}, OutcomeKind.FAILED),
    ({"code": 0, "data": {"status": "strange"}}, OutcomeKind.IN_DOUBT),
    ({"code": -1, "message": "申请单不存在"}, OutcomeKind.NOT_FOUND),
    # A query that itself fails says nothing about the invoice: retry it, never fail the serial on it.
    ({"code": 4002, "message": "门店不存在"}, OutcomeKind.RETRYABLE),
    ({"code": 500, "message": "系统繁忙"}, OutcomeKind.RETRYABLE),
])
def test_query_answers(payload: dict, kind: OutcomeKind) -> None:
    assert classify_query(200, payload).kind is kind


def test_query_issued_builds_the_invoice() -> None:
    outcome = classify_query(200, {"code": 0, "data": {"status": "issued", "invoiceEntrys": [ENTRY]}})
    assert outcome.kind is OutcomeKind.ISSUED and outcome.invoice is not None
    assert (outcome.invoice.number, outcome.invoice.code, outcome.invoice.pdf_url) == ("00000001", "044031900111", "http://x/1.pdf")
    assert (outcome.invoice.total_amount, outcome.invoice.total_tax) == (Decimal("23.40"), Decimal("1.40"))


def test_query_404_means_no_query_endpoint() -> None:
    outcome = classify_query(404, None)
    assert (outcome.kind, outcome.code) == (OutcomeKind.NOT_FOUND, "no_query_endpoint")


def _httpx_exceptions() -> list[type[Exception]]:
    return [cls for _, cls in inspect.getmembers(httpx, inspect.isclass)
            if issubclass(cls, httpx.HTTPError) or cls is httpx.InvalidURL]


def test_every_httpx_exception_is_decided() -> None:
    unmapped = [cls.__name__ for cls in _httpx_exceptions() if cls not in EXCEPTION_KINDS]
    assert not unmapped, f"decide how these httpx exceptions map: {unmapped}"


def _instance(cls: type[Exception]) -> Exception:
    request = httpx.Request("POST", "http://127.0.0.1/x")
    if cls is httpx.HTTPStatusError:
        return cls("boom", request=request, response=httpx.Response(500, request=request))
    if cls in (httpx.HTTPError, httpx.InvalidURL, httpx.DecodingError, httpx.TooManyRedirects) or not issubclass(
            cls, httpx.RequestError):
        return cls("boom")
    return cls("boom", request=request)


@pytest.mark.parametrize("cls", _httpx_exceptions(), ids=lambda cls: cls.__name__)
def test_edge_translates_each_exception(cls: type[Exception]) -> None:
    expected = EXCEPTION_KINDS[cls]
    with pytest.raises(ProviderConfigurationError if expected is None else YipiaoyunError) as caught:
        with edge("YP1"):
            raise _instance(cls)
    assert isinstance(caught.value.__cause__, cls)
    if expected is not None:
        assert isinstance(caught.value, expected) and caught.value.serial == "YP1"


@pytest.mark.parametrize("cls, kind", [
    (httpx.ConnectError, OutcomeKind.RETRYABLE),
    (httpx.ConnectTimeout, OutcomeKind.RETRYABLE),
    (httpx.PoolTimeout, OutcomeKind.RETRYABLE),
    (httpx.ReadTimeout, OutcomeKind.IN_DOUBT),
    (httpx.RemoteProtocolError, OutcomeKind.IN_DOUBT),
    (httpx.ReadError, OutcomeKind.IN_DOUBT),
    (httpx.LocalProtocolError, OutcomeKind.FAILED),
])
def test_before_sending_is_retryable_after_sending_is_in_doubt(cls: type[Exception], kind: OutcomeKind) -> None:
    with pytest.raises(YipiaoyunError) as caught:
        with edge("YP1"):
            raise _instance(cls)
    assert caught.value.outcome.kind is kind
    assert issubclass(YipiaoyunUnavailable, YipiaoyunError) and issubclass(YipiaoyunInDoubt, YipiaoyunError)
