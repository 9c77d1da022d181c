"""The queues a person works: quarantined mail (retried from here), acknowledgements of unknown
fate or failed (resolved from here), escalated tickets, security incidents."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from inboxd.compose import open_store, retry_quarantined
from inboxd.console.web.context import Console, back_to, form_action, operator_name, signed_in
from inboxd.credentials import load_credentials
from inboxd.errors import ConfigError, InboxdError, TransientError


@signed_in
async def queues(console: Console, request: Request) -> Response:
    store = console.store
    context = {
        "quarantined": store.quarantined(),
        "unknown": store.acks("unknown") + store.acks("failed"),
        "escalated": [t for t in store.tickets(escalated=True) if t.state != "resolved"],
        "incidents": store.security_incidents(),
        "message": request.query_params.get("message", ""),
    }
    return console.page(request, "queues.html", context)


@form_action
async def resolve_ack(console: Console, request: Request, operator: str, form: dict[str, str]) -> Response:
    ack_id = int(request.path_params["ack"])
    resolution = form.get("resolution", "")
    if resolution not in ("sent", "resend", "cancel"):
        raise HTTPException(400, "resolution is sent, resend or cancel")
    if console.store.resolve_unknown(ack_id, resolution):
        console.store.audit(operator_name(operator), f"ack {resolution}", f"ack {ack_id}")
        message = f"Acknowledgement {ack_id}: {resolution}."
    else:
        message = f"Acknowledgement {ack_id} is not unknown or failed (any more)."
    return back_to("/queues", message)


@form_action
async def retry(console: Console, request: Request, operator: str, form: dict[str, str]) -> Response:
    config = console.app.config
    row = int(request.path_params["row"])

    def work() -> tuple[int, list[str]]:
        own = open_store(config)  # a thread of its own: a store of its own
        try:
            rows = own.quarantined(row)
            if not rows:
                return 0, [f"{row} is not quarantined"]
            return retry_quarantined(config, own, load_credentials(config).imap, rows)
        finally:
            own.close()

    try:
        done, problems = await run_in_threadpool(work)
    except (ConfigError, TransientError, InboxdError) as exc:
        done, problems = 0, [str(exc)]
    if done:
        console.store.audit(operator_name(operator), "quarantine retry", f"mail {row}")
    return back_to(
        "/queues", "Will be handled again on the next tick." if done else "Not retried: " + "; ".join(problems)
    )


ROUTES = [
    Route("/queues", queues, methods=["GET"]),
    Route("/acks/{ack:int}/resolve", resolve_ack, methods=["POST"]),
    Route("/quarantine/{row:int}/retry", retry, methods=["POST"]),
]
