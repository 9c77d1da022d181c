"""Deciding without acting: `poll --dry-run` (shadow mode on the live mailbox, read-only) and
`classify` (.eml and mbox files), with the printing of what they decided."""

from __future__ import annotations

import sys
from datetime import datetime
from typing import Any

import click

from inboxd.cli.common import EXIT_CONFIG, EXIT_FAILED, EXIT_STORE, Ctx, config_fail, err, fail, out, pass_ctx
from inboxd.errors import ConfigError, StoreError, TransientError
from inboxd.terminal import Table, json_text, styled


def dry_run(app: Any, as_json: bool) -> None:
    """One tick's intake and triage on a mailbox opened read-only (EXAMINE): the UIDs the tick
    would take, fetched and read by the daemon's own code (`inboxd.intake`, `workers.preparer`),
    decided as it would decide them. No claim, no store write (the store is opened read-only, and
    not at all before the first poll), no flag, no SMTP."""
    from inboxd.compose import open_store
    from inboxd.credentials import load_credentials
    from inboxd.intake import Intake, oversized_reason
    from inboxd.mailbox import ImapMailbox
    from inboxd.offline import OfflineDecider, decision_record
    from inboxd.workers import preparer

    config = app.config
    try:
        login = load_credentials(config).imap
    except ConfigError as exc:
        config_fail(exc)
    decider = OfflineDecider(app.classifier, app.renderer, app.policy, config.limits, config.ack.ticket_prefix)
    limit = config.limits.max_message_bytes
    records: list[dict[str, Any]] = []
    try:
        path = config.store.path
        # Nothing processed yet: no store to read (and a dry run must not create one).
        store = open_store(config, readonly=True) if path is None or path.exists() else None
        with ImapMailbox(config.imap, login) as box:
            uidvalidity = box.select(readonly=True)  # EXAMINE: not even \Recent changes
            intake = Intake(box, store, config.account, config.imap.folder, uidvalidity, limit)
            uids = intake.backlog()
            with preparer(config.processing.workers, config.limits, len(uids), app.policy.triage) as prepare:
                for start in range(0, len(uids), config.imap.batch_size):
                    batch = intake.batch(uids[start : start + config.imap.batch_size])
                    for uid, size in batch.oversized:  # the tick quarantines these unread
                        error = oversized_reason(size, limit)
                        record = decision_record(f"uid:{uid}", None, None, None, error) | {"elapsed_ms": 0.0}
                        records.append({"uid": uid} | record)
                    results = prepare.start([(item.raw, digest) for item, digest in batch.fetched])()
                    for (item, _), prepared in zip(batch.fetched, results, strict=True):
                        record = decider.record_prepared(f"uid:{item.uid}", item.raw, prepared)
                        records.append({"uid": item.uid} | record)
    except StoreError as exc:
        fail(EXIT_STORE, str(exc))
    except TransientError as exc:
        fail(EXIT_FAILED, str(exc))
    records.sort(key=lambda r: int(r["uid"]))
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


@click.command()
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
    from inboxd.offline import OfflineDecider, UnreadableInput, read_inputs

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
            record, found = decider.record_with_findings(source, raw)
            if as_json:
                print(json_text(record), flush=True)
            else:
                _print_record(record)
            if explain and found is not None and record["error"] is None and record["category"] is not None:
                expl = app.classifier.explain(found.text)
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
        fail(EXIT_CONFIG, f"--at: not an ISO-8601 time: {text!r} (e.g. 2026-12-04T22:30:00+08:00)")


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
