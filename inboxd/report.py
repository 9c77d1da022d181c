"""The evaluation as one self-contained HTML page: tables, and pictures drawn as inline SVG.

No external files, scripts, fonts or URLs: the page can be mailed, archived or opened
offline. It shows the scores per category, the confusion matrix as a heat map, the
precision / recall / coverage curve against the confidence floor, the most confident
mistakes, and (for a comparison) the mails whose category changed.
"""

from __future__ import annotations

import html
import time
from collections.abc import Iterable, Sequence
from pathlib import Path

from inboxd.evaluate import Comparison, Evaluation, FloorPoint

_CSS = """
body { font-family: system-ui, sans-serif; margin: 2em; color: #222; max-width: 70em; }
h1 { font-size: 1.5em; } h2 { font-size: 1.2em; margin-top: 2em; }
table { border-collapse: collapse; margin: 0.5em 0; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: left; vertical-align: top; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.text { max-width: 40em; white-space: pre-wrap; word-break: break-word; }
.fixed { color: #1a7f37; } .broken { color: #b42318; }
.summary { font-size: 1.1em; } .muted { color: #666; }
"""
_MAX_TEXT = 400


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _clip(text: str) -> str:
    return text if len(text) <= _MAX_TEXT else text[:_MAX_TEXT] + "…"


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def confusion_svg(ev: Evaluation) -> str:
    """The confusion matrix as a heat map: rows are the truth, columns the decision."""
    names = ev.categories
    cell, left, top = 56, 170, 150
    size = len(names)
    width, height = left + cell * size + 20, top + cell * size + 40
    parts = [
        f'<svg width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12" role="img" '
        f'aria-label="confusion matrix">'
    ]
    for j, name in enumerate(names):
        x = left + j * cell + cell / 2
        parts.append(f'<text x="{x}" y="{top - 8}" transform="rotate(-45 {x} {top - 8})">{_e(name)}</text>')
    parts.append(f'<text x="{left + size * cell / 2}" y="{height - 10}" text-anchor="middle">decided</text>')
    for i, name in enumerate(names):
        row = ev.confusion[i]
        total = sum(row)
        y = top + i * cell
        parts.append(f'<text x="{left - 8}" y="{y + cell / 2 + 4}" text-anchor="end">{_e(name)}</text>')
        for j, count in enumerate(row):
            share = count / total if total else 0.0
            # Blue on the diagonal (right), red elsewhere (wrong); darker is a larger share of the row.
            hue = 210 if i == j else 0
            light = 100 - 55 * share
            fill = f"hsl({hue}, 70%, {light:.0f}%)"
            x = left + j * cell
            parts.append(f'<rect x="{x}" y="{y}" width="{cell}" height="{cell}" fill="{fill}" stroke="#fff"/>')
            colour = "#fff" if share > 0.6 else "#222"
            parts.append(
                f'<text x="{x + cell / 2}" y="{y + cell / 2 + 4}" text-anchor="middle" fill="{colour}">{count}</text>'
            )
    parts.append(
        f'<text x="14" y="{top + size * cell / 2}" transform="rotate(-90 14 {top + size * cell / 2})" '
        f'text-anchor="middle">truth</text>'
    )
    parts.append("</svg>")
    return "".join(parts)


def curve_svg(points: Sequence[FloorPoint], floor: float, suggested: float) -> str:
    """Macro precision, macro recall and coverage of the final decisions against the floor."""
    width, height, left, right, top, bottom = 640, 340, 50, 140, 20, 40
    plot_w, plot_h = width - left - right, height - top - bottom
    floors = [p.floor for p in points]
    low = min(0.5, *(min(p.precision, p.recall, p.coverage) for p in points))
    lo = max(0.0, (int(low * 10) / 10))

    def xy(f: float, v: float) -> tuple[float, float]:
        x = left + plot_w * (f - floors[0]) / ((floors[-1] - floors[0]) or 1)
        y = top + plot_h * (1 - (v - lo) / ((1 - lo) or 1))
        return x, y

    parts = [
        f'<svg width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12" role="img" '
        f'aria-label="precision and recall against the confidence floor">',
        f'<rect x="{left}" y="{top}" width="{plot_w}" height="{plot_h}" fill="none" stroke="#999"/>',
    ]
    for k in range(6):
        v = lo + (1 - lo) * k / 5
        _, y = xy(floors[0], v)
        parts.append(f'<line x1="{left}" y1="{y}" x2="{left + plot_w}" y2="{y}" stroke="#eee"/>')
        parts.append(f'<text x="{left - 6}" y="{y + 4}" text-anchor="end">{v:.2f}</text>')
    for f in floors[:: max(1, len(floors) // 10)]:
        x, _ = xy(f, lo)
        parts.append(f'<text x="{x}" y="{top + plot_h + 16}" text-anchor="middle">{f:.2f}</text>')
    parts.append(f'<text x="{left + plot_w / 2}" y="{height - 6}" text-anchor="middle">confidence floor</text>')
    series = (("precision", "#1f77b4"), ("recall", "#d62728"), ("coverage", "#2ca02c"))
    for n, (name, colour) in enumerate(series):
        coords = " ".join(f"{x:.1f},{y:.1f}" for x, y in (xy(p.floor, getattr(p, name)) for p in points))
        parts.append(f'<polyline points="{coords}" fill="none" stroke="{colour}" stroke-width="2"/>')
        ly = top + 16 + 18 * n
        parts.append(
            f'<line x1="{left + plot_w + 12}" y1="{ly - 4}" x2="{left + plot_w + 32}" y2="{ly - 4}" '
            f'stroke="{colour}" stroke-width="2"/>'
        )
        parts.append(f'<text x="{left + plot_w + 36}" y="{ly}">{name}</text>')
    for value, dash in ((floor, "4 3"), (suggested, "1 3")):
        x, _ = xy(value, lo)
        parts.append(
            f'<line x1="{x}" y1="{top}" x2="{x}" y2="{top + plot_h}" stroke="#555" stroke-dasharray="{dash}"/>'
        )
    ly = top + 16 + 18 * 3
    parts.append(f'<text x="{left + plot_w + 12}" y="{ly}">- - current {floor:.2f}</text>')
    parts.append(f'<text x="{left + plot_w + 12}" y="{ly + 18}">··· suggested {suggested:.2f}</text>')
    parts.append("</svg>")
    return "".join(parts)


def reliability_svg(ev: Evaluation) -> str:
    """Reliability diagram: per confidence bin, how often the model was right against how sure it said.

    Bars on the diagonal are honest; below it, overconfident. A bar's width shows the bin,
    its label the number of mails in it.
    """
    size, left, top, bottom = 340, 50, 20, 40
    plot = size - left - 20

    def x(v: float) -> float:
        return left + plot * v

    def y(v: float) -> float:
        return top + plot * (1 - v)

    parts = [
        f'<svg width="{size}" height="{size + bottom - 20}" viewBox="0 0 {size} {size + bottom - 20}" '
        f'font-family="sans-serif" font-size="12" role="img" aria-label="reliability diagram">',
        f'<rect x="{left}" y="{top}" width="{plot}" height="{plot}" fill="none" stroke="#999"/>',
    ]
    for k in range(6):
        v = k / 5
        parts.append(f'<text x="{left - 6}" y="{y(v) + 4:.1f}" text-anchor="end">{v:.1f}</text>')
        parts.append(f'<text x="{x(v):.1f}" y="{top + plot + 16}" text-anchor="middle">{v:.1f}</text>')
    for b in ev.reliability:
        parts.append(
            f'<rect x="{x(b.low) + 1:.1f}" y="{y(b.accuracy):.1f}" width="{plot * (b.high - b.low) - 2:.1f}" '
            f'height="{plot * b.accuracy:.1f}" fill="#1f77b4" fill-opacity="0.6">'
            f"<title>{b.low:.1f}–{b.high:.1f}: {b.n} mails, said {b.mean_confidence:.3f}, right {b.accuracy:.3f}"
            "</title></rect>"
        )
        parts.append(
            f'<text x="{x((b.low + b.high) / 2):.1f}" y="{y(b.accuracy) - 3:.1f}" text-anchor="middle" '
            f'font-size="9">{b.n}</text>'
        )
    parts.append(f'<line x1="{x(0)}" y1="{y(0)}" x2="{x(1)}" y2="{y(1)}" stroke="#d62728" stroke-dasharray="4 3"/>')
    parts.append(
        f'<text x="{left + plot / 2}" y="{top + plot + 34}" text-anchor="middle">confidence (model decisions)</text>'
    )
    parts.append("</svg>")
    return "".join(parts)


def _calibration_table(ev: Evaluation) -> str:
    return _table(
        ("confidence ≥", "share of model decisions", "right", "mails"),
        ((_n(a.threshold, 2), _pct(a.share), _pct(a.accuracy), str(a.n)) for a in ev.at_confidence),
    )


def _table(headers: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """An HTML table; cells are HTML already (escape text with `_e`, numbers with `_n`)."""
    head = "".join(f"<th>{_e(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(cells) + "</tr>" for cells in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def _t(value: object, cls: str = "") -> str:
    return f"<td class={cls}>{_e(value)}</td>" if cls else f"<td>{_e(value)}</td>"


def _n(value: float | int, digits: int = 3) -> str:
    return _t(value if isinstance(value, int) else f"{value:.{digits}f}", "num")


def _scores_table(ev: Evaluation) -> str:
    return _table(
        ("category", "precision", "recall", "F1", "support"),
        ((_t(s.category), _n(s.precision), _n(s.recall), _n(s.f1), _n(s.support)) for s in ev.per_category),
    )


def _sources_table(ev: Evaluation) -> str:
    return _table(
        ("file", "macro-F1", "accuracy", "n"),
        ((_t(name), _n(f1), _n(acc), _n(n)) for name, (f1, acc, n) in ev.by_source.items()),
    )


def _curve_table(ev: Evaluation) -> str:
    return _table(
        ("floor", "coverage", "accuracy of covered", "precision", "recall", "macro-F1"),
        (
            (
                _n(p.floor, 2),
                _t(_pct(p.coverage), "num"),
                _t(_pct(p.accuracy_covered), "num"),
                _n(p.precision),
                _n(p.recall),
                _n(p.macro_f1),
            )
            for p in ev.curve
        ),
    )


def _worst_table(ev: Evaluation) -> str:
    if not ev.worst:
        return "<p>No misclassifications.</p>"
    return _table(
        ("text", "source", "truth", "decided", "confidence", "rule"),
        (
            (
                _t(_clip(s.example.text), "text"),
                _t(s.example.source),
                _t(s.example.category),
                _t(s.decision.category),
                _n(s.decision.confidence, 2),
                _t(s.decision.rule or ""),
            )
            for s in ev.worst
        ),
    )


def _changes_table(comparison: Comparison) -> str:
    if not comparison.changes:
        return "<p>No mail changed category.</p>"
    return _table(
        ("text", "truth", "before", "now", "effect"),
        (
            (
                _t(_clip(c.example.text), "text"),
                _t(c.example.category),
                _t(c.old.category),
                _t(c.new.category),
                _t(c.effect, c.effect.split()[0]),
            )
            for c in comparison.changes
        ),
    )


def render(ev: Evaluation, comparison: Comparison | None = None, title: str = "inboxd classifier evaluation") -> str:
    at = ev.at_floor
    parts = [
        "<!DOCTYPE html><html lang=en><head><meta charset=utf-8>",
        f"<title>{_e(title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{_e(title)}</h1>",
        f"<p class=muted>{_e(ev.method)}; {len(ev.scored)} mails; "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}</p>",
        f"<p class=summary><b>macro-F1 {ev.macro_f1:.3f}</b> · accuracy {ev.accuracy:.3f} · at the floor "
        f"{ev.floor:.2f}: {_pct(at.coverage)} decided automatically, {_pct(at.accuracy_covered)} of them right; "
        f"suggested floor {ev.suggested_floor:.2f}</p>",
    ]
    if ev.predicted_outside_data:
        outside = ", ".join(f"{_e(c)}: {n}" for c, n in ev.predicted_outside_data.items())
        parts.append(f"<p>Decided as a category the data has no example of: {outside}.</p>")
    if comparison is not None:
        old = comparison.old
        parts += [
            "<h2>Compared with the previous version</h2>",
            f"<p class=summary>macro-F1 {old.macro_f1:.3f} → {ev.macro_f1:.3f} · accuracy {old.accuracy:.3f} → "
            f"{ev.accuracy:.3f} · {len(comparison.changes)} mails changed category</p>",
            _changes_table(comparison),
        ]
    parts += [
        "<h2>Per category</h2>",
        _scores_table(ev),
        "<h2>Confusion matrix</h2><p class=muted>Rows: the labelled category. Columns: the decision "
        "(after rules and the confidence floor). Shade: share of the row.</p>",
        confusion_svg(ev),
        "<h2>Precision and recall against the confidence floor</h2><p class=muted>Below the floor a mail goes "
        "to <i>other</i> for a human. Coverage: the share decided automatically.</p>",
        curve_svg(ev.curve, ev.floor, ev.suggested_floor),
        _curve_table(ev),
        "<h2>Calibration: is the confidence honest?</h2><p class=muted>Each bar: the model's decisions "
        "(rules excluded) whose confidence fell in that bin, and the share of them that were right. On the "
        f"dashed diagonal a confidence of 0.9 is right nine times in ten. Expected calibration error "
        f"<b>{ev.ece:.3f}</b> (0 is perfectly honest).</p>",
        reliability_svg(ev),
        _calibration_table(ev),
        "<h2>Per example file</h2>",
        _sources_table(ev),
        "<h2>Most confident mistakes</h2>",
        _worst_table(ev),
        "</body></html>",
    ]
    return "\n".join(parts)


def write_report(directory: Path, ev: Evaluation, comparison: Comparison | None = None) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "index.html"
    path.write_text(render(ev, comparison), encoding="utf-8")
    return path
