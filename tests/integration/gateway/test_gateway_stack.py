"""The gateway inside the whole system (Kingdee sandbox + gateway + worker as real processes): a callback
becomes a signal and then an event, a duplicate changes nothing, an unknown serial becomes `orphan_callback`, and refused
callbacks never change state."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any, Callable, Iterator

import httpx
import pytest
from broker_offsets import wait_until_committed
from gateway_processes import JSON, SECRET, stored
from sandbox_options import CARELESS

from fapiao.connectors.gateway.loadgen import kingdee_callback, yipiaoyun_callback
from fapiao.connectors.kafka import read_topic
from fapiao.connectors.stack import Stack, StackOptions
from fapiao.samples import valid_request
from fapiao.schemas.codec import Codec
from fapiao.schemas.records import InvoiceEvent
from fapiao.settings import load

pytestmark = pytest.mark.integration

SERIAL, ORPHAN, GHOST = "GWSTACK-1", "GWSTACK-ORPHAN", "GWSTACK-GHOST"


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    # The yipiaoyun route wants the shared secret here, so that one route shows both 401 and 403;
    # the Kingdee sandbox calls back without a token, so its route stays open.
    options = StackOptions(providers=("kingdee",), sandbox_args=CARELESS, env={"FAPIAO_GATEWAY_SHARED_SECRET": SECRET,
                                                        "FAPIAO_GATEWAY_SECRET_ROUTES": "yipiaoyun"})
    with Stack(load({}), tmp_path_factory.mktemp("stack"), options) as running:
        yield running


def events(stack: Stack) -> list[InvoiceEvent]:
    codec = Codec()
    topic = f"{stack.settings.topic_prefix}.events"
    return [codec.decode(m.value(), InvoiceEvent) for m in read_topic(stack.cluster, topic)]


def wait_for(what: str, check: Callable[[], Any], timeout_s: float = 60.0) -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


def state(stack: Stack, serial: str) -> dict[str, Any] | None:
    response = httpx.get(f"{stack.web_urls[0]}/invoices/{serial}", timeout=5)
    return response.json() if response.status_code == 200 else None  # type: ignore[no-any-return]


def test_callbacks_through_the_whole_stack(stack: Stack, tmp_path: Path) -> None:
    out = stack.cluster.producer()
    out.produce(f"{stack.settings.topic_prefix}.requests", key=SERIAL.encode(),
                value=json.dumps(valid_request(SERIAL, "kingdee")).encode())
    assert out.flush(10) == 0
    issued = wait_for("the serial to be issued", lambda: (s := state(stack, SERIAL)) and s["status"] == "issued" and s)
    callback = wait_for("the sandbox's callback on the topic",
                        lambda: [r for r in stored(stack.cluster) if r.serial == SERIAL and r.verdict == "accepted"])
    before = [e for e in events(stack) if e.serial == SERIAL]
    url = stack.gateway_url

    # The same Kingdee callback again (a provider retry), then refused ones naming a serial nobody sent.
    assert httpx.post(f"{url}/callbacks/kingdee", content=callback[0].body, headers=JSON).status_code == 200
    oversize = kingdee_callback(GHOST).replace(b'"returnMsg"', b'"pad": "' + b"x" * 1_100_000 + b'", "returnMsg"')
    token = {**JSON, "X-Fapiao-Token": SECRET}
    refused = [
        httpx.post(f"{url}/callbacks/kingdee", content=oversize, headers=JSON).status_code,
        httpx.post(f"{url}/callbacks/kingdee", content=b'{"data": {"serialNo": "%s"' % GHOST.encode(),
                   headers=JSON).status_code,
        httpx.post(f"{url}/callbacks/yipiaoyun", content=yipiaoyun_callback(GHOST, "sandbox-app", "forged"),
                   headers=token).status_code,
        httpx.post(f"{url}/callbacks/yipiaoyun", content=yipiaoyun_callback(GHOST, "sandbox-app", "sandbox-secret"),
                   headers={**JSON, "X-Fapiao-Token": "wrong"}).status_code,
    ]
    assert refused == [413, 400, 401, 403]
    assert httpx.post(f"{url}/callbacks/kingdee", content=kingdee_callback(ORPHAN), headers=JSON).status_code == 200

    wait_for("the orphan_callback event",
             lambda: [e for e in events(stack) if e.serial == ORPHAN and e.type.value == "orphan_callback"])
    # Whatever the duplicate or the refusals might have caused has happened once the worker has committed
    # every signal (the gateway sends a callback's before it answers) and every call on the broker.
    prefix = stack.settings.topic_prefix
    wait_until_committed(stack.cluster, stack.settings.app_id, [f"{prefix}.signals", f"{prefix}.calls"])
    after = events(stack)
    assert [e for e in after if e.serial == SERIAL] == before
    assert [e.type.value for e in before].count("issued") == 1
    assert not [e for e in after if e.serial == GHOST]
    now = state(stack, SERIAL)
    assert now is not None and (now["status"], now["seq"]) == (issued["status"], issued["seq"])
    assert stack.duplicates_issued() == 0
