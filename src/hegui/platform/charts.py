"""Server-side SVG charts for the dashboards, drawn as inline SVG that works under the platform's strict CSP:
no script, no `style` element or attribute (colours come from classes in static/style.css, with `fill`
presentation attributes as the fallback), no external resource.

A charting library was not used: pygal, the one installable, writes an inline `<style>` element and a `<script>`
(its tooltips), which the CSP (style-src 'self'; script-src 'self') refuses for inline SVG.

Every text drawn is escaped here: labels may come from an APK (an SDK's name as a report gives it)."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from markupsafe import Markup

MAX_LABEL_CHARS = 40  # columns; longer labels are cut (the whole label stays in the bar's tooltip); rule ids fit


@dataclass(frozen=True, slots=True)
class Bar:
    label: str
    value: int
    href: str | None = None  # a page the bar links to (same site; built by the caller from escaped parts)
    detail: str | None = None  # extra tooltip text


def _text(value: object) -> str:
    return escape(str(value), quote=True)


def _width(ch: str) -> int:
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1  # a Chinese character takes two columns


def _short(label: str) -> str:
    """The label cut to MAX_LABEL_CHARS columns (a Chinese character counts two), so it fits left of the bars."""
    if sum(map(_width, label)) <= MAX_LABEL_CHARS:
        return label
    out, used = [], 1  # room for the ellipsis
    for ch in label:
        if used + _width(ch) > MAX_LABEL_CHARS:
            break
        out.append(ch)
        used += _width(ch)
    return "".join(out) + "…"


def _svg(chart_id: str, title: str, width: int, height: int, body: list[str]) -> Markup:
    cid = _text(chart_id)
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="{cid}" role="img" '
        f'aria-labelledby="{cid}-title" viewBox="0 0 {width} {height}" width="{width}" height="{height}">'
        f'<title id="{cid}-title">{_text(title)}</title>{"".join(body)}</svg>')


def bar_chart(chart_id: str, title: str, bars: Sequence[Bar], *, width: int = 640, row: int = 24,
              label_width: int = 300) -> Markup:
    """Horizontal bars, one row per bar in the order given, each with its label on the left and its value at
    its end; bar lengths are proportional to the largest value."""
    height = max(1, len(bars)) * row + 8
    top = max((b.value for b in bars), default=0) or 1
    room = width - label_width - 60
    body: list[str] = []
    for i, bar in enumerate(bars):
        y = 4 + i * row
        length = round(room * bar.value / top) if bar.value else 0
        tip = bar.label + (f" — {bar.detail}" if bar.detail else "") + f": {bar.value}"
        shape = (f'<g class="bar-row"><title>{_text(tip)}</title>'
                 f'<text class="label" x="{label_width - 6}" y="{y + row * 0.65:.1f}" text-anchor="end" '
                 f'fill="#333">{_text(_short(bar.label))}</text>'
                 f'<rect class="bar" x="{label_width}" y="{y + 3}" width="{length}" height="{row - 8}" '
                 f'fill="#b22222" data-value="{bar.value}"/>'
                 f'<text class="value" x="{label_width + length + 6}" y="{y + row * 0.65:.1f}" '
                 f'fill="#333">{bar.value}</text></g>')
        body.append(f'<a href="{_text(bar.href)}">{shape}</a>' if bar.href else shape)
    return _svg(chart_id, title, width, height, body)


def column_chart(chart_id: str, title: str, columns: Sequence[Bar], *, width: int = 640,
                 height: int = 220) -> Markup:
    """Vertical columns left to right (a trend: one column per period), each labelled under it and with its
    value above it; column heights are proportional to the largest value."""
    base = height - 24
    room = base - 22
    top = max((c.value for c in columns), default=0) or 1
    slot = width / max(1, len(columns))
    body: list[str] = [f'<line class="axis" x1="0" y1="{base}" x2="{width}" y2="{base}" stroke="#999"/>']
    for i, col in enumerate(columns):
        x = i * slot
        h = round(room * col.value / top) if col.value else 0
        middle = x + slot / 2
        body.append(f'<g class="column"><title>{_text(col.label)}: {col.value}</title>'
                    f'<rect class="bar" x="{x + slot * 0.15:.1f}" y="{base - h}" width="{slot * 0.7:.1f}" '
                    f'height="{h}" fill="#b22222" data-value="{col.value}"/>'
                    f'<text class="value" x="{middle:.1f}" y="{base - h - 4}" text-anchor="middle" '
                    f'fill="#333">{col.value}</text>'
                    f'<text class="label" x="{middle:.1f}" y="{height - 6}" text-anchor="middle" '
                    f'fill="#333">{_text(_short(col.label))}</text></g>')
    return _svg(chart_id, title, width, height, body)
