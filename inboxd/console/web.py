"""The console's web application: pages, forms and the security around them (the only Starlette importer).

Security, since an exchange's operators are a phishing target too:
- every page but the login form and the static files needs the operators' token: a session
  (a cookie signed with a key derived from the token, HttpOnly, SameSite=Strict) made by the
  login form, or `Authorization: Bearer <token>` for scripts;
- every POST from a session carries the session's CSRF token (a bearer request has no
  ambient authority and needs none);
- Content-Security-Policy allows scripts, styles and images from the console itself only
  (no inline script or style), and no framing; the pages are never cached;
- templates autoescape: a subject `<script>…` is shown as text; the plots escape their labels;
- no page shows a secret: customer secrets never reach the store, and the token is never
  put in a page, a cookie or a log;
- every operator action (login, correct, train, promote, roll back, resolve, retry) goes to
  the audit log (`console_audit`) with who and when.

Store access happens on the event loop (async endpoints), one request at a time; work that
may wait on a server (IMAP, for a quarantine retry) runs in a thread with its own store.
"""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from inboxd.assets import mail_pattern
from inboxd.console import auth, plots
from inboxd.console.corrections import correct
from inboxd.console.gallery import samples
from inboxd.console.lifecycle import Candidates, LiveModel, ModelFiles, model_id, promote, roll_back
from inboxd.credentials import load_credentials
from inboxd.daemon import App, open_store, retry_quarantined
from inboxd.errors import ConfigError, InboxdError, TransientError
from inboxd.store import DecisionFilter, Store
from inboxd.store.console import BANDS

HERE = Path(__file__).resolve().parent
PAGE_SIZE = 500
SESSION_SECONDS = 12 * 3600
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
SECURITY_HEADERS = {
    "content-security-policy": CSP,
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "cache-control": "no-store",
    "cross-origin-opener-policy": "same-origin",
}


class SecurityHeaders:
    """Adds the security headers to every response, errors and static files included."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers[name] = value
            await send(message)

        await self.app(scope, receive, with_headers)


def _when(ts: float | None) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M") if ts else ""


@dataclass
class Console:
    """The state one console process serves from."""

    app: App
    store: Store
    token: str
    live: LiveModel
    files: ModelFiles
    candidates: Candidates


def _flag(request: Request, name: str) -> bool:
    return request.query_params.get(name, "") in ("1", "on", "true")


def build(app: App, store: Store, token: str) -> Starlette:
    """The ASGI application over this mailbox's store and classifier folder."""
    files = ModelFiles(app.config.classifier.model_path)
    live = LiveModel(app.config.classifier.dir, files.live)
    console = Console(app, store, token, live, files, Candidates(live, files))
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    # Autoescaping is what keeps a customer's `<script>` a text: never run without it.
    if templates.env.autoescape is not True:
        raise RuntimeError("the console's templates must autoescape")
    templates.env.filters["when"] = _when

    def who(request: Request) -> str | None:
        header = request.headers.get("authorization", "")
        if header[:7].lower() == "bearer ":
            if not auth.token_matches(header[7:].strip(), token):
                return None
            named = auth.operator_name(request.headers.get("x-inboxd-operator", ""))
            return f"{named or 'api'} (token)"
        name = request.session.get("who")
        return name if isinstance(name, str) and name else None

    def is_bearer(request: Request) -> bool:
        return request.headers.get("authorization", "")[:7].lower() == "bearer "

    def csrf(request: Request) -> str:
        value = request.session.get("csrf")
        if not isinstance(value, str) or not value:
            value = auth.new_csrf()
            request.session["csrf"] = value
        return value

    def page(request: Request, name: str, context: dict[str, Any], status: int = 200) -> Response:
        base = {
            "who": who(request),
            "csrf": csrf(request) if not is_bearer(request) else "",
            "live_id": model_id(files.live) or "none",
            "mailbox": app.config.name,
        }
        return templates.TemplateResponse(request, name, base | context, status_code=status)

    def login_redirect(request: Request) -> Response:
        if is_bearer(request):
            return Response("unauthorised\n", status_code=401, headers={"www-authenticate": "Bearer"})
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse("/login?" + urlencode({"next": target}), status_code=303)

    async def posted(request: Request) -> tuple[str, dict[str, str]]:
        """The operator and form of a POST; 401 without credentials, 403 without the session's CSRF token."""
        operator = who(request)
        if operator is None:
            raise HTTPException(401, "unauthorised")
        form = await request.form()
        fields = {k: v for k, v in form.items() if isinstance(v, str)}
        if not is_bearer(request) and not auth.csrf_matches(request.session.get("csrf"), fields.get("csrf")):
            raise HTTPException(403, "missing or wrong CSRF token: reload the page and try again")
        return operator, fields

    # -- login ---------------------------------------------------------------------------------

    async def login_page(request: Request) -> Response:
        return page(request, "login.html", {"next": _safe_next(request.query_params.get("next", "/")), "error": ""})

    async def login(request: Request) -> Response:
        form = await request.form()
        fields = {k: v for k, v in form.items() if isinstance(v, str)}
        target = _safe_next(fields.get("next", "/"))
        if not auth.csrf_matches(request.session.get("csrf"), fields.get("csrf")):
            return page(request, "login.html", {"next": target, "error": "The form expired: try again."}, 403)
        name = auth.operator_name(fields.get("name", ""))
        if name is None or not auth.token_matches(fields.get("token", ""), token):
            await asyncio.sleep(1.0)  # slows down guessing
            store.audit(name or "-", "login refused")
            error = "Unknown name or token." if name else "A name is 1-64 letters, digits, '.', '_', '@' or '-'."
            return page(request, "login.html", {"next": target, "error": error}, 401)
        request.session.clear()
        request.session.update({"who": name, "csrf": auth.new_csrf(), "at": time.time()})
        store.audit(name, "login")
        return RedirectResponse(target, status_code=303)

    async def logout(request: Request) -> Response:
        operator, _ = await posted(request)
        store.audit(operator, "logout")
        request.session.clear()
        return RedirectResponse("/login", status_code=303)

    # -- decisions -----------------------------------------------------------------------------

    async def decisions(request: Request) -> Response:
        if who(request) is None:
            return login_redirect(request)
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
        rows = store.decisions(where, PAGE_SIZE + 1, offset)
        more = len(rows) > PAGE_SIZE
        context = {
            "rows": rows[:PAGE_SIZE],
            "where": where,
            "values": store.decision_values(),
            "bands": list(BANDS),
            "offset": offset,
            "next_offset": offset + PAGE_SIZE if more else None,
            "query": {k: v for k, v in q.items() if k != "offset"},
        }
        return page(request, "decisions.html", context)

    async def decision_page(request: Request) -> Response:
        if who(request) is None:
            return login_redirect(request)
        row = int(request.path_params["row"])
        d = store.decision(row)
        if d is None:
            raise HTTPException(404, f"no decided mail {row}")
        explanation, rule_pattern, problem = None, None, ""
        classifier = await run_in_threadpool(live.get)
        if d.get("rule"):
            rule_pattern = next((r.pattern.pattern for r in app.assets.rules if r.name == d["rule"]), None)
        if classifier is None:
            problem = f"the live model cannot be loaded: {live.problem}"
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
            "categories": list(app.assets.categories),
            "intents": intents,
            "message": request.query_params.get("message", ""),
        }
        return page(request, "decision.html", context)

    async def correct_decision(request: Request) -> Response:
        operator, form = await posted(request)
        row = int(request.path_params["row"])
        try:
            done = correct(store, app.assets, row, form.get("category", ""), form.get("intent", ""), _name(operator))
        except ValueError as exc:
            return RedirectResponse(f"/decisions/{row}?" + urlencode({"message": f"Not recorded: {exc}"}), 303)
        message = f"Corrected to {done.category}{'/' + done.intent if done.intent else ''}: added to corrections.csv"
        return RedirectResponse(f"/decisions/{row}?" + urlencode({"message": message}), 303)

    # -- tickets -------------------------------------------------------------------------------

    async def tickets_page(request: Request) -> Response:
        if who(request) is None:
            return login_redirect(request)
        state = request.query_params.get("state") or None
        return page(request, "tickets.html", {"tickets": store.tickets(state=state), "state": state or ""})

    async def ticket_page(request: Request) -> Response:
        if who(request) is None:
            return login_redirect(request)
        t = store.ticket(str(request.path_params["ref"]))
        if t is None:
            raise HTTPException(404, "no such ticket")
        return page(request, "ticket.html", {"t": t})

    # -- the model -----------------------------------------------------------------------------

    async def model_page(request: Request) -> Response:
        if who(request) is None:
            return login_redirect(request)
        classifier = await run_in_threadpool(live.get)
        job = console.candidates.job
        report = job.report if job.state == "done" else None
        corrections_file = app.config.classifier.dir / "examples" / "corrections.csv"
        meta = classifier.model.meta if classifier else {}
        context = {
            "meta": meta,
            "problem": live.problem,
            "job": job.snapshot(),
            "job_who": job.who,
            "report": report,
            "counts": report.counts() if report else {},
            "on_corrections": report.correction_counts() if report else {},
            "candidate_id": model_id(files.candidate),
            "previous_id": model_id(files.previous),
            "corrections_newer": corrections_file.exists()
            and (not files.live.exists() or corrections_file.stat().st_mtime > files.live.stat().st_mtime),
            "message": request.query_params.get("message", ""),
        }
        if report and report.corrections:
            from inboxd.report import confusion_svg, reliability_svg  # noqa: PLC0415 - only for this page

            context["confusion_old"] = confusion_svg(report.corrections.old)
            context["confusion_new"] = confusion_svg(report.corrections.new)
            # Is each model's confidence honest on the mails it was corrected on?
            context["reliability_old"] = reliability_svg(report.corrections.old)
            context["reliability_new"] = reliability_svg(report.corrections.new)
        if report and report.cross_validated:
            from inboxd.report import reliability_svg  # noqa: PLC0415 - only for this page

            context["reliability_cv"] = reliability_svg(report.cross_validated.new)
        return page(request, "model.html", context)

    async def model_progress(request: Request) -> Response:
        if who(request) is None:
            return JSONResponse({"error": "unauthorised"}, status_code=401)
        return JSONResponse(console.candidates.job.snapshot())

    async def model_train(request: Request) -> Response:
        operator, form = await posted(request)
        recent = store.kept_texts()
        folds = 3 if form.get("cross_validate") else 0
        started = console.candidates.start(operator, lambda: recent, folds)
        if started:
            store.audit(_name(operator), "train candidate", "", f"compared on {len(recent)} recent decisions")
        message = "Training started." if started else "A training is already running."
        return RedirectResponse("/model?" + urlencode({"message": message}), 303)

    async def swap_model(
        request: Request, swap: Callable[[ModelFiles], str], action: str, detail: str, message: str
    ) -> Response:
        """Promote or roll back: swap the model files, forget the cached live model, audit it."""
        operator, _ = await posted(request)
        before = model_id(files.live) or "none"
        try:
            after = await run_in_threadpool(swap, files)
        except InboxdError as exc:
            return RedirectResponse("/model?" + urlencode({"message": str(exc)}), 303)
        live.invalidate()
        store.audit(_name(operator), action, after, detail.format(before=before))
        return RedirectResponse("/model?" + urlencode({"message": message.format(after=after)}), 303)

    async def model_promote(request: Request) -> Response:
        return await swap_model(
            request, promote, "promote", "previous live model {before}", "Promoted {after}: it is the live model."
        )

    async def model_rollback(request: Request) -> Response:
        return await swap_model(request, roll_back, "roll back", "replaced {before}", "Rolled back: {after} is live.")

    # -- queues --------------------------------------------------------------------------------

    async def queues(request: Request) -> Response:
        if who(request) is None:
            return login_redirect(request)
        context = {
            "quarantined": store.quarantined(),
            "unknown": store.acks("unknown") + store.acks("failed"),
            "escalated": [t for t in store.tickets(escalated=True) if t.state != "resolved"],
            "incidents": store.security_incidents(),
            "message": request.query_params.get("message", ""),
        }
        return page(request, "queues.html", context)

    async def resolve_ack(request: Request) -> Response:
        operator, form = await posted(request)
        ack_id = int(request.path_params["ack"])
        resolution = form.get("resolution", "")
        if resolution not in ("sent", "resend", "cancel"):
            raise HTTPException(400, "resolution is sent, resend or cancel")
        if store.resolve_unknown(ack_id, resolution):
            store.audit(_name(operator), f"ack {resolution}", f"ack {ack_id}")
            message = f"Acknowledgement {ack_id}: {resolution}."
        else:
            message = f"Acknowledgement {ack_id} is not unknown or failed (any more)."
        return RedirectResponse("/queues?" + urlencode({"message": message}), 303)

    async def retry(request: Request) -> Response:
        operator, _ = await posted(request)
        row = int(request.path_params["row"])

        def work() -> tuple[int, list[str]]:
            own = open_store(app.config)  # a thread of its own: a store of its own
            try:
                rows = own.quarantined(row)
                if not rows:
                    return 0, [f"{row} is not quarantined"]
                return retry_quarantined(app.config, own, load_credentials(app.config).imap, rows)
            finally:
                own.close()

        try:
            done, problems = await run_in_threadpool(work)
        except (ConfigError, TransientError, InboxdError) as exc:
            done, problems = 0, [str(exc)]
        if done:
            store.audit(_name(operator), "quarantine retry", f"mail {row}")
        message = "Will be handled again on the next tick." if done else "Not retried: " + "; ".join(problems)
        return RedirectResponse("/queues?" + urlencode({"message": message}), 303)

    # -- dashboard, rules, templates, audit -----------------------------------------------------

    async def dashboard(request: Request) -> Response:
        if who(request) is None:
            return login_redirect(request)
        days_back = 30
        since = (time.time() // 86400 - days_back + 1) * 86400
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
            "missing_rate": plots.line(
                "share of mail missing information",
                days,
                rates,
            ),
            "ack_delay": plots.line("median seconds to acknowledge", days, median, " s"),
            "total": sum(total),
            "counts": store.counts(),
        }
        return page(request, "dashboard.html", context)

    async def rules(request: Request) -> Response:
        if who(request) is None:
            return login_redirect(request)
        pattern = request.query_params.get("pattern", "")
        category = request.query_params.get("category", "")
        result: list[dict[str, Any]] = []
        problems: list[str] = []
        tried = 0
        if pattern:
            found: list[Any] = []
            compiled = mail_pattern(pattern, "rule", "pattern", found)
            if category not in app.assets.categories:
                problems.append(f"unknown category {category!r}")
            if compiled is None:
                problems.extend(p.reason for p in found)
            else:
                rows = store.kept_texts()
                tried = len(rows)
                for r in rows:
                    text = str(r["model_text"])
                    if compiled.search(text):
                        r["changes"] = r["category"] != category
                        result.append(r)
        context = {
            "pattern": pattern,
            "category": category,
            "categories": list(app.assets.categories),
            "result": result,
            "changes": sum(1 for r in result if r["changes"]),
            "problems": problems,
            "tried": tried,
            "rules": app.assets.rules,
        }
        return page(request, "rules.html", context)

    async def templates_page(request: Request) -> Response:
        if who(request) is None:
            return login_redirect(request)
        return page(request, "templates.html", {"samples": await run_in_threadpool(samples, app)})

    async def audit_page(request: Request) -> Response:
        if who(request) is None:
            return login_redirect(request)
        return page(request, "audit.html", {"entries": store.audit_log()})

    async def http_error(request: Request, exc: Exception) -> Response:
        status = getattr(exc, "status_code", 500)
        detail = getattr(exc, "detail", "error")
        return page(request, "error.html", {"status": status, "detail": detail}, status)

    routes = [
        Route("/login", login_page, methods=["GET"]),
        Route("/login", login, methods=["POST"]),
        Route("/logout", logout, methods=["POST"]),
        Route("/", decisions, methods=["GET"]),
        Route("/decisions/{row:int}", decision_page, methods=["GET"]),
        Route("/decisions/{row:int}/correct", correct_decision, methods=["POST"]),
        Route("/tickets", tickets_page, methods=["GET"]),
        Route("/tickets/{ref}", ticket_page, methods=["GET"]),
        Route("/model", model_page, methods=["GET"]),
        Route("/model/progress", model_progress, methods=["GET"]),
        Route("/model/train", model_train, methods=["POST"]),
        Route("/model/promote", model_promote, methods=["POST"]),
        Route("/model/rollback", model_rollback, methods=["POST"]),
        Route("/queues", queues, methods=["GET"]),
        Route("/acks/{ack:int}/resolve", resolve_ack, methods=["POST"]),
        Route("/quarantine/{row:int}/retry", retry, methods=["POST"]),
        Route("/dashboard", dashboard, methods=["GET"]),
        Route("/rules", rules, methods=["GET"]),
        Route("/templates", templates_page, methods=["GET"]),
        Route("/audit", audit_page, methods=["GET"]),
        Mount("/static", StaticFiles(directory=str(HERE / "static")), name="static"),
    ]
    middleware = [
        Middleware(SecurityHeaders),
        Middleware(
            SessionMiddleware,
            secret_key=auth.session_key(token),
            session_cookie="inboxd_console",
            max_age=SESSION_SECONDS,
            same_site="strict",
        ),
    ]
    web = Starlette(routes=routes, middleware=middleware, exception_handlers={HTTPException: http_error})
    web.state.console = console
    return web


def _name(operator: str) -> str:
    """The operator's name as corrections.csv's `who` takes it (a bearer's "(token)" dropped)."""
    return operator.removesuffix(" (token)")


def _safe_next(target: str) -> str:
    """Only a path of this site after login: never `//evil.example` or a full URL (open redirect)."""
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def _median(values: list[float]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2
