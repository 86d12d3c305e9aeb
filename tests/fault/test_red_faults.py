"""Red-letter invoices under a worker killed mid-run: while reds wait for the buyer's confirmation and while
two partial reds of one blue race, the worker is SIGKILLed and restarted. Afterwards no blue is
over-flushed (counted by the Kingdee sandbox, which with --dedupe off would issue whatever it is asked),
no serial is issued twice, every red has exactly one outcome, and the audit's invariants hold."""

from __future__ import annotations

import json
import os
import signal
import uuid
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest

from fapiao.audit import Audit
from fapiao.audit.reader import read_facts
from fapiao.connectors.kafka import read_topic
from fapiao.connectors.stack import Stack, StackOptions
from fapiao.connectors.watch import ResultWatcher
from fapiao.samples import valid_request
from fapiao.schemas.codec import Codec
from fapiao.schemas.records import InvoiceResult, Status
from fapiao.settings import load
from fapiao.streams.topics import topic_name

pytestmark = [pytest.mark.integration, pytest.mark.fault]
CENT = Decimal("0.01")
BLUES = 40


def sixty_percent(blue: dict[str, object], n: int) -> dict[str, object]:
    line = blue["lines"][0]  # type: ignore[index]
    amount = (Decimal(line["amount"]) * Decimal("0.6")).quantize(CENT, ROUND_HALF_UP)
    tax = (amount * Decimal(line["tax_rate"])).quantize(CENT, ROUND_HALF_UP)
    return {"serial": f"{blue['serial']}-{n}", "kind": "red", "original_serial": blue["serial"], "red_reason": "04",
            "lines": [{"original_line": 1, "amount": str(-amount), "tax_amount": str(-tax)}],
            "total_amount": str(-amount), "total_tax": str(-tax), "total_with_tax": str(-(amount + tax))}


def test_worker_killed_while_reds_wait_and_race_over_flushes_nothing(tmp_path: Path) -> None:
    run = uuid.uuid4().hex[:6]
    settings = load({k: v for k, v in os.environ.items() if k != "FAPIAO_KAFKA_BOOTSTRAP"}
                    | {"FAPIAO_APP_ID": f"red-fault-{run}"})
    options = StackOptions(providers=("kingdee",), sandbox_options={"dedupe": "off", "buyer_delay_s": 4.0})
    with Stack(settings, tmp_path, options) as stack:
        out = stack.cluster.producer()
        requests_topic = topic_name(settings.topic_prefix, "requests")
        blues = [valid_request(f"F{run}{i:04d}", "kingdee", invoice_type="digital_normal") for i in range(BLUES)]
        for i, blue in enumerate(blues):
            if i % 2:  # the buyer used it: its reds wait for the buyer's confirmation
                blue["remark"] = "SANDBOX:USED SANDBOX:BUYER-CONFIRMS"
            out.produce(requests_topic, key=str(blue["serial"]).encode(), value=json.dumps(blue).encode())
        assert out.flush(30) == 0
        watcher = ResultWatcher(stack.cluster, topic_name(settings.topic_prefix, "results"), Codec(),
                                [str(b["serial"]) for b in blues])
        assert watcher.wait(120), sorted(watcher.pending)[:5]

        reds = [sixty_percent(blue, n) for blue in blues for n in (1, 2)]  # two of 60 % race for each blue
        for red in reds:
            out.produce(requests_topic, key=str(red["serial"]).encode(), value=json.dumps(red).encode())
        assert out.flush(30) == 0
        watcher.wanted |= {str(r["serial"]) for r in reds}
        for _ in range(2):
            watcher.wait(3.0)
            awaiting = len(watcher.pending)
            assert awaiting, "every red ended before the kill: the kill tested nothing"
            stack.processes["worker-0"].stop(sig=signal.SIGKILL)
            stack.start_worker(0)
        assert watcher.wait(180), sorted(watcher.pending)[:5]
        watcher.close()

        stats = stack.sandbox_stats("kingdee")
        assert stats["dedupe"] is False
        assert stats["over_flushed"] == [], stats["over_flushed"]
        assert stats["duplicates"] == 0
        per_blue: dict[str, list[str]] = defaultdict(list)
        for red in reds:
            if stats["issued_per_serial"].get(red["serial"]):
                per_blue[str(red["original_serial"])].append(str(red["serial"]))
        assert all(len(issued) == 1 for issued in per_blue.values()) and len(per_blue) == BLUES

        outcomes: dict[str, set[Status]] = defaultdict(set)
        codec = Codec()
        for message in read_topic(stack.cluster, topic_name(settings.topic_prefix, "results")):
            result = codec.decode(message.value(), InvoiceResult)
            outcomes[result.serial].add(result.status)
        assert all(len(outcomes[str(r["serial"])]) == 1 for r in reds)
        audit = Audit(read_facts(stack.cluster, settings.topic_prefix, codec))
        assert audit.violations == [], [v.to_json() for v in audit.violations]
