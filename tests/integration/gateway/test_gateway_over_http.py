"""The gateway over real HTTP on a real broker: what is stored, what each refusal answers, what the logs hold."""

from __future__ import annotations

from typing import Any, Callable

import httpx
import pytest
from gateway_processes import JSON, SECRET, stored

from fapiao.connectors.broker import EmbeddedBroker
from fapiao.connectors.gateway.loadgen import kingdee_callback, yipiaoyun_callback
from fapiao.connectors.kingdee import KingdeeCallbacks

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def gateway(gateway_factory: Callable[..., Any]) -> Any:
    """A gateway that wants the shared secret on the kingdee route and caps bodies at 4 KiB."""
    return gateway_factory(FAPIAO_GATEWAY_SHARED_SECRET=SECRET, FAPIAO_GATEWAY_MAX_BODY_BYTES="4096")


def test_a_valid_callback_becomes_a_record(gateway: Any, broker: EmbeddedBroker) -> None:
    _, url = gateway
    body = kingdee_callback("HTTP-OK-1")
    response = httpx.post(f"{url}/callbacks/kingdee?token={SECRET}", content=body,
                          headers={**JSON, "X-Trace": "t-1"})
    assert response.status_code == 200 and response.content == KingdeeCallbacks.reply_body
    [record] = [r for r in stored(broker.cluster) if r.serial == "HTTP-OK-1"]
    assert (record.provider, record.route, record.verdict, record.body) == ("kingdee", "/callbacks/kingdee",
                                                                           "accepted", body)
    assert record.remote_addr == "127.0.0.1" and record.headers["x-trace"] == "t-1"
    assert record.received_at.tzinfo is not None


def test_refusals_answer_and_are_flagged(gateway: Any, broker: EmbeddedBroker) -> None:
    process, url = gateway
    token = {**JSON, "X-Fapiao-Token": SECRET}
    oversize = kingdee_callback("HTTP-BIG").replace(b'"returnMsg"', b'"pad": "' + b"x" * 5000 + b'", "returnMsg"')
    answers = {
        "oversize": httpx.post(f"{url}/callbacks/kingdee", content=oversize, headers=token),
        "malformed": httpx.post(f"{url}/callbacks/kingdee", content=b'{"serialNo": "HTTP-BAD"', headers=token),
        "forged": httpx.post(f"{url}/callbacks/yipiaoyun", headers=JSON,
                             content=yipiaoyun_callback("HTTP-FORGED", "sandbox-app", "wrong-secret")),
        "no token": httpx.post(f"{url}/callbacks/kingdee", content=kingdee_callback("HTTP-NOTOKEN"), headers=JSON),
        "wrong token": httpx.post(f"{url}/callbacks/kingdee?token=nope", content=kingdee_callback("HTTP-WRONG"),
                                  headers=JSON),
    }
    assert {name: a.status_code for name, a in answers.items()} == {
        "oversize": 413, "malformed": 400, "forged": 401, "no token": 403, "wrong token": 403}
    records = stored(broker.cluster)
    assert not [r for r in records if r.serial == "HTTP-BIG"]  # too big to store
    verdicts = {r.body: r.verdict for r in records}
    for name, verdict in [("forged", "rejected"), ("no token", "rejected"), ("wrong token", "rejected"),
                          ("malformed", "malformed")]:
        assert verdicts[answers[name].request.content] == verdict, name
    metrics = httpx.get(f"{url}/metrics").text
    assert 'fapiao_gateway_requests_total{route="/callbacks/kingdee",status="413"} 1' in metrics
    assert SECRET not in process.log_path.read_text()


def test_ready_and_healthy(gateway: Any) -> None:
    _, url = gateway
    assert httpx.get(f"{url}/healthz").status_code == 200
    assert httpx.get(f"{url}/readyz").json() == {"ready": True}
