"""Inline SVG charts for the HTML report: no JavaScript, no CDN, nothing fetched when it is opened."""

from __future__ import annotations

from datetime import datetime, timedelta
from html import escape
from typing import Sequence

__all__ = ["bucket_width", "bucket_of", "bar_chart", "line_chart", "COLOURS"]

_WIDTHS = [timedelta(seconds=s) for s in (1, 5, 10, 30, 60, 300, 900, 3600, 6 * 3600, 86400, 7 * 86400)]
_W, _H, _PAD = 720, 220, 40
COLOURS = ("#3b6fb6", "#2e9e5b", "#d08a1e", "#c0392b")


def bucket_width(first: datetime, last: datetime, most: int = 40) -> timedelta:
    """The narrowest round width that splits [first, last] into at most `most` buckets."""
    return next((w for w in _WIDTHS if (last - first) / w <= most), _WIDTHS[-1])


def bucket_of(moment: datetime, width: timedelta) -> datetime:
    epoch = datetime(1970, 1, 1, tzinfo=moment.tzinfo)
    return epoch + (moment - epoch) // width * width


def _frame(title: str, labels: Sequence[str], top: float, unit: str, series: Sequence[str],
           colours: Sequence[str] = COLOURS) -> list[str]:
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {_W} {_H}" role="img" class="chart">',
             f'<title>{escape(title)}</title>',
             f'<line x1="{_PAD}" y1="{_H - _PAD}" x2="{_W - 10}" y2="{_H - _PAD}" stroke="#999"/>',
             f'<line x1="{_PAD}" y1="10" x2="{_PAD}" y2="{_H - _PAD}" stroke="#999"/>',
             f'<text x="{_PAD - 4}" y="16" text-anchor="end" font-size="10">{top:g}{escape(unit)}</text>',
             f'<text x="{_PAD - 4}" y="{_H - _PAD}" text-anchor="end" font-size="10">0</text>']
    if labels:
        parts.append(f'<text x="{_PAD}" y="{_H - _PAD + 14}" font-size="10">{escape(labels[0])}</text>')
        parts.append(f'<text x="{_W - 10}" y="{_H - _PAD + 14}" text-anchor="end" font-size="10">'
                     f'{escape(labels[-1])}</text>')
    for i, name in enumerate(series):
        x = _PAD + 10 + i * 140
        parts.append(f'<rect x="{x}" y="{_H - 16}" width="10" height="10" fill="{colours[i % len(colours)]}"/>'
                     f'<text x="{x + 14}" y="{_H - 7}" font-size="11">{escape(name)}</text>')
    return parts


def _y(value: float, top: float) -> float:
    return _H - _PAD - (value / top) * (_H - _PAD - 20) if top else _H - _PAD


def bar_chart(title: str, labels: Sequence[str], series: dict[str, Sequence[int]],
              colours: Sequence[str] = COLOURS) -> str:
    """Grouped bars, one group per label, one bar per series (coloured in order from `colours`)."""
    top = max((v for values in series.values() for v in values), default=0) or 1
    parts = _frame(title, labels, top, "", list(series), colours)
    slot = (_W - _PAD - 20) / max(len(labels), 1)
    bar = slot * 0.8 / max(len(series), 1)
    for s, (name, values) in enumerate(series.items()):
        for i, value in enumerate(values):
            x, y = _PAD + 5 + i * slot + s * bar, _y(value, top)
            parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{_H - _PAD - y:.1f}" '
                         f'fill="{colours[s % len(colours)]}"><title>{escape(labels[i])} {escape(name)}: '
                         f'{value}</title></rect>')
    return "".join(parts) + "</svg>"


def line_chart(title: str, labels: Sequence[str], series: dict[str, Sequence[float | None]], unit: str) -> str:
    """One polyline per series; a None value is a bucket with nothing to plot."""
    top = max((v for values in series.values() for v in values if v is not None), default=0) or 1
    parts = _frame(title, labels, round(top, 2), unit, list(series))
    step = (_W - _PAD - 20) / max(len(labels) - 1, 1)
    for s, (name, values) in enumerate(series.items()):
        points = [(_PAD + 5 + i * step, _y(v, top), labels[i], v) for i, v in enumerate(values) if v is not None]
        colour = COLOURS[s % len(COLOURS)]
        parts.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="'
                     + " ".join(f"{x:.1f},{y:.1f}" for x, y, _, _ in points) + '"/>')
        parts += [f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{colour}"><title>{escape(label)} {escape(name)}: '
                  f'{v:.2f}{escape(unit)}</title></circle>' for x, y, label, v in points]
    return "".join(parts) + "</svg>"
