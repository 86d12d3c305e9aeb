"""A serial the provider already holds for another invoice (reused after a purge, or by another system):
the worker's submission is answered "duplicate", and the invoice it finds must not be taken for ours.

This needs a sandbox that refuses a serial it holds (its default, `--dedupe on`), as the real provider does:
with `--dedupe off` the second submission would simply be issued.
"""

from __future__ import annotations

import dataclasses
import json
import random
import time
import uuid
from pathlib import Path
from typing import Callable, Iterator

import pytest

from fapiao.connectors.kingdee import KingdeeProvider
from fapiao.connectors.provider import OutcomeKind
from fapiao.connectors.stack import Stack, StackOptions
from fapiao.connectors.watch import ResultWatcher
from fapiao.samples import valid_request
from fapiao.schemas.codec import Codec
from fapiao.schemas.records import Status
from fapiao.schemas.requests import parse_request
from fapiao.settings import load
from fapiao.streams.topics import topic_name

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def stack(stack_factory: Callable[[str, Path, StackOptions], Stack],
          tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    options = StackOptions(providers=("kingdee",))  # dedupe on: see the module docstring
    with stack_factory("held", Path(tmp_path_factory.mktemp("held")), options) as running:
        yield running


async def test_an_invoice_the_provider_holds_under_our_serial_with_other_totals_is_refused_not_adopted(
        stack: Stack) -> None:
    serial = f"HELD{uuid.uuid4().hex[:10]}"
    ours = valid_request(serial, "kingdee", random.Random(1))
    theirs, _ = parse_request(valid_request(serial, "kingdee", random.Random(2)))
    assert theirs is not None and str(theirs.total_with_tax) != ours["total_with_tax"], "premise: other totals"
    client = KingdeeProvider(dataclasses.replace(load({}).kingdee, base_url=stack.sandbox_urls["kingdee"]), 5.0)
    try:
        assert (await client.submit(theirs)).kind in (OutcomeKind.ACCEPTED, OutcomeKind.ISSUED)
    finally:
        await client.aclose()
    deadline = time.monotonic() + 30
    while stack.sandbox_stats("kingdee")["issued_per_serial"].get(serial) != 1 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert stack.sandbox_stats("kingdee")["issued_per_serial"].get(serial) == 1, "their invoice was never issued"

    out = stack.cluster.producer()
    out.produce(topic_name(stack.settings.topic_prefix, "requests"), key=serial.encode(),
                value=json.dumps(ours, ensure_ascii=False).encode())
    assert out.flush(10) == 0
    watcher = ResultWatcher(stack.cluster, topic_name(stack.settings.topic_prefix, "results"), Codec(), [serial])
    try:
        assert watcher.wait(120), "no result"
    finally:
        watcher.close()

    result = watcher.results[serial]
    assert (result.status, result.code, result.invoice) == (Status.FAILED, "provider_serial_conflict", None)
    stats = stack.sandbox_stats("kingdee")
    assert stats["requests"].get("ALLE.INVOICE.OPEN:duplicate", 0) >= 1, "premise: the worker was answered duplicate"
    assert stats["issued_per_serial"][serial] == 1
