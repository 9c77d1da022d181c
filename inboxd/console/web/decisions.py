"""The decisions (filtered, a page at a time), one decision with what the model read and why, its
correction, and the tickets."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from inboxd.console.corrections import correct
from inboxd.console.web.context import Console, back_to, form_action, operator_name, signed_in
from inboxd.store import DecisionFilter
from inboxd.store.console import BANDS

PAGE_SIZE = 500


def _flag(request: Request, name: str) -> bool:
    return request.query_params.get(name, "") in ("1", "on", "true")


@signed_in
async def decisions(console: Console, request: Request) -> Response:
    q = request.query_params
    where = DecisionFilter(
        category=q.get("category", ""),
        language=q.get("language", ""),
        band=q.get("band", "") if q.get("band", "") in BANDS else "",
        by=q.get("by", "") if q.get("by", "") in ("rule", "model") else "",
        sender=q.get("sender", ""),
        escalated=_flag(request, "escalated"),
        security=_flag(request, "security"),
        missing=_flag(request, "missing"),
        ticket=q.get("ticket", ""),
    )
    try:
        offset = max(0, int(q.get("offset", "0")))
    except ValueError:
        offset = 0
    rows = console.store.decisions(where, PAGE_SIZE + 1, offset)
    more = len(rows) > PAGE_SIZE
    context = {
        "rows": rows[:PAGE_SIZE],
        "where": where,
        "values": console.store.decision_values(),
        "bands": list(BANDS),
        "offset": offset,
        "next_offset": offset + PAGE_SIZE if more else None,
        "query": {k: v for k, v in q.items() if k != "offset"},
    }
    return console.page(request, "decisions.html", context)


@signed_in
async def decision_page(console: Console, request: Request) -> Response:
    store, assets = console.store, console.app.assets
    row = int(request.path_params["row"])
    d = store.decision(row)
    if d is None:
        raise HTTPException(404, f"no decided mail {row}")
    explanation, rule_pattern, problem = None, None, ""
    classifier = await run_in_threadpool(console.live.get)
    if d.get("rule"):
        rule_pattern = next((r.pattern.pattern for r in assets.rules if r.name == d["rule"]), None)
    if classifier is None:
        problem = f"the live model cannot be loaded: {console.live.problem}"
    elif d.get("model_text"):
        explanation = classifier.explain(str(d["model_text"]))
    ticket = store.ticket(d["ticket_ref"]) if d.get("ticket_ref") else None
    intents = sorted({label for label in (classifier.model.labels if classifier else ()) if "/" in label})
    context = {
        "d": d,
        "explanation": explanation,
        "rule_pattern": rule_pattern,
        "problem": problem,
        "ticket": ticket,
        "categories": list(assets.categories),
        "intents": intents,
        "message": request.query_params.get("message", ""),
    }
    return console.page(request, "decision.html", context)


@form_action
async def correct_decision(console: Console, request: Request, operator: str, form: dict[str, str]) -> Response:
    row = int(request.path_params["row"])
    category, intent = form.get("category", ""), form.get("intent", "")
    try:
        done = correct(console.store, console.app.assets, row, category, intent, operator_name(operator))
    except ValueError as exc:
        return back_to(f"/decisions/{row}", f"Not recorded: {exc}")
    message = f"Corrected to {done.category}{'/' + done.intent if done.intent else ''}: added to corrections.csv"
    return back_to(f"/decisions/{row}", message)


@signed_in
async def tickets_page(console: Console, request: Request) -> Response:
    state = request.query_params.get("state") or None
    return console.page(request, "tickets.html", {"tickets": console.store.tickets(state=state), "state": state or ""})


@signed_in
async def ticket_page(console: Console, request: Request) -> Response:
    t = console.store.ticket(str(request.path_params["ref"]))
    if t is None:
        raise HTTPException(404, "no such ticket")
    return console.page(request, "ticket.html", {"t": t})


ROUTES = [
    Route("/", decisions, methods=["GET"]),
    Route("/decisions/{row:int}", decision_page, methods=["GET"]),
    Route("/decisions/{row:int}/correct", correct_decision, methods=["POST"]),
    Route("/tickets", tickets_page, methods=["GET"]),
    Route("/tickets/{ref}", ticket_page, methods=["GET"]),
]
