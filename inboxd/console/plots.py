"""The dashboard's plots as inline SVG: no script, no external file, every label escaped.

Colours are presentation attributes (`fill=`), not `style=`: the console's
Content-Security-Policy allows no inline style.
"""

from __future__ import annotations

import html
import time
from collections.abc import Mapping, Sequence

# One colour per series, in order (colour-blind-safe Okabe-Ito).
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")
WIDTH, HEIGHT, LEFT, BOTTOM, TOP = 720, 220, 48, 36, 12


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def day_label(day: int) -> str:
    return time.strftime("%m-%d", time.gmtime(day * 86400))


def _frame(title: str, days: Sequence[int], top: float, unit: str) -> list[str]:
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT + 24}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT + 24}" role="img" aria-label="{_e(title)}" font-family="sans-serif" '
        f'font-size="11">',
        f'<line x1="{LEFT}" y1="{HEIGHT - BOTTOM}" x2="{WIDTH - 8}" y2="{HEIGHT - BOTTOM}" stroke="#888"/>',
        f'<text x="{LEFT - 6}" y="{TOP + 4}" text-anchor="end">{_e(_fmt(top))}{_e(unit)}</text>',
        f'<text x="{LEFT - 6}" y="{HEIGHT - BOTTOM}" text-anchor="end">0</text>',
    ]
    step = max(1, len(days) // 10)
    for i, day in enumerate(days):
        if i % step == 0:
            parts.append(f'<text x="{_x(i, len(days)) + 2}" y="{HEIGHT - BOTTOM + 14}">{_e(day_label(day))}</text>')
    return parts


def _fmt(value: float) -> str:
    return f"{value:.0f}" if value >= 10 or value == int(value) else f"{value:.2f}"


def _x(i: int, n: int) -> float:
    return LEFT + i * (WIDTH - LEFT - 10) / max(n, 1)


def _y(value: float, top: float) -> float:
    return HEIGHT - BOTTOM - (HEIGHT - BOTTOM - TOP) * (value / top if top else 0.0)


def stacked_bars(title: str, days: Sequence[int], series: Mapping[str, Sequence[float]]) -> str:
    """One bar per day, stacked by series (e.g. mail per category), with a legend."""
    totals = [sum(values[i] for values in series.values()) for i in range(len(days))]
    top = max(totals, default=0) or 1
    parts = _frame(title, days, top, "")
    width = max(2.0, (WIDTH - LEFT - 10) / max(len(days), 1) - 3)
    for i in range(len(days)):
        base = 0.0
        for k, (name, values) in enumerate(series.items()):
            value = values[i]
            if not value:
                continue
            y0, y1 = _y(base, top), _y(base + value, top)
            parts.append(
                f'<rect x="{_x(i, len(days)):.1f}" y="{y1:.1f}" width="{width:.1f}" height="{y0 - y1:.1f}" '
                f'fill="{PALETTE[k % len(PALETTE)]}"><title>{_e(day_label(days[i]))} {_e(name)}: '
                f"{_e(_fmt(value))}</title></rect>"
            )
            base += value
    for k, name in enumerate(series):
        x = LEFT + (k % 6) * 110
        y = HEIGHT + (k // 6) * 12 + 2
        parts.append(f'<rect x="{x}" y="{y - 8}" width="9" height="9" fill="{PALETTE[k % len(PALETTE)]}"/>')
        parts.append(f'<text x="{x + 12}" y="{y}">{_e(name)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def line(title: str, days: Sequence[int], values: Sequence[float | None], unit: str = "") -> str:
    """A line over the days (a day without a value is skipped), with its points."""
    top = max((v for v in values if v is not None), default=0) or 1
    parts = _frame(title, days, top, unit)
    points = [(_x(i, len(days)) + 6, _y(v, top), v, days[i]) for i, v in enumerate(values) if v is not None]
    if len(points) > 1:
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y, _, _ in points)
        parts.append(f'<polyline points="{path}" fill="none" stroke="{PALETTE[0]}" stroke-width="2"/>')
    for x, y, v, day in points:
        parts.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{PALETTE[0]}"><title>{_e(day_label(day))}: '
            f"{_e(_fmt(v))}{_e(unit)}</title></circle>"
        )
    parts.append("</svg>")
    return "".join(parts)
