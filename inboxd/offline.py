"""Decide about raw messages without touching a server or the store.

Used by `inboxd classify` (files, directories, mbox, stdin) and by
`inboxd poll --dry-run` (shadow mode, on mails the daemon's own intake fetched and its
preparer read: `record_prepared`): the same path as the daemon — parse and redact, then
read (`workers.prepare`), classify and decide (`inboxd.triage`), render — but nothing is
claimed, sent or marked. Secrets are redacted right after parsing, so no output (JSON,
tables, previews) can show one.
"""

from __future__ import annotations

import mailbox
import re
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from inboxd.acknowledge import Policy, build_ack
from inboxd.classifier import Classifier
from inboxd.config import LimitsConfig
from inboxd.promise import promise
from inboxd.redact import secret_kinds
from inboxd.render import Renderer
from inboxd.triage import Findings, decide, with_sender
from inboxd.trust import DnsLookup
from inboxd.values import Action, Decision, MailSummary
from inboxd.workers import Prepared, prepare

PREVIEW_TICKET = "DRYRUN"


class UnreadableInput(Exception):
    """An input path that cannot be read at all (the command exits non-zero)."""


def _is_mbox(path: Path) -> bool:
    # "From  : John" is a header in obsolete syntax (RFC 5322 4.5.3), not an mbox separator.
    try:
        with path.open("rb") as handle:
            head = handle.read(200)
    except OSError:
        return False
    return head.startswith(b"From ") and re.match(rb"From\s*:", head) is None


def read_inputs(paths: Sequence[str]) -> Iterator[tuple[str, bytes]]:
    """Yield (source, raw bytes) for every message named by `paths`.

    A path is an .eml file, a directory (every *.eml below it, sorted), an mbox
    file (detected by its leading "From " line) or "-" for one message on stdin.
    """
    for name in paths:
        if name == "-":
            yield "-", sys.stdin.buffer.read()
            continue
        path = Path(name)
        if path.is_dir():
            files = sorted(p for p in path.rglob("*.eml") if p.is_file())
            for file in files:
                yield str(file), _read(file)
        elif path.is_file() and _is_mbox(path):
            try:
                box = mailbox.mbox(str(path), create=False)
                for index, key in enumerate(box.iterkeys()):
                    yield f"{path}#{index + 1}", box.get_bytes(key)
            except (OSError, mailbox.Error) as exc:
                raise UnreadableInput(f"{path}: cannot read mbox: {exc}") from exc
        elif path.is_file():
            yield str(path), _read(path)
        else:
            raise UnreadableInput(f"{path}: no such file or directory")


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise UnreadableInput(f"{path}: {exc.strerror}") from exc


def decision_record(
    source: str,
    mail: MailSummary | None,
    decision: Decision | None,
    ack: dict[str, str] | None,
    error: str | None,
) -> dict[str, Any]:
    """The JSON shape of one decision (documented in docs/commands.md)."""
    c = decision.classification if decision else None
    facts = decision.facts if decision else None
    return {
        "source": source,
        "message_id": mail.message_id if mail else None,
        "from": mail.sender if mail else None,
        "reply_to": mail.reply_to or None if mail else None,
        "subject": mail.subject if mail else None,
        "sender": decision.sender.as_dict() if decision else None,
        "language": decision.language if decision else None,
        "action": decision.action.value if decision else "quarantine",
        "category": c.category if c else None,
        "confidence": c.confidence if c else None,
        "rule": c.rule if c else None,
        "runner_up": c.runner_up if c else None,
        "transaction_ids": [t.value for t in facts.tx_ids] if facts else [],
        "transactions": [asdict(t) for t in facts.tx_ids] if facts else [],
        "order_ids": list(facts.order_ids) if facts else [],
        "amounts": [{"value": a.value, "asset": a.asset, "network": a.network} for a in facts.amounts] if facts else [],
        "times": [
            {"text": t.text, "value": t.value.isoformat() if t.value else None, "precision": t.precision}
            for t in facts.times
        ]
        if facts
        else [],
        "account_ids": [asdict(a) for a in facts.account_ids] if facts else [],
        "addresses": [asdict(a) for a in facts.addresses] if facts else [],
        "secrets": list(secret_kinds(facts.secrets)) if facts else [],
        "security_incident": decision.security_incident if decision else False,
        "phishing_report": decision.phishing_report if decision else False,
        # Domains only, never a URL (its path and query may carry a customer's token).
        "links": [link.as_dict() for link in decision.links] if decision else [],
        "missing": list(decision.missing) if decision else [],
        "skip_reason": decision.skip_reason.value if decision and decision.skip_reason else None,
        "ack": ack,
        "error": error,
    }


class OfflineDecider:
    """parse → screen → classify → decide → render for one raw message at a time."""

    def __init__(
        self,
        classifier: Classifier,
        renderer: Renderer,
        policy: Policy,
        limits: LimitsConfig,
        prefix: str,
        dnsfunc: DnsLookup | None = None,
        at: datetime | None = None,
    ):
        # When the mails count as received (`classify --at`); None: now, when each is decided.
        # Offline there is no queue: the promise is [ack] reply_within on the [hours] calendar.
        self.at = at
        self.dnsfunc = dnsfunc  # DKIM key lookups ([trust] verify_dkim); None: DKIM is not checked here
        self.classifier = classifier
        self.renderer = renderer
        self.policy = policy
        self.limits = limits
        self.triage = policy.triage
        self.ticket = f"{prefix}-{PREVIEW_TICKET}"

    def record(self, source: str, raw: bytes) -> dict[str, Any]:
        """The decision record of one message, with how long deciding it took (elapsed_ms)."""
        return self.record_with_findings(source, raw)[0]

    def record_with_findings(self, source: str, raw: bytes) -> tuple[dict[str, Any], Findings | None]:
        """The decision record, and the mail as it was read (None: it could not be): what the
        model read is explained from it (`classify --explain`) without parsing the mail again."""
        started = time.perf_counter()
        return self._timed(source, raw, prepare(raw, self.limits, self.triage), started)

    def record_prepared(self, source: str, raw: bytes, prepared: Prepared) -> dict[str, Any]:
        """The decision record of a mail parsed, redacted and read already (`workers.prepare`, in
        the daemon's preparer: `poll --dry-run`); elapsed_ms counts that work too."""
        spent = prepared.parse_seconds + prepared.redact_seconds + prepared.screen_seconds
        return self._timed(source, raw, prepared, time.perf_counter() - spent)[0]

    def _timed(
        self, source: str, raw: bytes, prepared: Prepared, started: float
    ) -> tuple[dict[str, Any], Findings | None]:
        found = self._with_sender(raw, prepared)
        record = self._record(source, found)
        record["elapsed_ms"] = round((time.perf_counter() - started) * 1000, 1)
        return record, None if isinstance(found, str) else found

    def _with_sender(self, raw: bytes, prepared: Prepared) -> Findings | str:
        """The mail as the daemon's workers read it, with its sender's verdict; or why it could not be read."""
        if prepared.found is None:
            return prepared.error or "could not be parsed"
        # DKIM keys are looked up only with a lookup given: `inboxd classify` makes no network calls.
        dkim_raw = raw if self.dnsfunc is not None else None
        return with_sender(prepared.found, self.policy.trust, dkim_raw, self.dnsfunc)

    def _record(self, source: str, found: Findings | str) -> dict[str, Any]:
        if isinstance(found, str):
            return decision_record(source, None, None, None, found)
        mail = found.mail
        try:
            classification = None
            if found.screening.skip_reason is None:
                classification = self.classifier.classify([found.text])[0]
            decision = decide(found, classification, self.policy)
            ack = None
            if decision.action == Action.ACK:
                promised = promise(self.policy.promise, self.at or datetime.now(UTC))
                out = build_ack(mail, decision, self.ticket, self.renderer, self.policy, promised)
                ack = {
                    "to": out.to,
                    "subject": out.subject,
                    "body": out.body,
                    "reply_by": promised.reply_by.isoformat(),
                }
        except Exception as exc:  # one bad message must not stop a batch
            return decision_record(source, mail, None, None, f"internal error: {type(exc).__name__}: {exc}")
        return decision_record(source, mail, decision, ack, None)
