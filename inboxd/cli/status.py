"""Watching the daemon: `status` (per mailbox: last poll, backlog, acknowledgements, health) and
`console` (the operator console's web server)."""

from __future__ import annotations

import sys
import time
from typing import Any

import click

from inboxd.cli.common import EXIT_FAILED, EXIT_STORE, Ctx, config_fail, fail, out, pass_ctx, store_of, when
from inboxd.errors import ConfigError, StoreError
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
    from inboxd.config import load_configs
    from inboxd.daemon import lease_name

    try:
        configs = load_configs(ctx.config_path)
    except ConfigError as exc:
        config_fail(exc)
    store = store_of(ctx, readonly=True)
    seen = store.mailbox_status()
    now = time.time()
    report: list[dict[str, Any]] = []
    for config in configs:
        state = seen.get(config.name, {})
        holder = store.lease_holder(lease_name(config))
        success = state.get("last_success_at")
        stale = success is None or now - success > 3 * config.schedule.interval_seconds
        failing = bool(state.get("last_error_at") and (success is None or state["last_error_at"] > success))
        report.append(
            {
                "mailbox": config.name,
                "account": config.account,
                "folder": config.imap.folder,
                "last_poll_at": state.get("last_poll_at"),
                "last_success_at": success,
                "last_error": state.get("last_error") if failing else None,
                "backlog": state.get("backlog", 0),
                "lease_holder": holder[0] if holder and holder[1] > now else None,
                "healthy": not failing and not stale,
                **store.mailbox_counts(config.account),
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
