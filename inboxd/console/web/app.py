"""The console's ASGI application: the page groups' routes, the static files, sessions, and the
security headers on every response."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from starlette.applications import Starlette
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from inboxd.compose import App
from inboxd.console import auth
from inboxd.console.lifecycle import Candidates, LiveModel, ModelFiles
from inboxd.console.web import decisions, login, overview, queues, training
from inboxd.console.web.context import Console
from inboxd.store import Store

HERE = Path(__file__).resolve().parents[1]  # inboxd/console: its templates/ and static/
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


async def _http_error(request: Request, exc: Exception) -> Response:
    status = getattr(exc, "status_code", 500)
    detail = getattr(exc, "detail", "error")
    return Console.of(request).page(request, "error.html", {"status": status, "detail": detail}, status)


def build(app: App, store: Store, token: str) -> Starlette:
    """The ASGI application over this mailbox's store and classifier folder."""
    files = ModelFiles(app.config.classifier.model_path)
    live = LiveModel(app.config.classifier.dir, files.live)
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    # Autoescaping is what keeps a customer's `<script>` a text: never run without it.
    if templates.env.autoescape is not True:
        raise RuntimeError("the console's templates must autoescape")
    templates.env.filters["when"] = _when
    routes = [
        *login.ROUTES,
        *decisions.ROUTES,
        *training.ROUTES,
        *queues.ROUTES,
        *overview.ROUTES,
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
    web = Starlette(routes=routes, middleware=middleware, exception_handlers={HTTPException: _http_error})
    web.state.console = Console(app, store, token, live, files, Candidates(live, files), templates)
    return web
