"""The model: the live one, training a candidate in the background and comparing it (on the
operators' corrections, optionally cross-validated), promoting it and rolling back."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from inboxd.console.lifecycle import ModelFiles, model_id, promote, roll_back
from inboxd.console.web.context import Console, back_to, form_action, operator_name, signed_in
from inboxd.errors import InboxdError


@signed_in
async def model_page(console: Console, request: Request) -> Response:
    files = console.files
    classifier = await run_in_threadpool(console.live.get)
    job = console.candidates.job
    report = job.report if job.state == "done" else None
    corrections_file = console.app.config.classifier.dir / "examples" / "corrections.csv"
    meta = classifier.model.meta if classifier else {}
    context: dict[str, Any] = {
        "meta": meta,
        "problem": console.live.problem,
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
    return console.page(request, "model.html", context)


async def model_progress(request: Request) -> Response:
    console = Console.of(request)
    if console.who(request) is None:  # polled by the page's script: an answer it can read, not a redirect
        return JSONResponse({"error": "unauthorised"}, status_code=401)
    return JSONResponse(console.candidates.job.snapshot())


@form_action
async def model_train(console: Console, request: Request, operator: str, form: dict[str, str]) -> Response:
    recent = console.store.kept_texts()
    folds = 3 if form.get("cross_validate") else 0
    started = console.candidates.start(operator, lambda: recent, folds)
    if started:
        console.store.audit(
            operator_name(operator), "train candidate", "", f"compared on {len(recent)} recent decisions"
        )
    return back_to("/model", "Training started." if started else "A training is already running.")


async def _swap(
    console: Console, operator: str, swap: Callable[[ModelFiles], str], action: str, detail: str, message: str
) -> Response:
    """Promote or roll back: swap the model files, forget the cached live model, audit it."""
    before = model_id(console.files.live) or "none"
    try:
        after = await run_in_threadpool(swap, console.files)
    except InboxdError as exc:
        return back_to("/model", str(exc))
    console.live.invalidate()
    console.store.audit(operator_name(operator), action, after, detail.format(before=before))
    return back_to("/model", message.format(after=after))


@form_action
async def model_promote(console: Console, request: Request, operator: str, form: dict[str, str]) -> Response:
    return await _swap(
        console, operator, promote, "promote", "previous live model {before}", "Promoted {after}: it is the live model."
    )


@form_action
async def model_rollback(console: Console, request: Request, operator: str, form: dict[str, str]) -> Response:
    return await _swap(console, operator, roll_back, "roll back", "replaced {before}", "Rolled back: {after} is live.")


ROUTES = [
    Route("/model", model_page, methods=["GET"]),
    Route("/model/progress", model_progress, methods=["GET"]),
    Route("/model/train", model_train, methods=["POST"]),
    Route("/model/promote", model_promote, methods=["POST"]),
    Route("/model/rollback", model_rollback, methods=["POST"]),
]
