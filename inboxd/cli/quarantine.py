"""`quarantine`: mail that could not be handled — list it, and retry it after a fix."""

from __future__ import annotations

import sys

import click

from inboxd.cli.common import EXIT_CONFIG, EXIT_FAILED, Ctx, config_fail, err, fail, out, pass_ctx, record, store_of
from inboxd.errors import ConfigError, TransientError
from inboxd.health import local_time as when
from inboxd.terminal import Table, json_text


@click.group()
def quarantine() -> None:
    """Mail that could not be handled: list it, and retry it after a fix."""


@quarantine.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON lines.")
@pass_ctx
def quarantine_list(ctx: Ctx, as_json: bool) -> None:
    """Quarantined mail, with the reason; it stays on the server."""
    store = store_of(ctx, readonly=True)
    rows = store.quarantined()
    if as_json:
        for r in rows:
            print(json_text(record(r)))
        return
    table = Table("ID", "Folder", "UID", "From", "Subject", "Size", "Reason", "At", title="Quarantine")
    for r in rows:
        table.add_row(str(r.id), r.folder, str(r.uid), r.sender or "", (r.subject or "")[:40], str(r.size or ""),
                      r.reason or "", when(r.created_at))  # fmt: skip
    out.print(table)


@quarantine.command("retry")
@click.argument("row_id", type=int, required=False)
@click.option("--all", "retry_all", is_flag=True, help="Retry every quarantined mail.")
@pass_ctx
def quarantine_retry(ctx: Ctx, row_id: int | None, retry_all: bool) -> None:
    """Handle quarantined mail again on the next tick (after raising a limit or fixing a bug).

    A mail moved to the quarantine folder is moved back to the polled folder; one kept in
    place is fetched again. Nothing is deleted either way.
    """
    from inboxd.compose import retry_quarantined
    from inboxd.credentials import load_credentials

    if (row_id is None) == (not retry_all):
        fail(EXIT_CONFIG, "give one quarantine ID (see `inboxd quarantine list`) or --all")
    app = ctx.app(with_model=False)
    store = store_of(ctx)
    rows = store.quarantined(None if retry_all else row_id)
    if not rows:
        fail(EXIT_FAILED, "nothing to retry" if retry_all else f"{row_id} is not quarantined")
    try:
        done, problems = retry_quarantined(app.config, store, load_credentials(app.config).imap, rows)
    except ConfigError as exc:
        config_fail(exc)
    except TransientError as exc:
        fail(EXIT_FAILED, f"IMAP: {exc}")
    for message in problems:
        err.print(f"not retried: {message}")
    out.print(f"{done} message(s) will be handled again on the next tick")
    if problems:
        sys.exit(EXIT_FAILED)
