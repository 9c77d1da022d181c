"""The command line: thin commands over the daemon's parts (click + rich).

Exit codes, for scripts:
  0  success
  1  the work failed at run time (a server unreachable, the daemon stopped on an error)
  2  bad usage, or an invalid config / template / classifier asset (every problem listed)
  3  another inboxd holds this mailbox's lease (poll)
  4  the store cannot be used (damaged, locked, newer schema)
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sys
import time
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, NoReturn

import click

from inboxd import __version__
from inboxd.errors import ConfigError, FolderMissing, InboxdError, Problem, StoreError, TransientError
from inboxd.terminal import Table, Terminal, json_text, styled

EXIT_FAILED, EXIT_CONFIG, EXIT_LEASE, EXIT_STORE = 1, 2, 3, 4

# Everything printed goes through these: a mail's text (subjects, names, errors quoting it) is
# shown, never read as markup or control characters (inboxd.terminal).
out = Terminal()
err = Terminal(stderr=True)


def _fail(code: int, message: str) -> NoReturn:
    err.print(styled("error:", "bold red"), message)
    sys.exit(code)


def _config_fail(exc: ConfigError) -> NoReturn:
    err.print(styled(f"{len(exc.problems)} problem(s) found:", "bold red"))
    for problem in exc.problems:
        err.print(f"  {problem}")
    sys.exit(EXIT_CONFIG)


class Ctx:
    def __init__(self, config: Path, log_level: str | None, log_format: str | None):
        self.config_path = config
        self.log_level = log_level
        self.log_format = log_format

    def setup_logging(self, level: str, fmt: str) -> None:
        from inboxd.logs import setup_logging

        setup_logging(self.log_level or level, self.log_format or fmt)

    def apps(self, with_model: bool = True, mailbox: str | None = None) -> list[Any]:
        """One App per mailbox (or only `mailbox`); exits 2 with every problem on a bad config."""
        from inboxd.daemon import load_apps

        try:
            apps = load_apps(self.config_path, with_model=with_model)
        except ConfigError as exc:
            _config_fail(exc)
        self.setup_logging(apps[0].config.logging.level, apps[0].config.logging.format)
        if mailbox is not None:
            apps = [a for a in apps if a.config.name == mailbox]
            if not apps:
                _fail(EXIT_CONFIG, f"no mailbox named {mailbox!r} in {self.config_path}")
        return apps

    def app(self, with_model: bool = True) -> Any:
        return self.apps(with_model)[0]


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
    """Run the daemon: every mailbox on its schedule (and IDLE) until SIGTERM or SIGINT; SIGHUP reloads."""
    from inboxd.credentials import load_credentials
    from inboxd.service import Service

    apps = ctx.apps()
    try:
        for app in apps:
            load_credentials(app.config)
        service = Service(ctx.config_path, apps)
    except ConfigError as exc:
        _config_fail(exc)
    except StoreError as exc:
        _fail(EXIT_STORE, str(exc))
    try:
        code = service.run()
    except StoreError as exc:  # a store that cannot be opened when the workers start
        _fail(EXIT_STORE, str(exc))
    sys.exit(code)


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
@click.option("--mailbox", help="Only this mailbox (a [[mailbox]] name, or 'default' for [imap]).")
@pass_ctx
def poll(ctx: Ctx, dry_run: bool, as_json: bool, mailbox: str | None) -> None:
    """Run one tick now on every mailbox (or one), then print what happened to each message."""
    from inboxd.daemon import LeaseHeld, open_store, poll_once
    from inboxd.pipeline import TickReport

    apps = ctx.apps(mailbox=mailbox)
    if dry_run:
        for app in apps:
            _dry_run(app, as_json)
        return
    started = time.monotonic()
    report = TickReport()
    rows: list[dict[str, Any]] = []
    decided: list[tuple[Any, Sequence[int]]] = []  # (app, store rows): --json reads them back in chunks
    failures: list[tuple[int, str]] = []
    for app in apps:
        try:
            store = open_store(app.config)
        except StoreError as exc:
            _fail(EXIT_STORE, str(exc))
        try:
            tick_started = time.monotonic()
            one = poll_once(app, store)
            # Recorded as the daemon's ticks record it (inboxd.service.Worker): `inboxd status`
            # is right whether the mailbox is polled by `inboxd run` or by cron.
            store.record_poll(app.config.name, app.config.account, app.config.imap.folder,
                              backlog=one.backlog, seconds=time.monotonic() - tick_started)  # fmt: skip
            if as_json:
                decided.append((app, one.rows))
            else:
                rows += store.message_rows(one.rows)
            report = _add(report, one)
        except ConfigError as exc:
            _config_fail(exc)
        except LeaseHeld as exc:  # the holder records its own polls
            failures.append((EXIT_LEASE, f"{app.config.name}: {exc}"))
        except StoreError as exc:
            _fail(EXIT_STORE, str(exc))
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
                        record = {k: r.get(k) for k in keep} | {"missing": json.loads(r.get("missing") or "[]")}
                        sys.stdout.write(("" if first else ", ") + json_text(record))
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


def _add(a: Any, b: Any) -> Any:
    """Two tick reports summed (for a poll over several mailboxes)."""
    from array import array
    from collections import Counter
    from dataclasses import fields, replace

    summed = {f.name: getattr(a, f.name) + getattr(b, f.name) for f in fields(a)
              if isinstance(getattr(a, f.name), (int, list, array, Counter)) and f.name != "error"}  # fmt: skip
    stages = {name: a.stages.get(name, 0.0) + b.stages.get(name, 0.0) for name in {*a.stages, *b.stages}}
    slowest = max(a.slowest_mail_seconds, b.slowest_mail_seconds)
    return replace(a, **summed, stages=stages, slowest_mail_seconds=slowest)


def _dry_run(app: Any, as_json: bool) -> None:
    from inboxd.credentials import load_credentials
    from inboxd.daemon import open_store
    from inboxd.mailbox import ImapMailbox
    from inboxd.offline import OfflineDecider

    try:
        login = load_credentials(app.config).imap
    except ConfigError as exc:
        _config_fail(exc)
    decider = OfflineDecider(app.classifier, app.renderer, app.policy, app.config.limits, app.config.ack.ticket_prefix)
    records: list[dict[str, Any]] = []
    try:
        path = app.config.store.path
        # Nothing processed yet: no store to read (and a dry run must not create one).
        store = open_store(app.config, readonly=True) if path is None or path.exists() else None
        with ImapMailbox(app.config.imap, login) as box:
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
        print(json_text({"dry_run": True, "messages": records}))
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
            out.print(f"Subject: {r['ack']['subject']}\n\n{r['ack']['body']}")


# -- check / train / classify ------------------------------------------------------------------


@main.command()
@click.option("--no-model", is_flag=True, help="Do not check that the stored model matches the examples.")
@pass_ctx
def check(ctx: Ctx, no_model: bool) -> None:
    """Validate config.toml, classifiers/ and templates/; list every problem (exit 2 on any)."""
    from inboxd import credentials
    from inboxd.classify import settings_of
    from inboxd.config import load_configs
    from inboxd.daemon import load_app

    problems: list[Problem] = []
    app = None
    try:
        for config in load_configs(ctx.config_path):  # every mailbox's password, token file, token command
            problems.extend(credentials.problems(config))
        app = load_app(ctx.config_path, with_model=not no_model)
    except ConfigError as exc:
        problems.extend(exc.problems)
    if app is not None:
        try:
            settings_of(app.assets)
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
    from inboxd.classify import save_model, settings_of
    from inboxd.classify import train as fit

    app = ctx.app(with_model=False)
    try:
        settings = settings_of(app.assets)
    except ConfigError as exc:
        _config_fail(exc)
    with err.status("training…"):
        model = fit(app.assets, settings)
    save_model(model, app.config.classifier.model_path)
    out.print(
        f"trained on {model.meta['examples']} examples ({model.meta['labels']} labels) in "
        f"{model.meta['train_seconds']} s → {app.config.classifier.model_path}"
    )


def _fold_count(_ctx: click.Context, _param: click.Parameter, value: str) -> int:
    """`--cv`: 2 to 20 folds, or 0 / `all` (one group per fold, with --group-by)."""
    folds = 0 if value.strip().lower() == "all" else None
    if folds is None:
        try:
            folds = int(value)
        except ValueError:
            folds = -1
    if folds != 0 and not 2 <= folds <= 20:
        raise click.BadParameter(f"{value!r} is not 2 to 20, or 0 / all")
    return folds


@main.command()
@click.option(
    "--data",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    help="Score this text,category CSV with a model trained on all the examples (default: cross-validation).",
)
@click.option(
    "--cv",
    "folds",
    default="5",
    show_default=True,
    callback=_fold_count,
    help="Folds of cross-validation (2-20); with --group-by, 0 or `all`: one group per fold.",
)
@click.option(
    "--group-by",
    type=click.Choice(["writer", "source"]),
    help="Hold out whole writers (or example files) in cross-validation; figures per group (with --data too).",
)
@click.option("--seed", type=int, default=0, show_default=True, help="Shuffles the cross-validation folds.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option("--report", "report_dir", type=click.Path(path_type=Path, file_okay=False), help="Write DIR/index.html.")
@click.option(
    "--compare",
    "old_dir",
    type=click.Path(path_type=Path, file_okay=False, exists=True),
    help="A previous classifiers/ folder: score the same data (or folds) with both; list the mails that change.",
)
@pass_ctx
def evaluate(
    ctx: Ctx,
    *,
    data: Path | None,
    folds: int,
    group_by: str | None,
    seed: int,
    as_json: bool,
    report_dir: Path | None,
    old_dir: Path | None,
) -> None:
    """Measure the classifier: per-category precision/recall/F1, macro-F1, confusion, the floor's effect.

    Without --data: K-fold cross-validation on classifiers/examples (every example scored by a
    model that never saw it). With --data: that CSV scored by a model trained on all examples
    (the stored one when it is up to date). --compare scores the same data (or the same folds,
    each old model trained on the old examples less the fold's texts) with the old folder too.
    --group-by writer: no writer is on both sides of a fold (a file without a writer column is
    its own writer), so the figures say how the model does on mail from someone it never saw.
    """
    from inboxd.assets import load_assets, read_examples
    from inboxd.classify import cross_validated, load_classifier, settings_of, train_classifier
    from inboxd.evaluate import compare
    from inboxd.evaluate import evaluate as score
    from inboxd.report import write_report

    if folds == 0 and group_by is None:
        raise click.BadParameter("0 (all) folds needs --group-by", param_hint="--cv")
    app = ctx.app(with_model=False)
    assets = app.assets
    started = time.monotonic()
    comparison = None
    try:
        if data is None:
            floor = settings_of(assets).confidence_floor
            kind = f"{folds}-fold" if folds else f"leave-one-{group_by}-out"
            kind += f" cross-validation, whole {group_by}s held out," if folds and group_by else " cross-validation"
            with err.status(f"{kind}…"):
                examples, decisions = cross_validated(assets, folds, seed, group_by=group_by)
            method = f"{kind} on {assets.root / 'examples'}"
            if old_dir is None:
                ev = score(examples, decisions, assets.category_names, floor, method, group_by)
            else:
                old_assets = load_assets(old_dir)
                names = tuple(dict.fromkeys(assets.category_names + old_assets.category_names))
                with err.status(f"the same folds with {old_dir}…"):
                    _, old_decisions = cross_validated(assets, folds, seed, scored_by=old_assets, group_by=group_by)
                ev = score(examples, decisions, names, floor, method, group_by)
                old_floor = settings_of(old_assets).confidence_floor
                comparison = compare(
                    score(examples, old_decisions, names, old_floor, f"{method}, by {old_dir}", group_by), ev
                )
        else:
            rows = list(read_examples(data, assets.category_names))
            if not rows:
                _fail(EXIT_CONFIG, f"{data}: no examples")
            texts = [r.text for r in rows]
            with err.status("loading (or training) the model…"):
                classifier = load_classifier(assets, app.config.classifier.model_path, train_if_stale=True)
            names = assets.category_names
            old = None
            if old_dir is not None:
                old_assets = load_assets(old_dir)
                with err.status(f"training the model of {old_dir}…"):
                    old = train_classifier(old_assets)
                names = tuple(dict.fromkeys(names + old_assets.category_names))
            method = f"{data}, scored by a model trained on {assets.root / 'examples'}"
            ev = score(rows, classifier.classify(texts), names, classifier.floor, method, group_by)
            if old is not None:
                old_ev = score(rows, old.classify(texts), names, old.floor, f"{data}, scored by {old_dir}", group_by)
                comparison = compare(old_ev, ev)
    except ConfigError as exc:
        _config_fail(exc)
    seconds = round(time.monotonic() - started, 2)
    if report_dir is not None:
        err.print(f"report: {write_report(report_dir, ev, comparison)}")
    if as_json:
        result = ev.to_json() | {"seconds": seconds}
        if comparison is not None:
            result["compare"] = comparison.to_json()
        print(json_text(result))
        return
    _print_evaluation(ev)
    if comparison is not None:
        _print_comparison(comparison)
    out.print(f"({seconds} s)")


def _print_evaluation(ev: Any) -> None:
    from inboxd.evaluate import SUGGESTION_TOLERANCE

    out.print(ev.method)
    table = Table("category", "precision", "recall", "F1", "support", title="Per category")
    for s in ev.per_category:
        table.add_row(s.category, f"{s.precision:.3f}", f"{s.recall:.3f}", f"{s.f1:.3f}", str(s.support))
    out.print(table)
    out.print(styled(f"macro-F1 {ev.macro_f1:.4f}", "bold"), f" accuracy {ev.accuracy:.4f}  ({len(ev.scored)} mails)")
    if ev.predicted_outside_data:
        out.print(f"decided as a category the data has no example of: {ev.predicted_outside_data}")
    matrix = Table("truth \\ decided", *(c[:12] for c in ev.categories), title="Confusion matrix")
    for name, row in zip(ev.categories, ev.confusion, strict=True):
        matrix.add_row(name, *(str(n) for n in row))
    out.print(matrix)
    at = ev.at_floor
    out.print(
        f"confidence floor {ev.floor:.2f}: {100 * at.coverage:.1f}% decided automatically, "
        f"{100 * at.accuracy_covered:.1f}% of them right; the rest go to other. "
        f"Suggested floor (the highest within {SUGGESTION_TOLERANCE} macro-F1 of the best): {ev.suggested_floor:.2f}"
    )
    if ev.at_confidence:
        calibration = Table("confidence ≥", "share", "right", "mails", title="Calibration (model decisions)")
        for a in ev.at_confidence:
            calibration.add_row(f"{a.threshold:.2f}", f"{100 * a.share:.1f}%", f"{100 * a.accuracy:.1f}%", str(a.n))
        out.print(calibration)
        out.print(f"expected calibration error {ev.ece:.4f} (0 = a confidence of 0.9 is right nine times in ten)")
    if len(ev.by_source) > 1:
        for name, (f1, acc, n) in ev.by_source.items():
            out.print(f"  {name}: macro-F1 {f1:.4f}, accuracy {acc:.4f}, n={n}")
    if ev.group_by is not None and ev.group_by != "source":
        out.print(f"per {ev.group_by}:")
        for name, (f1, acc, n) in ev.by_group.items():
            out.print(f"  {name}: macro-F1 {f1:.4f}, accuracy {acc:.4f}, n={n}")


def _print_comparison(comparison: Any) -> None:
    old, new = comparison.old, comparison.new
    out.rule("compared with the previous version")
    out.print(
        f"macro-F1 {old.macro_f1:.4f} → {new.macro_f1:.4f}, accuracy {old.accuracy:.4f} → {new.accuracy:.4f}; "
        f"{len(comparison.changes)} mails changed category"
    )
    table = Table("text", "truth", "before", "now", "effect", title="Mails whose category changed")
    for c in comparison.changes:
        table.add_row(c.example.text[:120], c.example.category, c.old.category, c.new.category, c.effect)
    out.print(table)


@main.command()
@click.argument("paths", nargs=-1, required=True)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per message per line.")
@click.option("--explain", is_flag=True, help="Show the rule or the n-grams behind each decision, and the runner-up.")
@click.option(
    "--at",
    "at_text",
    metavar="ISO-TIME",
    help="Decide as if the mails were received then, e.g. 2026-12-04T22:30:00+08:00 (no offset: [hours] timezone).",
)
@pass_ctx
def classify(ctx: Ctx, paths: tuple[str, ...], as_json: bool, explain: bool, at_text: str | None) -> None:
    """Decide about .eml files, directories of them, mbox files or - (stdin). No network, no writes.

    The acknowledgement's promise (`ack.reply_by`) counts from --at, or from now.

    Exits 0 even when some messages cannot be handled (their `error` says why);
    exits 1 when an input path cannot be read.
    """
    from inboxd.decide import classifier_text
    from inboxd.offline import OfflineDecider, UnreadableInput, read_inputs
    from inboxd.parse import parse_message
    from inboxd.redact import redact_mail

    at = _received_at(at_text) if at_text else None  # before the model is loaded: a typo fails fast
    app = ctx.app()
    if at is not None and at.tzinfo is None:
        at = at.replace(tzinfo=app.policy.promise.calendar.zone)
    decider = OfflineDecider(
        app.classifier, app.renderer, app.policy, app.config.limits, app.config.ack.ticket_prefix, at=at
    )
    failed = False
    try:
        for source, raw in read_inputs(paths):
            record = decider.record(source, raw)
            if as_json:
                print(json_text(record), flush=True)
            else:
                _print_record(record)
            if explain and record["error"] is None and record["category"] is not None:
                redacted, _ = redact_mail(parse_message(raw, app.config.limits))
                expl = app.classifier.explain(classifier_text(redacted))
                _print_explanation(expl, as_json)
    except UnreadableInput as exc:
        err.print(f"error: {exc}")
        failed = True
    sys.exit(EXIT_FAILED if failed else 0)


def _received_at(text: str) -> datetime:
    """--at as a datetime (naive when it has no offset: the caller puts it in the [hours] zone); exit 2
    when unreadable."""
    try:
        return datetime.fromisoformat(text.strip())
    except ValueError:
        _fail(EXIT_CONFIG, f"--at: not an ISO-8601 time: {text!r} (e.g. 2026-12-04T22:30:00+08:00)")


def _print_record(r: dict[str, Any]) -> None:
    out.rule(r["source"])
    if r["error"]:
        out.print(styled("cannot handle:", "red"), r["error"])
        return
    out.print(f"From: {r['from']}   Subject: {r['subject']}")
    if r["sender"]:
        out.print(f"sender: {r['sender']['verdict']} ({r['sender']['evidence']})")
    if r["action"] == "escalate":
        out.print(styled("forged sender:", "bold red"), "for a human, never answered")
    if r["skip_reason"]:
        out.print(f"skipped: {r['skip_reason']}")
        return
    out.print(f"language={r['language']} category={r['category']} confidence={r['confidence']} rule={r['rule']}")
    if r["security_incident"]:
        out.print(styled("security incident:", "bold red"), f"secrets removed: {', '.join(r['secrets'])}")
    for link in r["links"]:
        label = styled("look-alike link:", "bold red") if link["verdict"] == "lookalike" else f"{link['verdict']} link:"
        out.print(label, link["domain"], f"({link['reason']})" if link["reason"] else "")
    for key in ("transactions", "order_ids", "amounts", "addresses", "times", "account_ids", "secrets", "missing"):
        if r[key]:
            out.print(f"  {key}: {json_text(r[key])}")
    if r["ack"]:
        out.print()
        out.print(styled("Subject:", "bold"), r["ack"]["subject"], f"  (reply by {r['ack']['reply_by']})")
        out.print(r["ack"]["body"])


def _print_explanation(expl: Any, as_json: bool) -> None:
    c = expl.classification
    data = {
        "category": c.category,
        "predicted": c.predicted,
        "confidence": c.confidence,
        "rule": c.rule,
        "runner_up": c.runner_up,
        "runner_up_confidence": c.runner_up_confidence,
        "intent": expl.intent,
        "features": [{"feature": f, "weight": w} for f, w in expl.features],
        "probabilities": dict(expl.probabilities),
    }
    if as_json:
        print(json_text({"explain": data}))
        return
    if c.rule:
        out.print("decided by rule", styled(c.rule, "bold"), f"→ {c.category}")
    else:
        floor = " (below the confidence floor → other)" if c.category != c.predicted else ""
        out.print(
            f"model: {c.predicted} {c.confidence:.2f}{floor}; runner-up {c.runner_up} {c.runner_up_confidence:.2f}"
        )
    if expl.intent:
        out.print(f"closest intent within {c.predicted}: {expl.intent}")
    table = Table(
        "feature (word__ = word n-gram, char__ = character n-gram, pinyin__ = pinyin of the Chinese)",
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
                json_text(
                    {
                        "id": a.id,
                        "ticket": a.ticket_ref,
                        "to": a.mail.to,
                        "subject": a.mail.subject,
                        "state": a.state,
                        "attempts": a.attempts,
                        "error": a.last_error,
                    }
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
    from inboxd.daemon import open_store

    try:
        config = load_config(ctx.config_path)
        return open_store(config, readonly=readonly)
    except ConfigError as exc:
        _config_fail(exc)
    except StoreError as exc:
        _fail(EXIT_STORE, str(exc))
    except TransientError as exc:
        _fail(EXIT_FAILED, str(exc))


def entry() -> None:
    try:
        main()
    except InboxdError as exc:  # anything that escaped a command: still one clear line
        logging.getLogger("inboxd").debug("fatal", exc_info=True)
        _fail(EXIT_FAILED, str(exc))


# -- tickets ----------------------------------------------------------------------------------------


def sla_state(ticket: dict[str, Any], at: float) -> str:
    """A ticket's SLA in words: not tracked, on time (what is due when), overdue, breached or met."""
    first, resolution = ticket.get("first_response_due"), ticket.get("resolution_due")
    if first is None and resolution is None:
        return "not tracked"
    if ticket.get("sla_breach"):
        return f"breached: {str(ticket['sla_breach']).replace('_', ' ')} ({_when(ticket.get('sla_breached_at'))})"
    if ticket.get("state") == "resolved":
        return "met"
    if first is not None and ticket.get("first_response_at") is None:
        what, due = "first response", float(first)
    elif resolution is not None:
        what, due = "resolution", float(resolution)
    else:
        return "met"
    # Overdue but not yet escalated: the next poll does it.
    return f"{'overdue' if due <= at else 'on time'}: {what} due {_when(due)}"


def _when(ts: float | None) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(ts)) if ts else ""


@main.group()
def ticket() -> None:
    """Tickets: list them, show one with its mails and history, resolve one."""


@ticket.command("list")
@click.option(
    "--state", type=click.Choice(["open", "waiting", "resolved", "closed"]), help="Only tickets in this state."
)
@click.option("--escalated", is_flag=True, help="Only escalated tickets.")
@click.option("--breached", is_flag=True, help="Only tickets whose SLA was breached ([sla]).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON lines.")
@pass_ctx
def ticket_list(ctx: Ctx, state: str | None, escalated: bool, breached: bool, as_json: bool) -> None:
    """List tickets, most urgent first."""
    store = _store(ctx, readonly=True)
    rows = store.tickets(state=state, escalated=True if escalated else None, breached=breached)
    if as_json:
        for r in rows:
            r["missing"] = json.loads(r["missing"])
            r["facts"] = json.loads(r["facts"])
            r["sla"] = sla_state(r, time.time())
            print(json_text(r))
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
        "SLA",
        "Updated",
    ):
        table.add_column(column, overflow="fold")
    for r in rows:
        table.add_row(
            r["ref"], r["state"], r["priority"], r["customer"], r["category"], r["subject"][:50],
            ", ".join(json.loads(r["missing"])), r["escalation_reason"] or "", sla_state(r, time.time()),
            _when(r["updated_at"]),
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
    data["sla"] = sla_state(data, time.time())
    if as_json:
        print(json_text(data))
        return
    out.print(styled(data["ref"], "bold"), f" {data['state']}  priority {data['priority']}  {data['category']}")
    out.print(f"customer {data['customer']}  subject {data['subject']!r}")
    if data["escalated"]:
        out.print(styled("escalated:", "red"), data["escalation_reason"])
    if data["security_incident"]:
        out.print(
            styled("security incident:", "red"),
            "the customer sent a secret (redacted; the mail is in the restricted folder)",
        )
    out.print(f"missing: {', '.join(data['missing']) or '-'}")
    if data.get("first_response_due") or data.get("resolution_due"):
        out.print(f"first response due {_when(data['first_response_due']) or '-'}"
                  f"{'  (answered ' + _when(data['first_response_at']) + ')' if data['first_response_at'] else ''}"
                  f"  resolution due {_when(data['resolution_due']) or '-'}")  # fmt: skip
    out.print(f"SLA: {data['sla']}")
    for key, values in data["facts"].items():
        if values:
            out.print(f"  {key}: {json_text(values)}")
    mails = Table("row", "UID", "From", "Sender", "Subject", "Role", "Action", "Escalation", "At", title="Mails")
    for m in data["messages"]:
        mails.add_row(str(m["id"]), str(m["uid"]), m["sender"] or "", m["sender_verdict"] or "",
                      (m["subject"] or "")[:50], m["role"] or "", m["action"] or "", m["escalation"] or "",
                      _when(m["created_at"]))  # fmt: skip
    out.print(mails)
    for m in data["messages"]:  # what the verdict rests on, and the Reply-To that was not used
        extra = f"  reply-to {m['reply_to']} (recorded, never answered)" if m["reply_to"] else ""
        out.print(f"row {m['id']}: sender {m['sender_verdict'] or '-'}: {m['sender_evidence'] or '-'}{extra}")
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
    """Mark a ticket resolved: the customer gets one notice on the next poll, and a reply within
    [tickets] reopen_within_days reopens and escalates it (else it is closed after them)."""
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
            print(json_text(r))
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
    from inboxd.credentials import load_credentials
    from inboxd.daemon import retry_quarantined

    if (row_id is None) == (not retry_all):
        _fail(EXIT_CONFIG, "give one quarantine ID (see `inboxd quarantine list`) or --all")
    app = ctx.app(with_model=False)
    store = _store(ctx)
    rows = store.quarantined(None if retry_all else row_id)
    if not rows:
        _fail(EXIT_FAILED, "nothing to retry" if retry_all else f"{row_id} is not quarantined")
    try:
        done, problems = retry_quarantined(app.config, store, load_credentials(app.config).imap, rows)
    except ConfigError as exc:
        _config_fail(exc)
    except TransientError as exc:
        _fail(EXIT_FAILED, f"IMAP: {exc}")
    for message in problems:
        err.print(f"not retried: {message}")
    out.print(f"{done} message(s) will be handled again on the next tick")
    if problems:
        sys.exit(EXIT_FAILED)


# -- the operator console -------------------------------------------------------------------------------


@main.command()
@click.option("--listen", help="host:port to serve on (default: [console] listen, 127.0.0.1:8025).")
@pass_ctx
def console(ctx: Ctx, listen: str | None) -> None:
    """The operator console: decisions, corrections, candidate models, queues (see docs/console.md)."""
    from inboxd.console.serve import serve

    app = ctx.app(with_model=False)
    try:
        serve(app, listen or app.config.console.listen)
    except ConfigError as exc:
        _config_fail(exc)
    except StoreError as exc:
        _fail(EXIT_STORE, str(exc))


@main.command()
@click.argument("ref")
@click.argument("category")
@click.option("--intent", default="", help="The intent within the category (optional).")
@click.option(
    "--who", default=lambda: os.environ.get("USER", "cli"), show_default="$USER", help="Your name, for the audit log."
)
@pass_ctx
def correct(ctx: Ctx, ref: str, category: str, intent: str, who: str) -> None:
    """Correct the category of ticket REF's first mail: added to classifiers/examples/corrections.csv."""
    from inboxd.console.auth import operator_name
    from inboxd.console.corrections import correct as record

    name = operator_name(who)
    if name is None:
        _fail(EXIT_CONFIG, "--who is 1-64 letters, digits, '.', '_', '@' or '-'")
    app = ctx.app(with_model=False)
    store = _store(ctx)
    row = store.message_by_ticket(ref)
    if row is None:
        _fail(EXIT_FAILED, f"no ticket {ref}")
    try:
        done = record(store, app.assets, row, category, intent, name)
    except ValueError as exc:
        _fail(EXIT_CONFIG, str(exc))
    out.print(f"{ref}: {done.category}{'/' + done.intent if done.intent else ''}, added to corrections.csv")


# -- status ---------------------------------------------------------------------------------------------


@main.command()
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
        _config_fail(exc)
    store = _store(ctx, readonly=True)
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
                r["mailbox"], f"{r['account']}/{r['folder']}", _when(r["last_poll_at"]), _when(r["last_success_at"]),
                str(r["backlog"]), str(r.get("acks_pending", 0) + r.get("acks_sending", 0)),
                str(r.get("acks_unknown", 0)), str(r["quarantined"]), r["lease_holder"] or "",
                r["last_error"] or ("" if r["healthy"] else "no successful poll recently"),
            )  # fmt: skip
        out.print(table)
    sys.exit(0 if all(r["healthy"] for r in report) else EXIT_FAILED)
