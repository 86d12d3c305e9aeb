"""`fapiao audit` and `fapiao status` on a real broker: a clean log passes, each corruption is named."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest

from fapiao import clock
from fapiao.audit.synthetic import lifecycle, publish
from fapiao.connectors.cluster import Cluster
from fapiao.schemas.codec import Codec
from fapiao.schemas.records import InvoiceInfo
from fapiao.settings import Settings
from fapiao.streams.dlq import dead_letter
from fapiao.streams.topics import topic_name

from conftest import Run, last_json

pytestmark = pytest.mark.integration


def test_a_clean_log_passes(topics: Settings, fapiao: Run, tmp_path) -> None:  # type: ignore[no-untyped-def]
    start = clock.now() - timedelta(minutes=5)
    items = [lifecycle(f"OK{i}", start, valid=i != 3, finished=i != 4, provider=("kingdee", "yipiaoyun")[i % 2])
             for i in range(8)]
    publish(Cluster.of(topics).producer(), topics.topic_prefix, Codec(), items)
    audit = fapiao("audit", "--json", "--html", str(tmp_path / "a.html"), "--csv", str(tmp_path / "a.csv"))
    out = last_json(audit)
    assert audit.returncode == 0, out
    assert (out["requests"], out["issued"], out["rejected"], out["in_progress"], out["dlq"]) == (8, 6, 1, 1, 0)
    assert out["ok"] is True and out["violations"] == []
    assert "<svg" in (tmp_path / "a.html").read_text(encoding="utf-8")
    assert len((tmp_path / "a.csv").read_text(encoding="utf-8-sig").splitlines()) == 9

    status = fapiao("status", "OK0", "--json")
    whats = [entry["what"] for entry in last_json(status)["entries"]]
    assert whats[0] == "request" and whats[-1] == "result issued"
    assert [w.split()[1] for w in whats if w.startswith("event")] == ["1", "2", "3", "4", "5"]


def test_a_corrupted_log_names_every_violation(topics: Settings, fapiao: Run) -> None:
    start = clock.now() - timedelta(minutes=5)
    twice, orphan_result, no_result, gap, totals, clean = (lifecycle(s, start) for s in
                                                           ("TWICE", "ORPHAN", "NORES", "GAP", "TOTALS", "CLEAN"))
    issued = twice.events[-1]
    twice = replace(twice, events=[*twice.events, replace(issued, seq=issued.seq + 1,
                                                          invoice=InvoiceInfo(number="99990000"))])
    no_result = replace(no_result, result=None)
    gap = replace(gap, events=[e for e in gap.events if e.seq != 3])
    totals = replace(totals, result=replace(totals.result, total_amount=Decimal("0.01")))  # type: ignore[type-var]
    out = Cluster.of(topics).producer()
    publish(out, topics.topic_prefix, Codec(), [twice, no_result, gap, totals, clean])
    assert orphan_result.result is not None
    out.produce(topic_name(topics.topic_prefix, "results"), key=b"ORPHAN", value=Codec().encode(orphan_result.result))
    # a DLQ record pointing at a record that never existed
    out.produce(topic_name(topics.topic_prefix, "dlq"), key=b"GHOST", value=dead_letter(
        topic=topic_name(topics.topic_prefix, "requests"), partition=0, offset=10_000, key=b"GHOST", value=b"{",
        reason="not json", stage="intake"))
    out.flush(30)

    audit = fapiao("audit", "--json")
    assert audit.returncode == 1
    found = {v["name"]: v["serials"] for v in last_json(audit)["violations"]}
    assert found == {"issued_twice": ["TWICE"], "result_without_request": ["ORPHAN"], "missing_result": ["NORES"],
                     "seq_gap": ["GAP"], "totals_differ": ["TOTALS"], "dlq_unaccounted": ["GHOST"]}


def test_since_and_until_bound_the_window(topics: Settings, fapiao: Run) -> None:
    old, new = clock.now() - timedelta(days=2), clock.now() - timedelta(minutes=1)
    publish(Cluster.of(topics).producer(), topics.topic_prefix, Codec(),
            [lifecycle("OLD1", old), lifecycle("NEW1", new), lifecycle("NEW2", new)])
    # the producer stamps records with the time they are sent, so the window is about send time
    everything = last_json(fapiao("audit", "--json", "--since", (clock.now() - timedelta(hours=1)).isoformat()))
    assert everything["requests"] == 3 and everything["ok"]
    nothing = last_json(fapiao("audit", "--json", "--until", (clock.now() - timedelta(hours=1)).isoformat()))
    assert nothing["requests"] == 0 and nothing["ok"]
