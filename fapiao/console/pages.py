"""The console's pages as HTML text, from the index's views. Pure: everything shown is escaped.

No inline script or style (the Content-Security-Policy forbids both): the page's look is
`/static/console.css`, and `/static/console.js` refreshes `<main>` from `data-src`.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from datetime import datetime, timedelta
from decimal import Decimal
from html import escape
from typing import Any, Iterable, Sequence
from urllib.parse import quote

from fapiao.audit.charts import bar_chart, bucket_of, bucket_width
from fapiao.audit.model import DlqFact
from fapiao.console.index import Found, Overview, PausedSeller, SerialView, Waiting
from fapiao.schemas.convert import tidy, to_json
from fapiao.schemas.records import RedForm, RedLine

__all__ = ["page", "login_page", "overview_main", "serial_main", "search_main", "missing_main", "serial_path",
           "FRAGMENT_HEADER"]

FRAGMENT_HEADER = "X-Console-Fragment"  # the refresh asks for `<main>`'s content only
_BYTES_SHOWN = 4096
# Status colours in charts: issued green, rejected amber, failed red, anything else blue or grey.
_STATUS_COLOURS = {"issued": "#2e9e5b", "rejected": "#d08a1e", "failed": "#c0392b", "withdrawn": "#7f8c8d",
                   "red_flushed": "#8e44ad"}


def page(title: str, main: str, *, refresh: str | None = None, signed_in: bool = True) -> str:
    """A whole page; with `refresh`, the script reloads `<main>` from that path every few seconds."""
    nav = ""
    if signed_in:
        nav = ('<nav><a class="brand" href="/">fapiao console</a>'
               '<form method="post" action="/search" class="search">'
               '<input name="q" placeholder="serial, ERP order no. or buyer tax ID" aria-label="search" required>'
               '<button>search</button></form>'
               '<form method="post" action="/logout"><button class="quiet">log out</button></form></nav>')
    source = f' data-src="{escape(refresh)}"' if refresh else ""
    return (f'<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>{escape(title)}</title>'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            '<link rel="stylesheet" href="/static/console.css"><script src="/static/console.js" defer></script>'
            f'</head><body>{nav}<main id="live"{source}>{main}</main></body></html>')


def login_page(failed: bool = False) -> str:
    """The login form; it echoes nothing of the request (the script fills in where to go next)."""
    error = '<p class="bad">That token is not the console\'s.</p>' if failed else ""
    return page("fapiao console: log in", (
        '<h1>fapiao console</h1><p>This console shows invoices and the personal data on them. '
        'Give its token (<code>FAPIAO_CONSOLE_TOKEN</code>; <code>fapiao up</code> prints one).</p>'
        f'{error}<form method="post" action="/login" class="login">'
        '<input type="hidden" name="next" value="/">'
        '<label>token <input type="password" name="token" autocomplete="current-password" required autofocus>'
        '</label><button>log in</button></form>'), signed_in=False)


# -- the overview ----------------------------------------------------------------------------------

def overview_main(view: Overview, *, reading: str) -> str:
    cards = "".join(f'<div class="card">{escape(name)}<b>{value}</b></div>' for name, value in (
        ("serials", view.serials), *sorted(view.by_status.items(), key=lambda kv: -kv[1]),
        ("DLQ", len(view.dlq)), ("records read", view.records)))
    return (f'<h1>Overview</h1><p class="reading">{escape(reading)}</p><div class="cards">{cards}</div>'
            f'<h2>Results by status and provider</h2>{_charts(view.results)}'
            f'<h2>In doubt ({len(view.in_doubt)})</h2>{_waiting_table(view.in_doubt)}'
            f'<h2>Paused sellers ({len(view.paused)})</h2>{_paused_table(view.paused)}'
            f'<h2>Red forms waiting for the counterparty ({len(view.forms)})</h2>{_forms_table(view.forms)}'
            f'<h2>Dead letters ({len(view.dlq)})</h2>{_dlq_table(view.dlq[:200])}')


def _charts(results: Sequence[tuple[datetime, str, str]]) -> str:
    if not results:
        return '<p class="none">No results yet.</p>'
    width = bucket_width(min(r[0] for r in results), max(r[0] for r in results))
    counts: dict[str, Counter[tuple[datetime, str]]] = defaultdict(Counter)
    seen: set[datetime] = set()
    for at, provider, status in results:
        bucket = bucket_of(at, width)
        seen.add(bucket)
        counts[provider][(bucket, status)] += 1
    buckets = sorted(seen)
    labels = [_when(bucket) for bucket in buckets]
    charts = []
    for provider in sorted(counts):
        statuses = sorted({status for _, status in counts[provider]}, key=lambda s: (s not in _STATUS_COLOURS, s))
        series = {status: [counts[provider][(bucket, status)] for bucket in buckets] for status in statuses}
        colours = [_STATUS_COLOURS.get(status, "#3b6fb6") for status in statuses]
        charts.append(f'<figure><figcaption>{escape(provider)}, results per {escape(str(width))}</figcaption>'
                      f'{bar_chart(f"{provider} results", labels, series, colours)}</figure>')
    return "".join(charts)


def _waiting_table(rows: Sequence[Waiting]) -> str:
    return _table(("serial", "since", "provider", "code", "message"), (
        (_serial(w.serial), _when(w.since), w.provider, w.code, w.message) for w in rows))


def _paused_table(rows: Sequence[PausedSeller]) -> str:
    return _table(("seller tax ID", "serials paused", "since", "code", "message"), (
        (p.seller_tax_id, p.serials, _when(p.since), p.code, p.message) for p in rows))


def _forms_table(rows: Sequence[Waiting]) -> str:
    return _table(("red", "blue", "form", "form status", "deadline", "time left"), (
        (_serial(w.serial), _serial(w.original_serial) if w.original_serial else None,
         w.form.number if w.form else None, w.form.status if w.form else None,
         _when(w.form.deadline) if w.form and w.form.deadline else None, _left(w.time_left)) for w in rows))


def _dlq_table(rows: Sequence[DlqFact]) -> str:
    return _table(("when", "source", "stage", "key", "reason", "original bytes"), (
        (_when(d.at), str(d.source), d.stage, _serial(d.key) if d.key else None, d.reason,
         _bytes(d.value, f"dlq-{d.position.partition}-{d.position.offset}")) for d in rows))


# -- a serial's page -------------------------------------------------------------------------------

def serial_main(view: SerialView) -> str:
    head = (f'<h1>{escape(view.serial)} <span class="status s-{escape(view.status)}">{escape(view.status)}</span>'
            f'</h1><p class="facts">{escape(view.kind)} · {escape(view.provider or "provider unknown")}</p>')
    parts = [head, _red_part(view), _blue_part(view), _result_part(view)]
    parts.append('<h2>Timeline</h2>' + _table(("when", "where", "what", "detail"), (
        (_when(e.at), str(e.position), e.what, e.detail) for e in view.entries)))
    parts.append('<h2>Request</h2>' + (_json(to_json(view.request)) if view.request else
                                       '<p class="none">Not received by the worker yet (or not readable: see the '
                                       'timeline).</p>'))
    if view.callbacks:
        parts.append('<h2>Callbacks</h2>' + _table(("when", "provider", "route", "verdict", "reason", "body"), (
            (_when(c.at), c["provider"], c["route"], c["verdict"], c["reason"],
             _bytes(c["body"], f"cb-{c.position.partition}-{c.position.offset}")) for c in view.callbacks)))
    if view.dead:
        parts.append('<h2>Dead letters</h2>' + _dlq_table(view.dead))
    return "".join(parts)


def _red_part(view: SerialView) -> str:
    if view.original_serial is None and view.form is None:
        return ""
    rows: list[tuple[str, Any]] = [("blue" if view.kind == "red" else "red", _serial(view.original_serial)
                                    if view.original_serial else None)]
    rows += _form_rows(view.form)
    if view.time_left is not None:
        rows.append(("time left to answer", _left(view.time_left)))
    return '<h2>Red letter</h2>' + _pairs(rows)


def _form_rows(form: RedForm | None) -> list[tuple[str, Any]]:
    if form is None:
        return [("form", "none yet")]
    return [("form", form.number), ("form status", form.status), ("form uuid", form.uuid),
            ("entered", _when(form.entered_at) if form.entered_at else None),
            ("deadline", _when(form.deadline) if form.deadline else None)]


def _blue_part(view: SerialView) -> str:
    if not view.reds:
        return ""
    reds = _table(("red", "share", "status", "amount", "tax", "invoice number"), (
        (_serial(r.serial), r.share, r.status, _money(sum((line.amount for line in r.lines), Decimal(0))),
         _money(sum((line.tax_amount for line in r.lines), Decimal(0))), r.invoice_number) for r in view.reds))
    remaining = _lines_table(view.remaining) if view.remaining is not None else ""
    return (f'<h2>Reds against this invoice</h2>{reds}'
            f'<h2>What remains</h2><p class="note">The lines less every red issued or reserved.</p>{remaining}')


def _lines_table(lines: Iterable[RedLine]) -> str:
    return _table(("line", "amount", "tax", "quantity"), (
        (line.original_line, _money(line.amount), _money(line.tax_amount),
         _money(line.quantity) if line.quantity is not None else None) for line in lines))


def _result_part(view: SerialView) -> str:
    result = view.result
    if result is None:
        return ""
    invoice = result.invoice
    rows: list[tuple[str, Any]] = [
        ("status", result.status.value), ("at", _when(result.at)),
        ("invoice number", invoice.number if invoice else None), ("invoice code", invoice.code if invoice else None),
        ("issued at", invoice.issued_at if invoice else None),
        ("total with tax", _money(result.total_with_tax) if result.total_with_tax is not None else None),
        ("provider code", result.code), ("provider message", result.message),
        ("ERP order no.", result.erp_order_no), ("attempts", result.attempts),
        ("PDF", invoice.pdf_url if invoice else None), ("OFD", invoice.ofd_url if invoice else None)]
    errors = _table(("code", "field", "message", "说明"), (
        (f.code, f.field, f.message_en, f.message_zh) for f in result.errors)) if result.errors else ""
    remaining = ('<h3>What remains of the blue after it</h3>' + _lines_table(result.remaining)
                 if result.remaining else "")
    return f'<h2>Result</h2>{_pairs(rows)}{errors}{remaining}'


# -- search and misses -----------------------------------------------------------------------------

def search_main(query: str, found: Sequence[Found]) -> str:
    rows = _table(("serial", "status", "provider", "first seen"), (
        (_serial(f.serial), f.status, f.provider, _when(f.at) if f.at else None) for f in found))
    return (f'<h1>Search</h1><p>{len(found)} serial(s) for <code>{escape(query)}</code> '
            '(serial, ERP order number or buyer tax ID; then serials that start with it).</p>' + rows)


def missing_main(serial: str) -> str:
    return (f'<h1>{escape(serial)}</h1><p class="none">No record names this serial (yet): the console shows '
            'what it has read, and keeps reading.</p>')


# -- pieces ----------------------------------------------------------------------------------------

class _Html(str):
    """Markup already escaped, put into a cell as it is."""


def serial_path(serial: str) -> str:
    """The path of a serial's page. A serial is whatever the ERP sent (a rejected one may hold `?`, `/`, `%`
    or a line break), so it is one quoted path segment."""
    return f"/serials/{quote(serial, safe='')}"


def _serial(serial: str) -> _Html:
    return _Html(f'<a href="{escape(serial_path(serial))}">{escape(serial)}</a>')


def _cell(value: Any) -> str:
    if value is None or value == "":
        return '<td class="none">–</td>'
    if isinstance(value, _Html):
        return f"<td>{value}</td>"
    if isinstance(value, (int, Decimal)):
        return f'<td class="n">{escape(str(value))}</td>'
    return f"<td>{escape(str(value))}</td>"


def _table(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    body = "".join("<tr>" + "".join(_cell(value) for value in row) + "</tr>" for row in rows)
    if not body:
        return '<p class="none">None.</p>'
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _pairs(rows: Iterable[tuple[str, Any]]) -> str:
    return '<table class="pairs">' + "".join(
        f"<tr><th>{escape(name)}</th>{_cell(value)}</tr>" for name, value in rows) + "</table>"


def _json(data: Any) -> str:
    return f'<pre class="json">{escape(json.dumps(data, ensure_ascii=False, indent=2))}</pre>'


def _bytes(value: bytes | None, name: str) -> _Html:
    """Original bytes: as text when they are UTF-8, else as hex; long ones folded away."""
    if value is None:
        return _Html('<span class="none">none</span>')
    shown = value[:_BYTES_SHOWN]
    try:
        text = shown.decode("utf-8")
    except UnicodeDecodeError:
        text = shown.hex(" ")
    more = f" (first {_BYTES_SHOWN} of {len(value)})" if len(value) > _BYTES_SHOWN else ""
    return _Html(f'<details id="{escape(name)}"><summary>{len(value)} bytes{more}</summary>'
                 f'<pre>{escape(text)}</pre></details>')


def _money(value: Decimal) -> str:
    return str(tidy(value))


def _when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")


def _left(left: timedelta | None) -> str | None:
    if left is None:
        return None
    minutes = int(abs(left).total_seconds() // 60)
    text = f"{minutes // 60} h {minutes % 60:02d} min"
    return text if left >= timedelta(0) else f"lapsed {text} ago"
