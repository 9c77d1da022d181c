"""Watching the daemon: `status` (per mailbox: last poll, backlog, acknowledgements, health) and
`console` (the operator console's web server)."""

from __future__ import annotations

import sys
import time
from typing import Any

import click

from inboxd.cli.common import EXIT_FAILED, EXIT_STORE, Ctx, config_fail, fail, out, pass_ctx, store_of
from inboxd.errors import ConfigError, StoreError
from inboxd.health import local_time as when
from inboxd.health import mailbox_health
from inboxd.terminal import Table, json_text


@click.command()
@click.option("--listen", help="host:port to serve on (default: [console] listen, 127.0.0.1:8025).")
@pass_ctx
def console(ctx: Ctx, listen: str | None) -> None:
    """The operator console: decisions, corrections, candidate models, queues (see docs/console.md)."""
    from inboxd.console.serve import serve

    app = ctx.app(with_model=False)
    try:
        serve(app, listen or app.config.console.listen)
    except ConfigError as exc:
        config_fail(exc)
    except StoreError as exc:
        fail(EXIT_STORE, str(exc))


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@pass_ctx
def status(ctx: Ctx, as_json: bool) -> None:
    """Per mailbox: last poll, last success, last error, backlog, pending and unknown acknowledgements.

    Read from the store, so it works while `inboxd run` is running. Exits 1 when a mailbox's
    last poll failed or it has not succeeded within three poll intervals (for scripts and alerts).
    """
    from inboxd.compose import lease_name
    from inboxd.config import load_configs

    try:
        configs = load_configs(ctx.config_path)
    except ConfigError as exc:
        config_fail(exc)
    store = store_of(ctx, readonly=True)
    seen = store.mailbox_status()
    now = time.time()
    report: list[dict[str, Any]] = []
    for config in configs:
        state = seen.get(config.name)
        health = mailbox_health(state, config.schedule.interval_seconds, store.lease_holder(lease_name(config)), now)
        counts = store.mailbox_counts(config.account)
        report.append(
            {
                "mailbox": config.name,
                "account": config.account,
                "folder": config.imap.folder,
                "last_poll_at": state.last_poll_at if state else None,
                "last_success_at": state.last_success_at if state else None,
                "last_error": health.last_error,
                "backlog": state.backlog if state else 0,
                "lease_holder": health.lease_holder,
                "healthy": health.healthy,
                # Only the states that occur, as this JSON always had them.
                **{f"acks_{ack_state}": n for ack_state, n in counts.acks},
                "quarantined": counts.quarantined,
            }
        )
    if as_json:
        print(json_text({"mailboxes": report}))
    else:
        table = Table(title="inboxd status")
        for column in ("Mailbox", "Folder", "Last poll", "Last success", "Backlog", "Pending acks",
                       "Unknown acks", "Quarantined", "Held by", "Error"):  # fmt: skip
            table.add_column(column, overflow="fold")
        for r in report:
            table.add_row(
                r["mailbox"], f"{r['account']}/{r['folder']}", when(r["last_poll_at"]), when(r["last_success_at"]),
                str(r["backlog"]), str(r.get("acks_pending", 0) + r.get("acks_sending", 0)),
                str(r.get("acks_unknown", 0)), str(r["quarantined"]), r["lease_holder"] or "",
                r["last_error"] or ("" if r["healthy"] else "no successful poll recently"),
            )  # fmt: skip
        out.print(table)
    sys.exit(0 if all(r["healthy"] for r in report) else EXIT_FAILED)
