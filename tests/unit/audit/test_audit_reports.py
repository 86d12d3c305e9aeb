"""The reports: HTML self-contained and escaped, CSV with exact decimals, SVG charts, write-back backoff."""

from __future__ import annotations

import csv
import random
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from fapiao.audit import Audit
from fapiao.audit.charts import bucket_of, bucket_width
from fapiao.audit.report_csv import write_csv
from fapiao.audit.report_html import render_html
from fapiao.audit.synthetic import lifecycle
from fapiao.connectors.writeback import backoff_delay

from test_audit_invariants import T0, facts_of


def _audit(broken: bool = False) -> Audit:
    items = [lifecycle(f"H{i}", T0 + timedelta(minutes=i), valid=i % 3 != 2) for i in range(6)]
    if broken:
        items[0] = replace(items[0], result=None)
    return Audit(facts_of(*items))


def test_html_is_self_contained_with_charts_and_violations() -> None:
    result = _audit(broken=True)
    page = render_html(result.summary, result.violations, now=T0, window="<all>")
    assert "<script" not in page and "http://" not in page.replace("http://www.w3.org/2000/svg", "")
    assert page.count("<svg") == 2 and "missing_result" in page and "&lt;all&gt;" in page
    assert "张三" not in page  # no buyer data


def test_csv_rows_keep_exact_decimals_and_name_violations(tmp_path: Path) -> None:
    result = _audit(broken=True)
    write_csv(tmp_path / "a.csv", result.summary, result.violations)
    rows = list(csv.DictReader((tmp_path / "a.csv").open(encoding="utf-8-sig")))
    assert [r["serial"] for r in rows] == [f"H{i}" for i in range(6)]
    assert rows[0]["violations"] == "missing_result"
    issued = [r for r in rows if r["status"] == "issued" and r["finished_at"]]
    assert all(len(r["total_amount"].split(".")[1]) == 2 for r in issued)
    assert sum(Decimal(r["total_amount"]) for r in issued) == result.summary.issued_amount


def test_buckets_are_round_and_few() -> None:
    width = bucket_width(T0, T0 + timedelta(hours=2))
    assert width == timedelta(minutes=5)
    assert bucket_of(T0 + timedelta(minutes=7), width) == T0 + timedelta(minutes=5)


def test_writeback_backoff_doubles_with_jitter_and_a_cap() -> None:
    rng = random.Random(1)
    delays = [backoff_delay(n, 0.5, 4.0, rng) for n in range(1, 7)]
    for n, delay in enumerate(delays, start=1):
        ceiling = min(4.0, 0.5 * 2 ** (n - 1))
        assert ceiling / 2 <= delay <= ceiling
