"""Logging in and out: the login form (name and token, slowed down when wrong) and the session it makes."""

from __future__ import annotations

import asyncio
import time

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from inboxd.console import auth
from inboxd.console.web.context import Console, form_action


async def login_page(request: Request) -> Response:
    target = safe_next(request.query_params.get("next", "/"))
    return Console.of(request).page(request, "login.html", {"next": target, "error": ""})


async def login(request: Request) -> Response:
    console = Console.of(request)
    form = await request.form()
    fields = {k: v for k, v in form.items() if isinstance(v, str)}
    target = safe_next(fields.get("next", "/"))
    if not auth.csrf_matches(request.session.get("csrf"), fields.get("csrf")):
        return console.page(request, "login.html", {"next": target, "error": "The form expired: try again."}, 403)
    name = auth.operator_name(fields.get("name", ""))
    if name is None or not auth.token_matches(fields.get("token", ""), console.token):
        await asyncio.sleep(1.0)  # slows down guessing
        console.store.audit(name or "-", "login refused")
        error = "Unknown name or token." if name else "A name is 1-64 letters, digits, '.', '_', '@' or '-'."
        return console.page(request, "login.html", {"next": target, "error": error}, 401)
    request.session.clear()
    request.session.update({"who": name, "csrf": auth.new_csrf(), "at": time.time()})
    console.store.audit(name, "login")
    return RedirectResponse(target, status_code=303)


@form_action
async def logout(console: Console, request: Request, operator: str, form: dict[str, str]) -> Response:
    console.store.audit(operator, "logout")
    request.session.clear()
    return RedirectResponse("/login", status_code=303)


def safe_next(target: str) -> str:
    """Only a path of this site after login: never `//evil.example` or a full URL (open redirect)."""
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


ROUTES = [
    Route("/login", login_page, methods=["GET"]),
    Route("/login", login, methods=["POST"]),
    Route("/logout", logout, methods=["POST"]),
]
