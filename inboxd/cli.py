"""The command line: thin commands over the daemon's parts (click + rich).

Exit codes, for scripts:
  0  success
  1  the work failed at run time (a server unreachable, the daemon stopped on an error)
  2  bad usage, or an invalid config / template / classifier asset (every problem listed)
  3  another inboxd holds this mailbox's lease (poll)
  4  the store cannot be used (damaged, locked, newer schema)
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from pathlib import Path
from typing import Any, NoReturn

import click
from rich.console import Console
from rich.table import Table

from inboxd import __version__
from inboxd.errors import ConfigError, FolderMissing, InboxdError, Problem, StoreError, TransientError

EXIT_FAILED, EXIT_CONFIG, EXIT_LEASE, EXIT_STORE = 1, 2, 3, 4

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


def _fail(code: int, message: str) -> NoReturn:
    err.print(f"[bold red]error:[/] {message}", markup=True)
    sys.exit(code)


def _config_fail(exc: ConfigError) -> NoReturn:
    err.print(f"[bold red]{len(exc.problems)} problem(s) found:[/]")
    for problem in exc.problems:
        err.print(f"  {problem}", markup=False)
    sys.exit(EXIT_CONFIG)


class Ctx:
    def __init__(self, config: Path, log_level: str | None, log_format: str | None):
        self.config_path = config
        self.log_level = log_level
        self.log_format = log_format

    def setup_logging(self, level: str, fmt: str) -> None:
        from inboxd.logs import setup_logging

        setup_logging(self.log_level or level, self.log_format or fmt)

    def app(self, with_model: bool = True) -> Any:
        from inboxd.daemon import load_app

        try:
            app = load_app(self.config_path, with_model=with_model)
        except ConfigError as exc:
            _config_fail(exc)
        self.setup_logging(app.config.logging.level, app.config.logging.format)
        return app


pass_ctx = click.make_pass_decorator(Ctx)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config",
    "config",
    type=click.Path(path_type=Path, dir_okay=False),
    default=lambda: os.environ.get("INBOXD_CONFIG", "config.toml"),
    show_default="$INBOXD_CONFIG or config.toml",
    help="The configuration file.",
)
@click.option("--log-level", type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"]), help="Override logging.level.")
@click.option("--log-format", type=click.Choice(["text", "json"]), help="Override logging.format.")
@click.version_option(__version__, prog_name="inboxd")
@click.pass_context
def main(ctx: click.Context, config: Path, log_level: str | None, log_format: str | None) -> None:
    """inboxd: poll a support mailbox, classify each mail, extract what it says and acknowledge it.

    Exit codes: 0 success, 1 failed at run time, 2 invalid usage or configuration,
    3 another inboxd holds the mailbox, 4 the store cannot be used.
    """
    ctx.obj = Ctx(config, log_level, log_format)


# -- run / poll ------------------------------------------------------------------------------


@main.command()
@pass_ctx
def run(ctx: Ctx) -> None:
    """Run the daemon: poll on the configured schedule until SIGTERM or SIGINT."""
    from inboxd.daemon import Daemon, open_store, passwords

    app = ctx.app()
    try:
        passwords(app.config)
        store = open_store(app.config)
    except ConfigError as exc:
        _config_fail(exc)
    except StoreError as exc:
        _fail(EXIT_STORE, str(exc))
    try:
        sys.exit(Daemon(app, store).run())
    finally:
        store.close()


def _summary_table(rows: list[dict[str, Any]]) -> Table:
    table = Table(title="Messages handled", show_lines=False)
    for column in ("UID", "From", "Subject", "Lang", "Category", "Missing", "Outcome", "Ticket"):
        table.add_column(column, overflow="fold")
    for r in rows:
        category = (
            f"{r['category']} ({r['confidence']:.2f})"
            if r.get("category") and r.get("confidence") is not None
            else (r.get("category") or "")
        )
        if r["action"] == "ack":
            outcome = f"ack {r.get('ack_state') or ''}".strip()
        elif r["action"] == "skip":
            outcome = f"skipped: {r.get('skip_reason')}"
        else:
            outcome = f"quarantined: {r.get('reason')}"
        table.add_row(
            str(r.get("uid", "")),
            r.get("sender") or "",
            (r.get("subject") or "")[:60],
            r.get("language") or "",
            category,
            ", ".join(json.loads(r["missing"]))
            if isinstance(r.get("missing"), str)
            else ", ".join(r.get("missing") or []),
            outcome,
            r.get("ticket_ref") or "",
        )
    return table


@main.command()
@click.option(
    "--dry-run",
    is_flag=True,
    help="Shadow mode: decide and show what would be sent; send, mark and store nothing.",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of tables.")
@pass_ctx
def poll(ctx: Ctx, dry_run: bool, as_json: bool) -> None:
    """Run one tick now, then print what happened to each message."""
    from inboxd.daemon import LeaseHeld, open_store, poll_once

    app = ctx.app()
    if dry_run:
        _dry_run(app, as_json)
        return
    started = time.monotonic()
    try:
        store = open_store(app.config)
    except StoreError as exc:
        _fail(EXIT_STORE, str(exc))
    try:
        report = poll_once(app, store)
        rows = store.message_rows(report.rows)
    except ConfigError as exc:
        _config_fail(exc)
    except LeaseHeld as exc:
        _fail(EXIT_LEASE, str(exc))
    except StoreError as exc:
        _fail(EXIT_STORE, str(exc))
    except FolderMissing as exc:
        _fail(EXIT_FAILED, f"{exc}: check imap.folder in {ctx.config_path}")
    except TransientError as exc:
        _fail(EXIT_FAILED, f"poll failed, nothing was lost (the next poll retries): {exc}")
    finally:
        store.close()
    totals = {
        "decided": len(report.rows),
        "acks_sent": report.sent,
        "acks_retrying": report.retrying,
        "acks_failed": report.failed,
        "acks_unknown": report.unknown + report.recovered_unknown,
        "synced": report.synced,
        "seconds": round(time.monotonic() - started, 3),
    }
    if as_json:
        keep = (
            "id",
            "uid",
            "message_id",
            "sender",
            "subject",
            "language",
            "action",
            "skip_reason",
            "reason",
            "category",
            "confidence",
            "ticket_ref",
            "ack_state",
            "ack_subject",
        )
        messages = [{k: r.get(k) for k in keep} | {"missing": json.loads(r.get("missing") or "[]")} for r in rows]
        print(json.dumps({"totals": totals, "messages": messages}, ensure_ascii=False))
        return
    if rows:
        out.print(_summary_table(rows))
    else:
        out.print("No new messages.")
    out.print(" ".join(f"{k}={v}" for k, v in totals.items()))


def _dry_run(app: Any, as_json: bool) -> None:
    from inboxd.daemon import passwords
    from inboxd.mailbox import ImapMailbox
    from inboxd.offline import OfflineDecider
    from inboxd.store import Store

    try:
        imap_password, _ = passwords(app.config)
    except ConfigError as exc:
        _config_fail(exc)
    decider = OfflineDecider(app.classifier, app.renderer, app.policy, app.config.limits, app.config.ack.ticket_prefix)
    records: list[dict[str, Any]] = []
    try:
        store = Store(app.config.store.path, readonly=True) if app.config.store.path.exists() else None
        with ImapMailbox(app.config.imap, imap_password) as box:
            uidvalidity = box.select(readonly=True)  # EXAMINE: not even \Recent changes
            last = store.checkpoint(app.config.account, app.config.imap.folder, uidvalidity) if store else 0
            uids = box.uids_after(last)
            done = store.known_states(app.config.account, app.config.imap.folder, uidvalidity, uids) if store else {}
            todo = [u for u in uids if done.get(u) != "decided"]
            sizes = box.sizes(todo)
            for item in box.fetch([u for u in todo if sizes.get(u, 0) <= app.config.limits.max_message_bytes], sizes):
                records.append({"uid": item.uid} | decider.record(f"uid:{item.uid}", item.raw))
    except StoreError as exc:
        _fail(EXIT_STORE, str(exc))
    except TransientError as exc:
        _fail(EXIT_FAILED, str(exc))
    if as_json:
        print(json.dumps({"dry_run": True, "messages": records}, ensure_ascii=False))
        return
    table = Table(title="Dry run: nothing was sent, marked or stored")
    for column in ("UID", "From", "Subject", "Lang", "Category", "Missing", "Would"):
        table.add_column(column, overflow="fold")
    for r in records:
        would = (
            "send ack"
            if r["ack"]
            else (f"skip: {r['skip_reason']}" if r["skip_reason"] else f"quarantine: {r['error']}")
        )
        conf = f" ({r['confidence']:.2f})" if r.get("confidence") is not None else ""
        table.add_row(
            str(r["uid"]),
            r["from"] or "",
            (r["subject"] or "")[:60],
            r["language"] or "",
            (r["category"] or "") + conf,
            ", ".join(r["missing"]),
            would,
        )
    out.print(table)
    for r in records:
        if r["ack"]:
            out.rule(f"UID {r['uid']} → {r['ack']['to']}")
            out.print(f"Subject: {r['ack']['subject']}\n\n{r['ack']['body']}", markup=False)


# -- check / train / classify ------------------------------------------------------------------


@main.command()
@click.option("--no-model", is_flag=True, help="Do not check that the stored model matches the examples.")
@pass_ctx
def check(ctx: Ctx, no_model: bool) -> None:
    """Validate config.toml, classifiers/ and templates/; list every problem (exit 2 on any)."""
    from inboxd.classify import parse_settings
    from inboxd.daemon import load_app, passwords

    problems: list[Problem] = []
    app = None
    try:
        app = load_app(ctx.config_path, with_model=not no_model)
    except ConfigError as exc:
        problems.extend(exc.problems)
    if app is not None:
        try:
            parse_settings(app.assets.model_settings, str(app.assets.root / "model.toml"))
            passwords(app.config)
        except ConfigError as exc:
            problems.extend(exc.problems)
    if problems:
        _config_fail(ConfigError(problems))
    assert app is not None
    out.print(
        f"OK: {ctx.config_path}, {len(app.assets.categories)} categories, {len(app.assets.rules)} rules, "
        f"{sum(1 for _ in app.assets.examples())} examples, templates for {', '.join(sorted(app.renderer.field_text))}"
        + ("" if no_model else ", model up to date")
    )


@main.command()
@pass_ctx
def train(ctx: Ctx) -> None:
    """Train the model from classifiers/examples and store it (classifier.model_path)."""
    from inboxd.classify import parse_settings, save_model
    from inboxd.classify import train as fit

    app = ctx.app(with_model=False)
    try:
        settings = parse_settings(app.assets.model_settings, str(app.assets.root / "model.toml"))
    except ConfigError as exc:
        _config_fail(exc)
    with err.status("training…"):
        model = fit(app.assets, settings)
    save_model(model, app.config.classifier.model_path)
    out.print(
        f"trained on {model.meta['examples']} examples in {model.meta['train_seconds']} s "
        f"→ {app.config.classifier.model_path}"
    )


@main.command()
@click.argument("paths", nargs=-1, required=True)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per message per line.")
@click.option("--explain", is_flag=True, help="Show the rule or the n-grams behind each decision, and the runner-up.")
@pass_ctx
def classify(ctx: Ctx, paths: tuple[str, ...], as_json: bool, explain: bool) -> None:
    """Decide about .eml files, directories of them, mbox files or - (stdin). No network, no writes.

    Exits 0 even when some messages cannot be handled (their `error` says why);
    exits 1 when an input path cannot be read.
    """
    from inboxd.decide import classifier_text
    from inboxd.offline import OfflineDecider, UnreadableInput, read_inputs
    from inboxd.parse import parse_message

    app = ctx.app()
    decider = OfflineDecider(app.classifier, app.renderer, app.policy, app.config.limits, app.config.ack.ticket_prefix)
    failed = False
    try:
        for source, raw in read_inputs(paths):
            record = decider.record(source, raw)
            if as_json:
                print(json.dumps(record, ensure_ascii=False), flush=True)
            else:
                _print_record(record)
            if explain and record["error"] is None and record["category"] is not None:
                expl = app.classifier.explain(classifier_text(parse_message(raw, app.config.limits)))
                _print_explanation(expl, as_json)
    except UnreadableInput as exc:
        err.print(f"error: {exc}", markup=False)
        failed = True
    sys.exit(EXIT_FAILED if failed else 0)


def _print_record(r: dict[str, Any]) -> None:
    out.rule(r["source"])
    if r["error"]:
        out.print(f"[red]cannot handle:[/] {r['error']}")
        return
    out.print(f"From: {r['from']}   Subject: {r['subject']}", markup=False)
    if r["skip_reason"]:
        out.print(f"skipped: {r['skip_reason']}")
        return
    out.print(f"language={r['language']} category={r['category']} confidence={r['confidence']} rule={r['rule']}")
    for key in ("transaction_ids", "order_ids", "amounts", "times", "account_ids", "secrets", "missing"):
        if r[key]:
            out.print(f"  {key}: {json.dumps(r[key], ensure_ascii=False)}", markup=False)
    if r["ack"]:
        out.print(f"\n[bold]Subject:[/] {r['ack']['subject']}")
        out.print(r["ack"]["body"], markup=False)


def _print_explanation(expl: Any, as_json: bool) -> None:
    c = expl.classification
    data = {
        "category": c.category,
        "predicted": c.predicted,
        "confidence": c.confidence,
        "rule": c.rule,
        "runner_up": c.runner_up,
        "runner_up_confidence": c.runner_up_confidence,
        "features": [{"feature": f, "weight": w} for f, w in expl.features],
        "probabilities": dict(expl.probabilities),
    }
    if as_json:
        print(json.dumps({"explain": data}, ensure_ascii=False))
        return
    if c.rule:
        out.print(f"decided by rule [bold]{c.rule}[/] → {c.category}")
    else:
        floor = " (below the confidence floor → other)" if c.category != c.predicted else ""
        out.print(
            f"model: {c.predicted} {c.confidence:.2f}{floor}; runner-up {c.runner_up} {c.runner_up_confidence:.2f}"
        )
    table = Table(
        "feature (word__ = word n-gram, char__ = character n-gram)",
        "weight",
        title=f"What pointed to {c.predicted}",
    )
    for feature, weight in expl.features:
        table.add_row(repr(feature), f"{weight:.3f}")
    out.print(table)


# -- acknowledgements whose fate a human must decide ----------------------------------------------


@main.group()
def acks() -> None:
    """Acknowledgements: list them, and resolve those whose fate is unknown."""


@acks.command("list")
@click.option("--state", type=click.Choice(["pending", "sending", "sent", "failed", "unknown", "cancelled"]))
@click.option("--json", "as_json", is_flag=True, help="Print JSON lines.")
@pass_ctx
def acks_list(ctx: Ctx, state: str | None, as_json: bool) -> None:
    """List acknowledgements (e.g. --state unknown: a crash left their delivery unknown)."""
    store = _store(ctx, readonly=True)
    rows = store.acks(state)
    if as_json:
        for a in rows:
            print(
                json.dumps(
                    {
                        "id": a.id,
                        "ticket": a.ticket_ref,
                        "to": a.mail.to,
                        "subject": a.mail.subject,
                        "state": a.state,
                        "attempts": a.attempts,
                        "error": a.last_error,
                    },
                    ensure_ascii=False,
                )
            )
        return
    table = Table(title=f"Acknowledgements{f' ({state})' if state else ''}")
    for column in ("ID", "Ticket", "To", "Subject", "State", "Attempts", "Last error"):
        table.add_column(column, overflow="fold")
    for a in rows:
        table.add_row(
            str(a.id),
            a.ticket_ref or "",
            a.mail.to,
            a.mail.subject,
            a.state,
            str(a.attempts),
            a.last_error or "",
        )
    out.print(table)


@acks.command("resolve")
@click.argument("ack_id", type=int)
@click.option("--sent", "resolution", flag_value="sent", help="It did reach the customer: record it as sent.")
@click.option("--resend", "resolution", flag_value="resend", help="It did not: send it again on the next tick.")
@click.option("--cancel", "resolution", flag_value="cancel", help="Do not send it at all.")
@pass_ctx
def acks_resolve(ctx: Ctx, ack_id: int, resolution: str | None) -> None:
    """Decide the fate of an unknown or failed acknowledgement."""
    if resolution is None:
        _fail(EXIT_CONFIG, "say --sent, --resend or --cancel")
    store = _store(ctx)
    if not store.resolve_unknown(ack_id, resolution):
        _fail(EXIT_FAILED, f"acknowledgement {ack_id} is not unknown or failed (see `inboxd acks list`)")
    out.print(f"acknowledgement {ack_id}: {resolution}")


def _store(ctx: Ctx, readonly: bool = False) -> Any:
    from inboxd.config import load_config
    from inboxd.store import Store

    try:
        config = load_config(ctx.config_path)
        return Store(config.store.path, readonly=readonly)
    except ConfigError as exc:
        _config_fail(exc)
    except StoreError as exc:
        _fail(EXIT_STORE, str(exc))


def entry() -> None:
    try:
        main()
    except InboxdError as exc:  # anything that escaped a command: still one clear line
        logging.getLogger("inboxd").debug("fatal", exc_info=True)
        _fail(EXIT_FAILED, str(exc))


# -- tickets ----------------------------------------------------------------------------------------


def _when(ts: float | None) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(ts)) if ts else ""


@main.group()
def ticket() -> None:
    """Tickets: list them, show one with its mails and history, resolve one."""


@ticket.command("list")
@click.option("--state", type=click.Choice(["open", "waiting", "resolved"]), help="Only tickets in this state.")
@click.option("--escalated", is_flag=True, help="Only escalated tickets.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON lines.")
@pass_ctx
def ticket_list(ctx: Ctx, state: str | None, escalated: bool, as_json: bool) -> None:
    """List tickets, most urgent first."""
    store = _store(ctx, readonly=True)
    rows = store.tickets(state=state, escalated=True if escalated else None)
    if as_json:
        for r in rows:
            r["missing"] = json.loads(r["missing"])
            r["facts"] = json.loads(r["facts"])
            print(json.dumps(r, ensure_ascii=False))
        return
    table = Table(title="Tickets")
    for column in (
        "Ticket",
        "State",
        "Priority",
        "Customer",
        "Category",
        "Subject",
        "Missing",
        "Escalation",
        "Updated",
    ):
        table.add_column(column, overflow="fold")
    for r in rows:
        table.add_row(
            r["ref"], r["state"], r["priority"], r["customer"], r["category"], r["subject"][:50],
            ", ".join(json.loads(r["missing"])), r["escalation_reason"] or "", _when(r["updated_at"]),
        )  # fmt: skip
    out.print(table)


@ticket.command("show")
@click.argument("ref")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@pass_ctx
def ticket_show(ctx: Ctx, ref: str, as_json: bool) -> None:
    """One ticket: its state, facts, missing items, mails, acknowledgements and history."""
    store = _store(ctx, readonly=True)
    data = store.ticket(ref)
    if data is None:
        _fail(EXIT_FAILED, f"no ticket {ref}")
    data["missing"] = json.loads(data["missing"])
    data["facts"] = json.loads(data["facts"])
    if as_json:
        print(json.dumps(data, ensure_ascii=False))
        return
    out.print(f"[bold]{data['ref']}[/]  {data['state']}  priority {data['priority']}  {data['category']}")
    out.print(f"customer {data['customer']}  subject {data['subject']!r}", markup=False)
    if data["escalated"]:
        out.print(f"[red]escalated:[/] {data['escalation_reason']}")
    if data["security_incident"]:
        out.print(
            "[red]security incident:[/] the customer sent a secret (redacted; the mail is in the restricted folder)"
        )
    out.print(f"missing: {', '.join(data['missing']) or '-'}")
    for key, values in data["facts"].items():
        if values:
            out.print(f"  {key}: {json.dumps(values, ensure_ascii=False)}", markup=False)
    mails = Table("row", "UID", "From", "Subject", "Role", "Action", "Escalation", "At", title="Mails")
    for m in data["messages"]:
        mails.add_row(str(m["id"]), str(m["uid"]), m["sender"] or "", (m["subject"] or "")[:50], m["role"] or "",
                      m["action"] or "", m["escalation"] or "", _when(m["created_at"]))  # fmt: skip
    out.print(mails)
    acks_table = Table("ID", "Kind", "To", "State", "Attempts", "Sent", title="Acknowledgements")
    for a in data["acks"]:
        acks_table.add_row(str(a["id"]), a["kind"], a["to_addr"], a["state"], str(a["attempts"]), _when(a["sent_at"]))
    out.print(acks_table)
    events = Table("At", "Event", "Detail", title="History")
    for e in data["events"]:
        events.add_row(_when(e["at"]), e["kind"], e["detail"])
    out.print(events)


@ticket.command("resolve")
@click.argument("ref")
@pass_ctx
def ticket_resolve(ctx: Ctx, ref: str) -> None:
    """Mark a ticket resolved (a customer reply will reopen and escalate it)."""
    store = _store(ctx)
    if not store.resolve_ticket(ref, f"inboxd ticket resolve (by {os.environ.get('USER', 'an operator')})"):
        _fail(EXIT_FAILED, f"no open ticket {ref} (see `inboxd ticket list`)")
    out.print(f"{ref}: resolved")


# -- quarantine ---------------------------------------------------------------------------------------


@main.group()
def quarantine() -> None:
    """Mail that could not be handled: list it, and retry it after a fix."""


@quarantine.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON lines.")
@pass_ctx
def quarantine_list(ctx: Ctx, as_json: bool) -> None:
    """Quarantined mail, with the reason; it stays on the server."""
    store = _store(ctx, readonly=True)
    rows = store.quarantined()
    if as_json:
        for r in rows:
            print(json.dumps(r, ensure_ascii=False))
        return
    table = Table("ID", "Folder", "UID", "From", "Subject", "Size", "Reason", "At", title="Quarantine")
    for r in rows:
        table.add_row(str(r["id"]), r["folder"], str(r["uid"]), r["sender"] or "", (r["subject"] or "")[:40],
                      str(r["size"] or ""), r["reason"] or "", _when(r["created_at"]))  # fmt: skip
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
    from inboxd.daemon import passwords, retry_quarantined

    if (row_id is None) == (not retry_all):
        _fail(EXIT_CONFIG, "give one quarantine ID (see `inboxd quarantine list`) or --all")
    app = ctx.app(with_model=False)
    store = _store(ctx)
    rows = store.quarantined(None if retry_all else row_id)
    if not rows:
        _fail(EXIT_FAILED, "nothing to retry" if retry_all else f"{row_id} is not quarantined")
    try:
        imap_password, _ = passwords(app.config)
        done, problems = retry_quarantined(app.config, store, imap_password, rows)
    except ConfigError as exc:
        _config_fail(exc)
    except TransientError as exc:
        _fail(EXIT_FAILED, f"IMAP: {exc}")
    for message in problems:
        err.print(f"not retried: {message}", markup=False)
    out.print(f"{done} message(s) will be handled again on the next tick")
    if problems:
        sys.exit(EXIT_FAILED)
