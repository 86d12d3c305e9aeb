"""Classification: every httpx exception, every HTTP/envelope answer, and the client over MockTransport."""

from __future__ import annotations

import inspect
from typing import Callable

import httpx
import pytest

from fapiao.connectors.kingdee.client import KingdeeProvider
from fapiao.connectors.kingdee.envelope import Reply
from fapiao.connectors.kingdee.errors import (EXCEPTION_KINDS, KingdeeCallError, classify, outcome_of_exception,
                                              translated)
from fapiao.connectors.provider import OutcomeKind, ProviderConfigurationError
from fapiao.schemas.records import InvoiceRequest
from fapiao.settings import load

HTTPX_EXCEPTIONS = [obj for name in httpx.__all__
                    if inspect.isclass(obj := getattr(httpx, name)) and issubclass(obj, Exception)]


@pytest.mark.parametrize("cls", HTTPX_EXCEPTIONS, ids=lambda cls: cls.__name__)
def test_every_httpx_exception_is_mapped_explicitly(cls: type[Exception]) -> None:
    assert cls in EXCEPTION_KINDS, f"httpx.{cls.__name__} is not classified: add it to EXCEPTION_KINDS"


def _exception(cls: type[Exception]) -> Exception:
    request = httpx.Request("POST", "https://tenant.example/kapi/app/sim/openApi")
    if cls is httpx.HTTPStatusError:
        return cls("boom", request=request, response=httpx.Response(500, request=request))
    if issubclass(cls, httpx.RequestError):
        return cls("boom", request=request)
    if issubclass(cls, httpx.StreamError) and cls is not httpx.StreamError:
        return cls()  # the stream errors carry a fixed message
    return cls("boom")


@pytest.mark.parametrize(("cls", "kind"), [
    (httpx.ConnectError, OutcomeKind.RETRYABLE), (httpx.ConnectTimeout, OutcomeKind.RETRYABLE),
    (httpx.PoolTimeout, OutcomeKind.RETRYABLE), (httpx.ReadTimeout, OutcomeKind.IN_DOUBT),
    (httpx.RemoteProtocolError, OutcomeKind.IN_DOUBT), (httpx.ReadError, OutcomeKind.IN_DOUBT),
    (httpx.WriteTimeout, OutcomeKind.IN_DOUBT), (httpx.TimeoutException, OutcomeKind.IN_DOUBT),
])
def test_sent_or_not_sent(cls: type[Exception], kind: OutcomeKind) -> None:
    outcome = outcome_of_exception(_exception(cls))
    assert outcome.kind is kind and outcome.code == cls.__name__


@pytest.mark.parametrize("cls", [cls for cls, kind in EXCEPTION_KINDS.items() if kind is not None],
                         ids=lambda cls: cls.__name__)
def test_idempotent_calls_are_never_in_doubt(cls: type[Exception]) -> None:
    assert outcome_of_exception(_exception(cls), idempotent=True).kind is OutcomeKind.RETRYABLE


@pytest.mark.parametrize("cls", [httpx.UnsupportedProtocol, httpx.InvalidURL])
def test_a_bad_base_url_is_configuration(cls: type[Exception]) -> None:
    with pytest.raises(ProviderConfigurationError):
        outcome_of_exception(_exception(cls))


def test_translated_keeps_serial_request_id_and_cause() -> None:
    with pytest.raises(KingdeeCallError) as caught:
        with translated("KD1", "1714981252080746", idempotent=False):
            raise _exception(httpx.ReadTimeout)
    assert caught.value.serial == "KD1" and caught.value.request_id == "1714981252080746"
    assert caught.value.outcome.kind is OutcomeKind.IN_DOUBT
    assert isinstance(caught.value.__cause__, httpx.ReadTimeout)


def _reply(code: str, message: str, success: bool = False) -> Reply:
    return Reply(success=success, code=code, message=message, data=None)


@pytest.mark.parametrize(("status", "reply", "kind"), [
    (200, _reply("0", "开票中", success=True), OutcomeKind.ACCEPTED),
    (200, _reply("0000", "", success=True), OutcomeKind.ACCEPTED),
    (200, _reply("10127", "流水号重复"), OutcomeKind.DUPLICATE),
    (200, _reply("9999", "价税合计金额不对"), OutcomeKind.FAILED),
    (200, _reply("30001", "风控拦截"), OutcomeKind.FAILED),
    (200, _reply("401", "未进行接口授权"), OutcomeKind.SESSION),
    (200, _reply("1", "税控设备不在线"), OutcomeKind.SESSION),
    (200, _reply("1", "电子税局登录失效,请扫码认证"), OutcomeKind.SESSION),
    (200, _reply("91400", "请完成身份核验"), OutcomeKind.SESSION),  # the bureau's face check, by its code
    (200, _reply("9999", "扫脸认证已超时"), OutcomeKind.SESSION),  # ... or by its text
    (200, _reply("9999", "没有可红冲的金额"), OutcomeKind.FAILED),
    (200, _reply("1", "请求过于频繁"), OutcomeKind.RETRYABLE),
    (429, None, OutcomeKind.RETRYABLE),
    (502, None, OutcomeKind.RETRYABLE),
    (503, _reply("503", "系统繁忙"), OutcomeKind.RETRYABLE),
    (500, None, OutcomeKind.IN_DOUBT),
    (504, None, OutcomeKind.IN_DOUBT),
    (200, None, OutcomeKind.IN_DOUBT),
    (401, None, OutcomeKind.SESSION),
    (400, None, OutcomeKind.FAILED),
])
def test_classify(status: int, reply: Reply | None, kind: OutcomeKind) -> None:
    assert classify(status, reply).kind is kind


def test_a_rejection_carries_the_provider_code_and_message() -> None:
    outcome = classify(200, _reply("9999", "价税合计金额不对"))
    assert (outcome.code, outcome.message) == ("9999", "价税合计金额不对")


@pytest.mark.parametrize("status", [500, 504, 200])
def test_queries_are_retryable_where_submits_are_in_doubt(status: int) -> None:
    assert classify(status, None, idempotent=True).kind is OutcomeKind.RETRYABLE


@pytest.mark.parametrize("status", [404, 405])
def test_not_found_path_is_configuration(status: int) -> None:
    with pytest.raises(ProviderConfigurationError):
        classify(status, None)


# The client's own use of the classification, over a mock transport (no provider behaviour here).

TOKEN = {"data": {"app_token": "a", "access_token": "acc_t", "expire_time": 9_999_999_999_999, "success": True},
         "status": True}


def _provider(on_open_api: Callable[[httpx.Request], httpx.Response]) -> KingdeeProvider:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.startswith("/api/"):
            return httpx.Response(200, json=TOKEN)
        return on_open_api(request)
    settings = load({"FAPIAO_KINGDEE_BASE_URL": "https://tenant.example"}).kingdee
    return KingdeeProvider(settings, 1.0, transport=httpx.MockTransport(handler))


def _raise(cls: type[Exception]) -> Callable[[httpx.Request], httpx.Response]:
    def handler(request: httpx.Request) -> httpx.Response:
        raise cls("boom", request=request)
    return handler


@pytest.mark.parametrize(("cls", "submit_kind", "query_kind"), [
    (httpx.ConnectError, OutcomeKind.RETRYABLE, OutcomeKind.RETRYABLE),
    (httpx.ReadTimeout, OutcomeKind.IN_DOUBT, OutcomeKind.RETRYABLE),
    (httpx.RemoteProtocolError, OutcomeKind.IN_DOUBT, OutcomeKind.RETRYABLE),
    (httpx.ReadError, OutcomeKind.IN_DOUBT, OutcomeKind.RETRYABLE),
])
async def test_client_outcomes_for_transport_errors(request_factory: Callable[..., InvoiceRequest],
                                                    cls: type[Exception], submit_kind: OutcomeKind,
                                                    query_kind: OutcomeKind) -> None:
    provider = _provider(_raise(cls))
    try:
        assert (await provider.submit(request_factory())).kind is submit_kind
        assert (await provider.query(request_factory())).kind is query_kind
    finally:
        await provider.aclose()


async def test_client_sends_the_token_in_a_header_not_the_url(request_factory: Callable[..., InvoiceRequest]) -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"success": True, "errorCode": "0", "message": "未查询到发票", "data": None})
    provider = _provider(answer)
    try:
        assert (await provider.query(request_factory())).kind is OutcomeKind.NOT_FOUND
    finally:
        await provider.aclose()
    assert seen[0].headers["access_token"] == "acc_t" and "access_token" not in str(seen[0].url)


async def test_client_reads_a_named_not_found_failure(request_factory: Callable[..., InvoiceRequest]) -> None:
    provider = _provider(lambda request: httpx.Response(
        200, json={"success": False, "errorCode": "1", "message": "发票流水号不存在"}))
    try:
        assert (await provider.query(request_factory())).kind is OutcomeKind.NOT_FOUND
        assert (await provider.submit(request_factory())).kind is OutcomeKind.FAILED
    finally:
        await provider.aclose()
