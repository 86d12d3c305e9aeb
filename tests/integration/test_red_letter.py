"""Red-letter invoices on the real broker, as an ERP publishes them: worker, Kingdee and 票申 sandboxes over
real HTTP, the gateway for callbacks. Each test is one line of issue 15's "What must show"."""

from __future__ import annotations

import json
import os
import uuid
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any, Iterator

import pytest

from fapiao.connectors.stack import Stack, StackOptions
from fapiao.connectors.watch import ResultWatcher
from fapiao.samples import valid_request
from fapiao.schemas.codec import Codec
from fapiao.schemas.records import InvoiceResult, Status
from fapiao.settings import load
from fapiao.streams.topics import topic_name

pytestmark = pytest.mark.integration
CENT = Decimal("0.01")


def start(kafka_bootstrap: str, workdir: Path, **sandbox_options: object) -> Stack:
    run = uuid.uuid4().hex[:8]
    settings = load({**os.environ, "FAPIAO_KAFKA_BOOTSTRAP": kafka_bootstrap, "FAPIAO_TOPIC_PREFIX": f"red{run}",
                     "FAPIAO_APP_ID": f"fapiao-red-{run}"})
    # --dedupe off: the sandboxes would issue a serial twice, so their counts show what the worker does
    return Stack(settings, workdir, StackOptions(sandbox_options={"dedupe": "off", **sandbox_options})).start()


@pytest.fixture(scope="module")
def stack(kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    running = start(kafka_bootstrap, Path(tmp_path_factory.mktemp("red")))
    try:
        yield running
    finally:
        running.stop()


def publish(stack: Stack, *requests: dict[str, Any]) -> None:
    out = stack.cluster.producer()
    for request in requests:
        out.produce(topic_name(stack.settings.topic_prefix, "requests"), key=request["serial"].encode(),
                    value=json.dumps(request, ensure_ascii=False).encode())
    assert out.flush(30) == 0


def outcomes(stack: Stack, *serials: str, deadline_s: float = 90) -> dict[str, InvoiceResult]:
    watcher = ResultWatcher(stack.cluster, topic_name(stack.settings.topic_prefix, "results"), Codec(), serials)
    try:
        assert watcher.wait(deadline_s), f"no result for {sorted(watcher.pending)}"
        return dict(watcher.results)
    finally:
        watcher.close()


def issued_blue(stack: Stack, provider: str = "kingdee", remark: str | None = None) -> dict[str, Any]:
    blue = valid_request(f"B{uuid.uuid4().hex[:12]}", provider,
                         invoice_type="digital_normal" if provider == "kingdee" else None)
    if remark:
        blue["remark"] = remark
    publish(stack, blue)
    assert outcomes(stack, blue["serial"])[blue["serial"]].status is Status.ISSUED
    return blue


def whole(blue: dict[str, Any], reason: str = "02") -> dict[str, Any]:
    return {"serial": f"R{uuid.uuid4().hex[:12]}", "kind": "red", "original_serial": blue["serial"],
            "red_reason": reason}


def share(blue: dict[str, Any], part: str, reason: str = "04") -> dict[str, Any]:
    line = blue["lines"][0]
    amount = (Decimal(line["amount"]) * Decimal(part)).quantize(CENT, ROUND_HALF_UP)
    tax = (amount * Decimal(line["tax_rate"])).quantize(CENT, ROUND_HALF_UP)
    return {**whole(blue, reason), "lines": [{"original_line": 1, "amount": str(-amount), "tax_amount": str(-tax)}],
            "total_amount": str(-amount), "total_tax": str(-tax), "total_with_tax": str(-(amount + tax))}


def invoices_of(stack: Stack, serial: str) -> int:
    return int(stack.sandbox_stats("kingdee")["issued_per_serial"].get(serial, 0))


def test_a_whole_return_is_issued_and_the_result_says_what_remains(stack: Stack) -> None:
    blue = issued_blue(stack)
    red = whole(blue)
    publish(stack, red)
    result = outcomes(stack, red["serial"])[red["serial"]]
    assert result.status is Status.ISSUED and result.invoice is not None and result.invoice.number
    assert result.original_serial == blue["serial"] and result.form is not None and result.form.status == "01"
    assert result.total_with_tax == -Decimal(blue["total_with_tax"])
    assert result.remaining is not None and all(line.amount == 0 for line in result.remaining)
    assert invoices_of(stack, red["serial"]) == 1


def test_two_allowances_of_40_percent_are_issued_and_a_third_is_refused(stack: Stack) -> None:
    blue = issued_blue(stack)
    reds = [share(blue, "0.4") for _ in range(3)]
    results = {}
    for red in reds:  # one after the other, as an ERP granting allowances over time
        publish(stack, red)
        results.update(outcomes(stack, red["serial"]))
    assert [results[r["serial"]].status for r in reds] == [Status.ISSUED, Status.ISSUED, Status.REJECTED]
    assert results[reds[2]["serial"]].errors[0].code == "red_exceeds_remaining"
    assert invoices_of(stack, reds[2]["serial"]) == 0


def test_of_two_reds_of_60_percent_published_together_exactly_one_is_issued(stack: Stack) -> None:
    blue = issued_blue(stack)
    reds = [share(blue, "0.6"), share(blue, "0.6")]
    publish(stack, *reds)
    results = outcomes(stack, *(r["serial"] for r in reds))
    assert sorted(results[r["serial"]].status.value for r in reds) == ["issued", "rejected"]
    assert sum(invoices_of(stack, r["serial"]) for r in reds) == 1
    assert stack.sandbox_stats("kingdee")["over_flushed"] == []


def test_reds_that_cannot_be_are_refused_with_their_codes(stack: Stack) -> None:
    blue = issued_blue(stack)
    yipiaoyun_blue = issued_blue(stack, "yipiaoyun")
    unknown = whole({"serial": f"NOPE{uuid.uuid4().hex[:8]}"})
    partial_error = share(blue, "0.1", reason="01")
    of_yipiaoyun = whole(yipiaoyun_blue)
    publish(stack, unknown, partial_error, of_yipiaoyun)
    results = outcomes(stack, unknown["serial"], partial_error["serial"], of_yipiaoyun["serial"])
    codes = {serial: (result.status, result.errors[0].code) for serial, result in results.items()}
    assert codes == {unknown["serial"]: (Status.REJECTED, "red_original_not_issued"),
                     partial_error["serial"]: (Status.REJECTED, "red_partial_not_allowed"),
                     of_yipiaoyun["serial"]: (Status.REJECTED, "red_not_supported")}


def test_the_same_red_published_twice_is_issued_once(stack: Stack) -> None:
    blue = issued_blue(stack)
    red = share(blue, "0.3")
    publish(stack, red, red)
    assert outcomes(stack, red["serial"])[red["serial"]].status is Status.ISSUED
    assert invoices_of(stack, red["serial"]) == 1  # the sandbox would issue it twice (--dedupe off)
    assert stack.sandbox_stats("kingdee")["submissions_per_serial"].get(red["serial"]) == 1


def test_a_red_the_buyer_must_confirm_waits_and_is_issued_once_confirmed(stack: Stack) -> None:
    blue = issued_blue(stack, remark="SANDBOX:USED SANDBOX:BUYER-CONFIRMS")
    red = whole(blue)
    publish(stack, red)
    result = outcomes(stack, red["serial"])[red["serial"]]
    assert result.status is Status.ISSUED and result.form is not None and result.form.status == "04"
    assert invoices_of(stack, red["serial"]) == 1


def test_a_form_the_buyer_refuses_fails_the_red_and_issues_nothing(stack: Stack) -> None:
    blue = issued_blue(stack, remark="SANDBOX:USED SANDBOX:BUYER-REFUSES")
    red = whole(blue)
    publish(stack, red)
    result = outcomes(stack, red["serial"])[red["serial"]]
    assert (result.status, result.code) == (Status.FAILED, "red_form_05")
    assert invoices_of(stack, red["serial"]) == 0
    again = whole(blue)  # its share is free again
    publish(stack, again)
    assert outcomes(stack, again["serial"])[again["serial"]].status is Status.FAILED  # the buyer still refuses


def test_a_silent_buyer_lets_the_form_lapse_and_the_red_fails(kafka_bootstrap: str, tmp_path: Path) -> None:
    lapsing = start(kafka_bootstrap, tmp_path, used_rate=1.0, buyer_answer="silent", form_deadline_s=5.0)
    try:
        blue = issued_blue(lapsing)
        red = whole(blue)
        publish(lapsing, red)
        result = outcomes(lapsing, red["serial"], deadline_s=60)[red["serial"]]
        assert (result.status, result.code, result.form.status if result.form else None) == (
            Status.FAILED, "red_form_07", "07")
        assert invoices_of(lapsing, red["serial"]) == 0
    finally:
        lapsing.stop()
