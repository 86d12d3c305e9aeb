"""End to end: `fapiao demo` on a broker we keep, then `fapiao audit` agrees with it and `fapiao replay`
rebuilds the live table from the events alone (and writes it as a new app's changelog)."""

from __future__ import annotations

import uuid

import pytest

from fapiao.settings import Settings

from conftest import Run, last_json

pytestmark = pytest.mark.integration


def test_demo_then_audit_and_replay_agree(topics: Settings, fapiao: Run) -> None:
    demo = fapiao("demo", "--count", "20", "--json", timeout=180)
    shown = last_json(demo)
    assert demo.returncode == 0, demo.stderr[-2000:]

    audit = fapiao("audit", "--json")
    out = last_json(audit)
    assert audit.returncode == 0 and out["ok"], out["violations"]
    assert shown["red_requested"] and shown["red_issued"]  # the demo takes some blues back
    assert (out["requests"], out["issued"], out["rejected"], out["failed"]) == tuple(
        shown[name] + shown[f"red_{name}"] for name in ("requested", "issued", "rejected", "failed"))

    replay = fapiao("replay", "--json")
    rebuilt = last_json(replay)
    rows = shown["requested"] + shown["red_requested"]
    assert replay.returncode == 0 and rebuilt["equal"], rebuilt["differences"]
    assert rebuilt["rebuilt"] == rebuilt["live"] == rows

    new_app = f"fapiao-rebuilt-{uuid.uuid4().hex[:6]}"
    into = last_json(fapiao("replay", "--into", new_app, "--json"))
    assert into["into"] == f"{new_app}-invoices-changelog"
    again = fapiao("replay", "--json", FAPIAO_APP_ID=new_app)  # the written changelog is the table
    assert again.returncode == 0 and last_json(again)["live"] == rows
