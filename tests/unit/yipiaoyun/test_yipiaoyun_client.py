"""The client over httpx.MockTransport: what it sends, what it makes of answers and failures."""

from __future__ import annotations

import logging
from typing import Any, Callable

import httpx
import pytest

from fapiao.connectors.provider import OutcomeKind
from fapiao.connectors import wire
from fapiao.connectors.yipiaoyun import YipiaoyunProvider, verify
from fapiao.connectors.yipiaoyun.mapping import POS_PATH, QUERY_PATH, STAY_OPEN_PATH
from fapiao.schemas.records import InvoiceRequest
from fapiao.settings import YipiaoyunSettings

SETTINGS = YipiaoyunSettings("http://yipiaoyun.test", "app-1", "secret-1", "SHA256")


class Recorder:
    """A MockTransport handler that records each request's path and body and answers from a script."""

    def __init__(self, *answers: httpx.Response | Exception) -> None:
        self.answers = list(answers)
        self.seen: list[tuple[str, Any]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.seen.append((request.url.path, wire.loads(request.content)))
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer


def _json(payload: Any, status: int = 200) -> httpx.Response:
    return httpx.Response(status, content=wire.dumps(payload))


async def _call(recorder: Recorder, request: InvoiceRequest, method: str = "submit") -> Any:
    provider = YipiaoyunProvider(SETTINGS, 5.0, transport=httpx.MockTransport(recorder))
    try:
        return await getattr(provider, method)(request)
    finally:
        await provider.aclose()


async def test_submit_sends_one_flat_signed_body(invoice_request: Callable[..., InvoiceRequest]) -> None:
    recorder = Recorder(_json({"code": 0}))
    outcome = await _call(recorder, invoice_request())
    assert outcome.kind is OutcomeKind.ACCEPTED
    [(path, body)] = recorder.seen
    assert path == STAY_OPEN_PATH
    assert body["applicationNo"] == "YP20260001" and body["appId"] == "app-1" and body["signType"] == "SHA256"
    assert verify(body, "secret-1", "SHA256")


async def test_pos_sends_credentials_returns_link_and_logs_no_secret(
        invoice_request: Callable[..., InvoiceRequest], caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    recorder = Recorder(_json({"code": 0, "data": "https://h5.yipiaoyun.cn/blank?id=7"}))
    request = invoice_request(options={"apply_type": "pos", "access_key": "POS001", "access_secret": "ACTIVE-SECRET"})
    outcome = await _call(recorder, request)
    assert outcome.kind is OutcomeKind.ACCEPTED and outcome.invoice.h5_url == "https://h5.yipiaoyun.cn/blank?id=7"
    [(path, body)] = recorder.seen
    assert path == POS_PATH and (body["accessKey"], body["accessSecret"]) == ("POS001", "ACTIVE-SECRET")
    assert "ACTIVE-SECRET" not in caplog.text and "secret-1" not in caplog.text and "YP20260001" in caplog.text


@pytest.mark.parametrize("options", [{"apply_type": "pos"}, {"apply_type": "9"}])
async def test_unsendable_request_fails_without_a_call(invoice_request: Callable[..., InvoiceRequest],
                                                       options: dict[str, str]) -> None:
    recorder = Recorder()
    outcome = await _call(recorder, invoice_request(options=options))
    assert (outcome.kind, outcome.code) == (OutcomeKind.FAILED, "unsupported_request") and not recorder.seen


@pytest.mark.parametrize("failure, kind", [
    (httpx.ConnectError("refused"), OutcomeKind.RETRYABLE),
    (httpx.ReadTimeout("slow"), OutcomeKind.IN_DOUBT),
    (httpx.RemoteProtocolError("reset"), OutcomeKind.IN_DOUBT),
])
async def test_transport_failures_become_outcomes(invoice_request: Callable[..., InvoiceRequest],
                                                  failure: Exception, kind: OutcomeKind) -> None:
    assert (await _call(Recorder(failure), invoice_request())).kind is kind


async def test_unreadable_answer_is_in_doubt(invoice_request: Callable[..., InvoiceRequest]) -> None:
    outcome = await _call(Recorder(httpx.Response(200, content=b"<html>")), invoice_request())
    assert outcome.kind is OutcomeKind.IN_DOUBT


async def test_query_asks_by_application_no(invoice_request: Callable[..., InvoiceRequest]) -> None:
    recorder = Recorder(_json({"code": 0, "data": {"status": "pending"}}))
    assert (await _call(recorder, invoice_request(), "query")).kind is OutcomeKind.PENDING
    assert recorder.seen[0][0] == QUERY_PATH and recorder.seen[0][1]["applicationNo"] == "YP20260001"


@pytest.mark.parametrize("resubmitted, kind", [
    (_json({"code": -1, "message": "申请单号重复!"}), OutcomeKind.PENDING),  # exists: result comes by callback
    (_json({"code": 0}), OutcomeKind.ACCEPTED),  # did not exist; now it does, once
])
async def test_query_without_endpoint_falls_back_to_idempotent_resubmission(
        invoice_request: Callable[..., InvoiceRequest], resubmitted: httpx.Response, kind: OutcomeKind) -> None:
    recorder = Recorder(httpx.Response(404), resubmitted)
    assert (await _call(recorder, invoice_request(), "query")).kind is kind
    assert [path for path, _ in recorder.seen] == [QUERY_PATH, STAY_OPEN_PATH]
