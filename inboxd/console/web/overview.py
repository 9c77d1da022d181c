"""The pages that look across the mail: the dashboard (volume, missing information, time to
acknowledge), trying a rule on the kept texts, the templates as customers see them, the audit log."""

from __future__ import annotations

import time
from collections import defaultdict
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from inboxd.assets import mail_pattern
from inboxd.console import plots
from inboxd.console.gallery import samples
from inboxd.console.web.context import Console, signed_in
from inboxd.errors import Problem

DAYS_BACK = 30


@signed_in
async def dashboard(console: Console, request: Request) -> Response:
    store = console.store
    since = (time.time() // 86400 - DAYS_BACK + 1) * 86400
    volume = store.daily_volume(since)
    days = list(range(int(since // 86400), int(time.time() // 86400) + 1))
    by_category: dict[str, list[float]] = defaultdict(lambda: [0.0] * len(days))
    by_language: dict[str, list[float]] = defaultdict(lambda: [0.0] * len(days))
    total, incomplete = [0] * len(days), [0] * len(days)
    for v in volume:
        i = int(v["day"]) - days[0]
        by_category[v["category"]][i] += v["n"]
        by_language[v["language"] or "?"][i] += v["n"]
        total[i] += v["n"]
        incomplete[i] += v["incomplete"]
    delays: dict[int, list[float]] = defaultdict(list)
    for day, seconds in store.ack_delays(since):
        delays[day].append(seconds)
    median = [_median(delays[d]) for d in days]
    rates = [m / t if t else None for m, t in zip(incomplete, total, strict=True)]
    context = {
        "volume_category": plots.stacked_bars("mail per day by category", days, dict(sorted(by_category.items()))),
        "volume_language": plots.stacked_bars("mail per day by language", days, dict(sorted(by_language.items()))),
        "missing_rate": plots.line("share of mail missing information", days, rates),
        "ack_delay": plots.line("median seconds to acknowledge", days, median, " s"),
        "total": sum(total),
        "counts": store.counts(),
    }
    return console.page(request, "dashboard.html", context)


@signed_in
async def rules(console: Console, request: Request) -> Response:
    """A rule tried on the kept texts before it goes into rules.toml: which decisions it would change."""
    assets = console.app.assets
    pattern = request.query_params.get("pattern", "")
    category = request.query_params.get("category", "")
    result: list[dict[str, Any]] = []
    problems: list[str] = []
    tried = 0
    if pattern:
        found: list[Problem] = []
        compiled = mail_pattern(pattern, "rule", "pattern", found)
        if category not in assets.categories:
            problems.append(f"unknown category {category!r}")
        if compiled is None:
            problems.extend(p.reason for p in found)
        else:
            rows = console.store.kept_texts()
            tried = len(rows)
            for r in rows:
                text = str(r["model_text"])
                if compiled.search(text):
                    r["changes"] = r["category"] != category
                    result.append(r)
    context = {
        "pattern": pattern,
        "category": category,
        "categories": list(assets.categories),
        "result": result,
        "changes": sum(1 for r in result if r["changes"]),
        "problems": problems,
        "tried": tried,
        "rules": assets.rules,
    }
    return console.page(request, "rules.html", context)


@signed_in
async def templates_page(console: Console, request: Request) -> Response:
    return console.page(request, "templates.html", {"samples": await run_in_threadpool(samples, console.app)})


@signed_in
async def audit_page(console: Console, request: Request) -> Response:
    return console.page(request, "audit.html", {"entries": console.store.audit_log()})


def _median(values: list[float]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


ROUTES = [
    Route("/dashboard", dashboard, methods=["GET"]),
    Route("/rules", rules, methods=["GET"]),
    Route("/templates", templates_page, methods=["GET"]),
    Route("/audit", audit_page, methods=["GET"]),
]
