"""The gateway's answers over loopback HTTP, with a producer in memory: what is stored, with which verdict."""

from __future__ import annotations

import hashlib
import ipaddress
from typing import Any, AsyncIterator

import pytest
from gateway_fakes import SECRET, MemoryProducer

from fapiao.connectors.gateway import METRICS
from fapiao.connectors.gateway.loadgen import kingdee_callback, yipiaoyun_callback
from fapiao.connectors.kingdee import KingdeeCallbacks
from fapiao.schemas.records import SignalKind
from fapiao.streams.lifecycle import CALLBACK_HINT, CALLBACK_VERIFIED

JSON = {"Content-Type": "application/json"}
SIGNED = yipiaoyun_callback("Y-1", "sandbox-app", "sandbox-secret")
FORGED = yipiaoyun_callback("Y-1", "sandbox-app", "not-the-secret")


async def test_an_accepted_callback_is_stored_then_answered(client_factory: Any, producer: MemoryProducer) -> None:
    client = await client_factory()
    response = await client.post("/callbacks/kingdee", data=kingdee_callback("K-1"),
                                 headers={**JSON, "X-Request-Id": "r1"})
    assert response.status == 200 and await response.read() == KingdeeCallbacks.reply_body
    [(topic, key, _)] = producer.callbacks
    [record] = producer.stored()
    assert (topic, key, record.verdict, record.serial) == ("fapiao.callbacks", b"K-1", "accepted", "K-1")
    assert record.body == kingdee_callback("K-1") and record.route == "/callbacks/kingdee"
    assert record.remote_addr == "127.0.0.1" and record.headers["x-request-id"] == "r1"


async def test_a_signed_callback_is_accepted(client_factory: Any, producer: MemoryProducer) -> None:
    client = await client_factory()
    assert (await client.post("/callbacks/yipiaoyun", data=SIGNED, headers=JSON)).status == 200
    assert [(r.verdict, r.serial) for r in producer.stored()] == [("accepted", "Y-1")]


async def test_an_accepted_callback_is_a_signal_to_its_serial_signed_or_a_hint(client_factory: Any,
                                                                               producer: MemoryProducer) -> None:
    """The fold hears of a callback on its own input topic: 票申's signed word, or Kingdee's hint to ask."""
    client = await client_factory()
    assert (await client.post("/callbacks/yipiaoyun", data=SIGNED, headers=JSON)).status == 200
    assert (await client.post("/callbacks/kingdee", data=kingdee_callback("K-1"), headers=JSON)).status == 200
    assert [(key, s.serial, s.kind, s.source) for key, s in producer.signals()] == [
        (b"Y-1", "Y-1", SignalKind.ISSUED, CALLBACK_VERIFIED), (b"K-1", "K-1", SignalKind.ISSUED, CALLBACK_HINT)]


async def test_a_refused_callback_tells_the_fold_nothing(client_factory: Any, producer: MemoryProducer) -> None:
    client = await client_factory()
    assert (await client.post("/callbacks/yipiaoyun", data=FORGED, headers=JSON)).status == 401
    assert producer.stored()[0].serial == "Y-1" and producer.signals() == []


@pytest.mark.parametrize("body, status, verdict", [
    (FORGED, 401, "rejected"),
    (yipiaoyun_callback("Y-1", "sandbox-app", "sandbox-secret").replace(b'"sign"', b'"unsigned"'), 401, "rejected"),
    (b"{not json", 400, "malformed"),
])
async def test_refused_yipiaoyun_bodies_are_stored_for_audit(client_factory: Any, producer: MemoryProducer,
                                                             body: bytes, status: int, verdict: str) -> None:
    client = await client_factory()
    assert (await client.post("/callbacks/yipiaoyun", data=body, headers=JSON)).status == status
    [record] = producer.stored()
    assert record.verdict == verdict and record.body == body


async def test_a_malformed_body_is_keyed_by_its_hash(client_factory: Any, producer: MemoryProducer) -> None:
    client = await client_factory()
    response = await client.post("/callbacks/kingdee", data=b'{"returnCode": "0"}', headers=JSON)
    assert response.status == 400 and "interfaceCode" in (await response.json())["error"]
    assert producer.callbacks[0][1] == hashlib.sha256(b'{"returnCode": "0"}').hexdigest().encode()
    assert producer.stored()[0].verdict == "malformed"


async def test_an_unaccepted_content_type_is_415_and_stored(client_factory: Any, producer: MemoryProducer) -> None:
    client = await client_factory()
    response = await client.post("/callbacks/kingdee", data=kingdee_callback("K-2"),
                                 headers={"Content-Type": "application/xml"})
    assert response.status == 415
    assert [(r.verdict, r.serial) for r in producer.stored()] == [("malformed", None)]


@pytest.mark.parametrize("content_type", ["application/json; charset=utf-8", "text/plain",
                                          "application/x-www-form-urlencoded"])
async def test_accepted_content_types(client_factory: Any, content_type: str) -> None:
    client = await client_factory()
    response = await client.post("/callbacks/kingdee", data=kingdee_callback("K-3"),
                                 headers={"Content-Type": content_type})
    assert response.status == 200


async def test_an_oversize_body_is_413_not_stored_and_counted(client_factory: Any, producer: MemoryProducer) -> None:
    client = await client_factory(max_body=1000)
    big = kingdee_callback("K-4").replace(b'"returnMsg"', b'"pad": "' + b"x" * 2000 + b'", "returnMsg"')
    assert (await client.post("/callbacks/kingdee", data=big, headers=JSON)).status == 413

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: aiohttp's own cap trips while reading
        for start in range(0, len(big), 500):
            yield big[start:start + 500]

    assert (await client.post("/callbacks/kingdee", data=chunks(), headers=JSON)).status == 413
    assert (await client.post("/callbacks/kingdee", data=kingdee_callback("K-5"), headers=JSON)).status == 200
    assert [r.serial for r in producer.stored()] == ["K-5"]
    assert client.app[METRICS].requests.get("/callbacks/kingdee", "413") == 2


async def test_a_source_outside_the_allow_list_is_403_and_not_stored(client_factory: Any,
                                                                     producer: MemoryProducer) -> None:
    client = await client_factory(allow=(ipaddress.ip_network("10.0.0.0/8"),))
    assert (await client.post("/callbacks/kingdee", data=kingdee_callback("K-6"), headers=JSON)).status == 403
    assert producer.records == []


@pytest.mark.parametrize("headers, query, status", [
    ({}, "", 403),
    ({"X-Fapiao-Token": "wrong"}, "", 403),
    ({}, "?token=wrong", 403),
    ({"X-Fapiao-Token": SECRET}, "", 200),
    ({}, f"?token={SECRET}", 200),
])
async def test_the_shared_secret(client_factory: Any, producer: MemoryProducer, headers: dict[str, str],
                                 query: str, status: int) -> None:
    client = await client_factory(shared_secret=SECRET)
    response = await client.post(f"/callbacks/kingdee{query}", data=kingdee_callback("K-7"),
                                 headers={**JSON, **headers})
    assert response.status == status
    [record] = producer.stored()
    assert record.verdict == ("accepted" if status == 200 else "rejected")
    assert "x-fapiao-token" not in record.headers and record.route == "/callbacks/kingdee"


async def test_routes_outside_the_secret_routes_need_no_token(client_factory: Any) -> None:
    client = await client_factory(shared_secret=SECRET)
    assert (await client.post("/callbacks/yipiaoyun", data=SIGNED, headers=JSON)).status == 200


async def test_a_flood_is_429_counted_and_not_stored(client_factory: Any, producer: MemoryProducer) -> None:
    client = await client_factory(rate_per_s=0.001, burst=3)
    statuses = [(await client.post("/callbacks/kingdee", data=kingdee_callback(f"K-{n}"), headers=JSON)).status
                for n in range(6)]
    assert statuses == [200, 200, 200, 429, 429, 429]
    assert len(producer.callbacks) == 3
    text = await (await client.get("/metrics")).text()
    assert "fapiao_gateway_rate_limited_total 3" in text
    assert 'fapiao_gateway_requests_total{route="/callbacks/kingdee",status="429"} 3' in text


async def test_no_broker_ack_is_503(client_factory: Any, producer: MemoryProducer) -> None:
    client = await client_factory()
    producer.down = True
    assert (await client.post("/callbacks/kingdee", data=kingdee_callback("K-8"), headers=JSON)).status == 503
    assert (await client.get("/readyz")).status == 503
    producer.down = False
    assert (await client.post("/callbacks/kingdee", data=kingdee_callback("K-8"), headers=JSON)).status == 200
    assert (await client.get("/readyz")).status == 200


async def test_metrics(client_factory: Any) -> None:
    client = await client_factory()
    await client.post("/callbacks/kingdee", data=kingdee_callback("K-9"), headers=JSON)
    await client.post("/callbacks/nobody", data=b"{}", headers=JSON)
    await client.get("/no/such/path")
    assert (await client.get("/healthz")).status == 200
    text = await (await client.get("/metrics")).text()
    for line in ['fapiao_gateway_requests_total{route="/callbacks/kingdee",status="200"} 1',
                 'fapiao_gateway_requests_total{route="/callbacks/{unknown}",status="404"} 1',
                 'fapiao_gateway_requests_total{route="unmatched",status="404"} 1',
                 'fapiao_gateway_records_total{verdict="accepted"} 1',
                 "fapiao_gateway_broker_ack_seconds_count 1",
                 "fapiao_gateway_in_flight 1"]:  # the /metrics request itself
        assert line in text
