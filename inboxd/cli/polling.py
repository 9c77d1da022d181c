"""`run` (the daemon) and `poll` (one tick now, for cron or a first look): the commands that act."""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import click

from inboxd.cli.common import (
    EXIT_FAILED,
    EXIT_LEASE,
    EXIT_STORE,
    Ctx,
    config_fail,
    err,
    fail,
    out,
    pass_ctx,
    record,
)
from inboxd.cli.shadow import dry_run as _dry_run
from inboxd.errors import ConfigError, FolderMissing, StoreError, TransientError
from inboxd.health import add_reports
from inboxd.terminal import Table, json_text, styled

if TYPE_CHECKING:
    from inboxd.store.rows import MessageRow


@click.command()
@pass_ctx
def run(ctx: Ctx) -> None:
    """Run the daemon: every mailbox on its schedule (and IDLE) until SIGTERM or SIGINT; SIGHUP reloads."""
    from inboxd.credentials import load_credentials
    from inboxd.daemon import Service

    apps = ctx.apps()
    try:
        for app in apps:
            load_credentials(app.config)
        service = Service(ctx.config_path, apps)
    except ConfigError as exc:
        config_fail(exc)
    except StoreError as exc:
        fail(EXIT_STORE, str(exc))
    try:
        code = service.run()
    except StoreError as exc:  # a store that cannot be opened when the workers start
        fail(EXIT_STORE, str(exc))
    sys.exit(code)


def _summary_table(rows: list[MessageRow]) -> Table:
    table = Table(title="Messages handled", show_lines=False)
    for column in ("UID", "From", "Subject", "Lang", "Category", "Missing", "Outcome", "Ticket"):
        table.add_column(column, overflow="fold")
    for r in rows:
        category = f"{r.category} ({r.confidence:.2f})" if r.category and r.confidence is not None else r.category or ""
        if r.action == "ack":
            outcome = f"ack {r.ack_state or ''}".strip()
        elif r.action == "skip":
            outcome = f"skipped: {r.skip_reason}"
        else:
            outcome = f"quarantined: {r.reason}"
        table.add_row(
            str(r.uid),
            r.sender or "",
            (r.subject or "")[:60],
            r.language or "",
            category,
            ", ".join(r.missing),
            outcome,
            r.ticket_ref or "",
        )
    return table


@click.command()
@click.option(
    "--dry-run",
    is_flag=True,
    help="Shadow mode: decide and show what would be sent; send, mark and store nothing.",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of tables.")
@click.option("--mailbox", help="Only this mailbox (a [[mailbox]] name, or 'default' for [imap]).")
@pass_ctx
def poll(ctx: Ctx, dry_run: bool, as_json: bool, mailbox: str | None) -> None:
    """Run one tick now on every mailbox (or one), then print what happened to each message."""
    from inboxd.compose import LeaseHeld, open_store, poll_once
    from inboxd.processing import TickReport

    apps = ctx.apps(mailbox=mailbox)
    if dry_run:
        for app in apps:
            _dry_run(app, as_json)
        return
    started = time.monotonic()
    report = TickReport()
    rows: list[MessageRow] = []
    decided: list[tuple[Any, Sequence[int]]] = []  # (app, store rows): --json reads them back in chunks
    failures: list[tuple[int, str]] = []
    for app in apps:
        try:
            store = open_store(app.config)
        except StoreError as exc:
            fail(EXIT_STORE, str(exc))
        try:
            tick_started = time.monotonic()
            one = poll_once(app, store)
            # Recorded as the daemon's ticks record it (inboxd.daemon.Worker): `inboxd status`
            # is right whether the mailbox is polled by `inboxd run` or by cron.
            store.record_poll(app.config.name, app.config.account, app.config.imap.folder,
                              backlog=one.backlog, seconds=time.monotonic() - tick_started)  # fmt: skip
            if as_json:
                decided.append((app, one.rows))
            else:
                rows += store.message_rows(one.rows)
            report = add_reports(report, one)
        except ConfigError as exc:
            config_fail(exc)
        except LeaseHeld as exc:  # the holder records its own polls
            failures.append((EXIT_LEASE, f"{app.config.name}: {exc}"))
        except StoreError as exc:
            fail(EXIT_STORE, str(exc))
        except FolderMissing as exc:
            _record_failed_poll(store, app.config, str(exc))
            failures.append((EXIT_FAILED, f"{app.config.name}: {exc}: check imap.folder in {ctx.config_path}"))
        except TransientError as exc:
            _record_failed_poll(store, app.config, str(exc))
            failures.append(
                (EXIT_FAILED, f"{app.config.name}: poll failed, nothing was lost (the next poll retries): {exc}")
            )
        except Exception as exc:  # a bug: recorded as the daemon records it, then shown with its traceback
            _record_failed_poll(store, app.config, f"{type(exc).__name__}: {exc}")
            raise
        finally:
            store.close()
    for _, message in failures:
        err.print(styled("error:", "bold red"), message)
    totals = {
        "decided": len(report.rows),
        "acks_sent": report.sent,
        "acks_retrying": report.retrying,
        "acks_failed": report.failed,
        "acks_unknown": report.unknown + report.recovered_unknown,
        "synced": report.synced,
        "seconds": round(time.monotonic() - started, 3),
        # Where the time went (inboxd.stopwatch.STAGES), and the costliest single mail.
        "stages": {name: round(seconds, 4) for name, seconds in report.stages.items()},
        "slowest_mail_seconds": round(report.slowest_mail_seconds, 4),
    }
    if as_json:
        errors = [message for _, message in failures]
        # The same JSON as one json.dumps of {"totals", "messages", "errors"}, written a chunk
        # of messages at a time: memory does not grow with the number of mails polled.
        sys.stdout.write(f'{{"totals": {json_text(totals)}, "messages": [')
        first = True
        for app, ids in decided:
            if not ids:
                continue
            store = open_store(app.config, readonly=True)
            try:
                for start in range(0, len(ids), 1000):
                    for r in store.message_rows(ids[start : start + 1000]):
                        sys.stdout.write(("" if first else ", ") + json_text(record(r)))
                        first = False
            finally:
                store.close()
        sys.stdout.write(f'], "errors": {json_text(errors)}}}\n')
        sys.stdout.flush()
    else:
        if rows:
            out.print(_summary_table(rows))
        elif not failures:
            out.print("No new messages.")
        out.print(" ".join(f"{k}={v}" for k, v in totals.items()))
    if failures:
        sys.exit(max(code for code, _ in failures))


def _record_failed_poll(store: Any, config: Any, error: str) -> None:
    """The error that stopped a mailbox's poll, for `inboxd status`, as the daemon records it."""
    # The store's own trouble is not this poll's to report: it is reported where it happens.
    with contextlib.suppress(StoreError):
        store.record_poll(config.name, config.account, config.imap.folder, error=error)
