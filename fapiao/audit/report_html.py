"""`fapiao audit --html FILE`: one self-contained page a finance person can open and forward.

Summary, counts, the money issued, volume and latency over time (inline SVG), the violations and
what is still in progress. Everything is escaped; no buyer data is shown (it can be personal).
"""

from __future__ import annotations

import statistics
from collections import Counter
from datetime import datetime
from html import escape
from pathlib import Path
from typing import Iterable, Mapping

from fapiao.audit.charts import bar_chart, bucket_of, bucket_width, line_chart
from fapiao.audit.counts import Row, Summary
from fapiao.audit.model import Violation

__all__ = ["render_html", "write_html"]

_CSS = """body{font-family:system-ui,"PingFang SC","Microsoft YaHei",sans-serif;margin:2em;color:#222;max-width:1000px}
h1{font-size:1.5em}h2{font-size:1.15em;margin-top:2em;border-bottom:1px solid #ddd}
.cards{display:flex;gap:1em;flex-wrap:wrap}.card{border:1px solid #ddd;border-radius:6px;padding:.6em 1em;min-width:7em}
.card b{display:block;font-size:1.5em}.ok{color:#2e7d32}.bad{color:#c62828}
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ddd;padding:.25em .6em;text-align:left}
td.n{text-align:right;font-variant-numeric:tabular-nums}.chart{width:100%;height:auto;max-width:720px}"""


def _table(headers: Iterable[str], rows: Iterable[Iterable[object]]) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(
        f'<td class="n">{escape(str(c))}</td>' if isinstance(c, (int, float)) else f"<td>{escape(str(c))}</td>"
        for c in row) + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def _counts(title: str, counter: Mapping[str, int]) -> str:
    return f"<h3>{escape(title)}</h3>" + _table((title, "serials"), sorted(counter.items(), key=lambda kv: -kv[1]))


def _charts(rows: list[Row]) -> str:
    if not rows:
        return "<p>No requests in this window.</p>"
    width = bucket_width(rows[0].requested_at, max(r.finished_at or r.requested_at for r in rows))
    requested: Counter[datetime] = Counter(bucket_of(r.requested_at, width) for r in rows)
    issued: Counter[datetime] = Counter(bucket_of(r.finished_at, width) for r in rows
                                        if r.finished_at and r.status == "issued")
    latencies: dict[datetime, list[float]] = {}
    for row in rows:
        if row.latency_s is not None:
            latencies.setdefault(bucket_of(row.requested_at, width), []).append(row.latency_s)
    buckets = sorted(set(requested) | set(issued))
    labels = [b.strftime("%Y-%m-%d %H:%M:%S") for b in buckets]

    def p95(values: list[float]) -> float:
        return sorted(values)[max(0, round(0.95 * len(values)) - 1)]

    volume = bar_chart("volume", labels, {"requested": [requested[b] for b in buckets],
                                          "issued": [issued[b] for b in buckets]})
    latency = line_chart("latency", labels, {
        "median": [statistics.median(latencies[b]) if b in latencies else None for b in buckets],
        "p95": [p95(latencies[b]) if b in latencies else None for b in buckets]}, "s")
    return (f"<h2>Volume per {width}</h2>{volume}"
            f"<h2>Latency from request to result (by time requested)</h2>{latency}")


def render_html(summary: Summary, violations: list[Violation], *, now: datetime, window: str) -> str:
    ok = not violations
    cards = "".join(f'<div class="card">{escape(name)}<b>{value}</b></div>' for name, value in (
        ("requests", len(summary.rows)), ("issued", summary.count("issued")),
        ("rejected", summary.count("rejected")), ("failed", summary.count("failed")),
        ("in progress", len(summary.in_progress)), ("DLQ", summary.dlq)))
    verdict = ('<p class="ok">All invariants hold.</p>' if ok else
               f'<p class="bad">{len(violations)} invariant(s) broken.</p>'
               + _table(("invariant", "serials", "detail"),
                        ((v.name, " ".join(v.serials[:50]) + (" …" if len(v.serials) > 50 else ""), v.detail)
                         for v in violations)))
    waiting = _table(("serial", "status", "age (s)"),
                     ((r.serial, r.status, round((now - r.requested_at).total_seconds(), 1))
                      for r in summary.in_progress[:500]))
    return f"""<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
<title>fapiao audit {escape(now.isoformat(timespec="seconds"))}</title><style>{_CSS}</style></head><body>
<h1>Invoice audit 发票审计 <span class="{'ok' if ok else 'bad'}">{'OK' if ok else 'VIOLATIONS'}</span></h1>
<p>Window: {escape(window)}. Generated {escape(now.isoformat(timespec="seconds"))}.
{summary.records} records read.</p>
<div class="cards">{cards}</div>
<h2>Issued totals 已开具合计</h2>
{_table(("amount 金额", "tax 税额", "amount with tax 价税合计"),
        [(str(summary.issued_amount), str(summary.issued_tax), str(summary.issued_amount + summary.issued_tax))])}
<h2>Invariants</h2>{verdict}
{_charts(summary.rows)}
<h2>Counts</h2>{_counts("status", summary.by_status)}{_counts("provider", summary.by_provider)}
{_counts("seller tax id", summary.by_seller)}{_counts("invoice type", summary.by_invoice_type)}
<h2>In progress ({len(summary.in_progress)})</h2>{waiting}
</body></html>
"""


def write_html(path: Path, summary: Summary, violations: list[Violation], *, now: datetime, window: str) -> None:
    path.write_text(render_html(summary, violations, now=now, window=window), encoding="utf-8")
