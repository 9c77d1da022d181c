"""What every page of the console needs: the state one console process serves from (`Console`),
who is asking (a session or a bearer token), the session's CSRF token, and the page frame.

`signed_in` and `form_action` wrap a page group's endpoints: a page is for operators only, and an
action (a POST) also needs, from a session, the session's CSRF token.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.templating import Jinja2Templates

from inboxd.compose import App
from inboxd.console import auth
from inboxd.console.lifecycle import Candidates, LiveModel, ModelFiles, model_id
from inboxd.store import Store

Endpoint = Callable[[Request], Awaitable[Response]]


@dataclass
class Console:
    """The state one console process serves from."""

    app: App
    store: Store
    token: str
    live: LiveModel
    files: ModelFiles
    candidates: Candidates
    templates: Jinja2Templates

    @staticmethod
    def of(request: Request) -> Console:
        console: Console = request.app.state.console
        return console

    def who(self, request: Request) -> str | None:
        """The operator asking: a session's name, or a bearer's `<name> (token)`; None: nobody known."""
        header = request.headers.get("authorization", "")
        if header[:7].lower() == "bearer ":
            if not auth.token_matches(header[7:].strip(), self.token):
                return None
            named = auth.operator_name(request.headers.get("x-inboxd-operator", ""))
            return f"{named or 'api'} (token)"
        name = request.session.get("who")
        return name if isinstance(name, str) and name else None

    def page(self, request: Request, name: str, context: dict[str, Any], status: int = 200) -> Response:
        base = {
            "who": self.who(request),
            "csrf": csrf(request) if not is_bearer(request) else "",
            "live_id": model_id(self.files.live) or "none",
            "mailbox": self.app.config.name,
        }
        return self.templates.TemplateResponse(request, name, base | context, status_code=status)

    async def posted(self, request: Request) -> tuple[str, dict[str, str]]:
        """The operator and form of a POST; 401 without credentials, 403 without the session's CSRF token."""
        operator = self.who(request)
        if operator is None:
            raise HTTPException(401, "unauthorised")
        form = await request.form()
        fields = {k: v for k, v in form.items() if isinstance(v, str)}
        if not is_bearer(request) and not auth.csrf_matches(request.session.get("csrf"), fields.get("csrf")):
            raise HTTPException(403, "missing or wrong CSRF token: reload the page and try again")
        return operator, fields


def is_bearer(request: Request) -> bool:
    return request.headers.get("authorization", "")[:7].lower() == "bearer "


def csrf(request: Request) -> str:
    """The session's CSRF token, made on first use."""
    value = request.session.get("csrf")
    if not isinstance(value, str) or not value:
        value = auth.new_csrf()
        request.session["csrf"] = value
    return value


def login_redirect(request: Request) -> Response:
    """To the login form, and back here after it; a bearer script gets 401."""
    if is_bearer(request):
        return Response("unauthorised\n", status_code=401, headers={"www-authenticate": "Bearer"})
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse("/login?" + urlencode({"next": target}), status_code=303)


def signed_in(page: Callable[[Console, Request], Awaitable[Response]]) -> Endpoint:
    """A page for operators only: without credentials, the login form."""

    @functools.wraps(page)
    async def endpoint(request: Request) -> Response:
        console = Console.of(request)
        if console.who(request) is None:
            return login_redirect(request)
        return await page(console, request)

    return endpoint


def form_action(action: Callable[[Console, Request, str, dict[str, str]], Awaitable[Response]]) -> Endpoint:
    """An operator's action (a POST): called with the operator and the form (see `Console.posted`)."""

    @functools.wraps(action)
    async def endpoint(request: Request) -> Response:
        console = Console.of(request)
        operator, form = await console.posted(request)
        return await action(console, request, operator, form)

    return endpoint


def back_to(path: str, message: str) -> Response:
    """After an action: the page it was taken on, saying what happened."""
    return RedirectResponse(f"{path}?" + urlencode({"message": message}), 303)


def operator_name(operator: str) -> str:
    """The operator's name as corrections.csv's `who` takes it (a bearer's "(token)" dropped)."""
    return operator.removesuffix(" (token)")
