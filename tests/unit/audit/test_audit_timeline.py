"""`fapiao status`'s timeline and `fapiao replay`'s comparison, pure."""

from __future__ import annotations

from dataclasses import replace

from fapiao.audit.model import DlqFact, Position
from fapiao.audit.rebuild import compare, rebuild
from fapiao.audit.synthetic import lifecycle
from fapiao.audit.timeline import timeline
from fapiao.streams.lifecycle import replay

from test_audit_invariants import T0, facts_of


def test_timeline_sections_in_order_without_buyer_data() -> None:
    facts = facts_of(lifecycle("TL1", T0), lifecycle("TL2", T0))
    facts.events.append(facts.events[1])  # an at-least-once copy is shown once
    facts.dlq.append(DlqFact(Position("f.results", 0, 0), "writeback", "ERP answered 400", T0,
                             Position("f.dlq", 0, 0), "TL1", b""))
    entries = timeline(facts, "TL1")
    assert [e.what for e in entries] == ["request", "event 1 received", "event 2 validated", "event 3 submitting",
                                         "event 4 accepted", "event 5 issued", "result issued", "dlq (writeback)"]
    assert all("张三" not in e.detail and "示例采购方" not in e.detail for e in entries)
    assert timeline(facts, "NOPE") == []


def test_rebuild_equals_the_fold_and_compare_names_fields() -> None:
    facts = facts_of(lifecycle("RB1", T0), lifecycle("RB2", T0, valid=False))
    rebuilt = rebuild(facts.events)
    assert rebuilt["RB1"] == replay(e.record for e in facts.events if e["serial"] == "RB1")
    live = {**rebuilt, "RB2": replace(rebuilt["RB2"], seq=99, code="x"), "RB3": rebuilt["RB1"]}
    del live["RB1"]
    found = {d.serial: d.fields for d in compare(rebuilt, live)}
    assert found == {"RB1": ("<missing live>",), "RB2": ("seq", "code"), "RB3": ("<missing rebuilt>",)}
