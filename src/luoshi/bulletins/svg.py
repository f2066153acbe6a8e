"""Small SVG charts for the PDF, drawn from the same chart dicts as the pages
(``luoshi.analytics.charts``). Plain SVG elements only, which WeasyPrint renders natively:
no plotting library, no script, text in the document's CJK font.

Every label goes through ``escape``; the result is safe to mark safe in the template.
"""

from __future__ import annotations

from html import escape

FONT = "Noto Sans CJK SC, sans-serif"
INK, MUTED, GRID = "#1d2433", "#5b6475", "#dfe3ea"
DEFAULT_COLOR = "#1f5fa8"
MAX_ROWS = 36  # bars that fit on a page; the table beside each chart lists every row


def _num(value) -> str:
    if value is None:
        return "–"
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.1f}"
    return f"{value:,.0f}" if isinstance(value, (int, float)) else str(value)


def _text(x: float, y: float, text: str, size: float = 9, anchor: str = "start", color: str = INK, weight: str = "normal") -> str:
    return (f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" font-family="{FONT}" fill="{color}" '
            f'text-anchor="{anchor}" font-weight="{weight}">{escape(str(text))}</text>')


def _svg(width: float, height: float, body: list[str]) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
            f'viewBox="0 0 {width:.0f} {height:.0f}">{"".join(body)}</svg>')


def hbar(chart: dict, width: float = 480, row: float = 18, label_width: float = 150) -> str:
    """Horizontal bars, one per category (progress, attainment, scores)."""
    series = chart["series"][0]
    values = series["data"][:MAX_ROWS]
    colors = series.get("colors") or [series.get("color") or DEFAULT_COLOR] * len(values)
    top = max([v for v in values if v is not None] + [chart.get("max") or 0, 1])
    plot = width - label_width - 50
    height = row * len(values) + 22
    body = [f'<line x1="{label_width}" y1="4" x2="{label_width}" y2="{height - 16}" stroke="{GRID}"/>']
    suffix = "%" if chart.get("unit") == "%" else ""
    for i, (label, value) in enumerate(zip(chart["categories"], values)):
        y = 6 + i * row
        body.append(_text(label_width - 6, y + row * 0.6, label, anchor="end"))
        if value is None:
            body.append(_text(label_width + 4, y + row * 0.6, "–", color=MUTED))
            continue
        length = max(0.0, plot * float(value) / top)
        body.append(f'<rect x="{label_width}" y="{y + 2:.1f}" width="{length:.1f}" height="{row - 6:.1f}" fill="{colors[i]}"/>')
        body.append(_text(label_width + length + 4, y + row * 0.6, _num(value) + suffix, color=MUTED))
    for tick in (0, 0.5, 1):
        x = label_width + plot * tick
        body.append(_text(x, height - 4, _num(top * tick) + suffix, size=7, anchor="middle", color=MUTED))
    return _svg(width, height, body)


def columns(chart: dict, width: float = 480, height: float = 200) -> str:
    """Vertical bars per category; several series are stacked (overdue and amber items by unit)."""
    n = max(len(chart["categories"]), 1)
    stacked = [sum((s["data"][i] or 0) for s in chart["series"]) for i in range(n)] if chart["categories"] else [0]
    top = max(stacked + [1])
    left, bottom, legend = 36, 46, 16
    plot_h = height - bottom - legend
    slot = (width - left - 8) / n
    bar = min(28.0, slot * 0.7)
    body = []
    for tick in (0, 0.5, 1):
        y = legend + plot_h * (1 - tick)
        body.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - 8}" y2="{y:.1f}" stroke="{GRID}"/>')
        body.append(_text(left - 4, y + 3, _num(top * tick), size=7, anchor="end", color=MUTED))
    x_legend = left
    for s in chart["series"]:
        color = s.get("color") or DEFAULT_COLOR
        body.append(f'<rect x="{x_legend}" y="2" width="9" height="9" fill="{color}"/>')
        body.append(_text(x_legend + 12, 10, s["name"], size=8))
        x_legend += 14 + 9 * len(str(s["name"])) + 12
    for i, label in enumerate(chart["categories"]):
        x = left + slot * i + (slot - bar) / 2
        base = legend + plot_h
        for s in chart["series"]:
            value = s["data"][i] or 0
            h = plot_h * value / top
            color = (s.get("colors") or [None] * n)[i] or s.get("color") or DEFAULT_COLOR
            if h > 0:
                body.append(f'<rect x="{x:.1f}" y="{base - h:.1f}" width="{bar:.1f}" height="{h:.1f}" fill="{color}"/>')
            base -= h
        cx = x + bar / 2
        body.append(f'<g transform="translate({cx:.1f},{legend + plot_h + 8}) rotate(40)">{_text(0, 0, label, size=7)}</g>')
    return _svg(width, height, body)


def hstack(chart: dict, width: float = 480, row: float = 16, label_width: float = 150) -> str:
    """Horizontal stacked bars, one per category, with a legend (overdue and at-risk items by unit;
    the first ``MAX_ROWS``, which come sorted most overdue first)."""
    n = min(len(chart["categories"]), MAX_ROWS)
    totals = [sum((s["data"][i] or 0) for s in chart["series"]) for i in range(n)]
    top = max(totals + [1])
    plot = width - label_width - 40
    legend = 16
    height = legend + row * n + 6
    body = []
    x_legend = label_width
    for s in chart["series"]:
        color = s.get("color") or DEFAULT_COLOR
        body.append(f'<rect x="{x_legend}" y="2" width="9" height="9" fill="{color}"/>')
        body.append(_text(x_legend + 12, 10, s["name"], size=8))
        x_legend += 14 + 9 * len(str(s["name"])) + 12
    for i, label in enumerate(chart["categories"][:n]):
        y = legend + i * row
        body.append(_text(label_width - 6, y + row * 0.65, label, size=8, anchor="end"))
        x = float(label_width)
        for s in chart["series"]:
            w = plot * (s["data"][i] or 0) / top
            if w > 0:
                body.append(f'<rect x="{x:.1f}" y="{y + 2:.1f}" width="{w:.1f}" height="{row - 5:.1f}" fill="{s.get("color") or DEFAULT_COLOR}"/>')
            x += w
        body.append(_text(x + 4, y + row * 0.65, _num(totals[i]), size=8, color=MUTED))
    return _svg(width, height, body)


def line(chart: dict, width: float = 480, height: float = 180) -> str:
    """Lines over periods (an indicator against its target)."""
    cats = chart["categories"]
    values = [v for s in chart["series"] for v in s["data"] if v is not None]
    if not cats or not values:
        return _svg(width, 20, [_text(0, 12, "–", color=MUTED)])
    low, high = min(values), max(values)
    if high == low:
        low, high = low - 1, high + 1
    pad = (high - low) * 0.1
    low, high = low - pad, high + pad
    left, bottom, legend = 44, 22, 16
    plot_w, plot_h = width - left - 10, height - bottom - legend
    step = plot_w / max(len(cats) - 1, 1)

    def xy(i, v):
        return left + step * i, legend + plot_h * (1 - (v - low) / (high - low))

    body = []
    for tick in (0, 0.5, 1):
        y = legend + plot_h * (1 - tick)
        body.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - 10}" y2="{y:.1f}" stroke="{GRID}"/>')
        body.append(_text(left - 4, y + 3, _num(low + (high - low) * tick), size=7, anchor="end", color=MUTED))
    for i, label in enumerate(cats):
        body.append(_text(left + step * i, height - 6, label, size=7, anchor="middle", color=MUTED))
    x_legend = left
    for s in chart["series"]:
        color = s.get("color") or DEFAULT_COLOR
        dash = ' stroke-dasharray="4 3"' if s.get("dashed") else ""
        points = [xy(i, v) for i, v in enumerate(s["data"]) if v is not None]
        if len(points) > 1:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
            body.append(f'<polyline points="{path}" fill="none" stroke="{color}" stroke-width="1.6"{dash}/>')
        body.extend(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.2" fill="{color}"/>' for x, y in points)
        body.append(f'<line x1="{x_legend}" y1="7" x2="{x_legend + 12}" y2="7" stroke="{color}" stroke-width="2"{dash}/>')
        body.append(_text(x_legend + 15, 10, s["name"], size=8))
        x_legend += 24 + 9 * len(str(s["name"])) + 10
    return _svg(width, height, body)


def stripe(chart: dict, width: float = 480) -> str:
    """One bar split into shares (items by traffic light), with a legend."""
    series = chart["series"][0]
    values = [v or 0 for v in series["data"]]
    total = sum(values) or 1
    body, x = [], 0.0
    for value, color in zip(values, series.get("colors") or [DEFAULT_COLOR] * len(values)):
        w = width * value / total
        if w > 0:
            body.append(f'<rect x="{x:.1f}" y="0" width="{w:.1f}" height="16" fill="{color}"/>')
        x += w
    x = 0.0
    for label, value, color in zip(chart["categories"], values, series.get("colors") or [DEFAULT_COLOR] * len(values)):
        body.append(f'<rect x="{x:.1f}" y="24" width="9" height="9" fill="{color}"/>')
        text = f"{label} {value}"
        body.append(_text(x + 12, 32, text, size=8))
        x += 20 + 8.5 * len(text)
    return _svg(width, 40, body)


def render(chart: dict) -> str:
    """The SVG of a chart dict, by its kind (a map is drawn as its bars)."""
    kind = chart["kind"]
    if kind == "pie":
        return stripe(chart)
    if kind == "hbar":
        return hbar(chart)
    if kind == "hstack":
        return hstack(chart)
    if kind == "line":
        return line(chart)
    return columns(chart)
