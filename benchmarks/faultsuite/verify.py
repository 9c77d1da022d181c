"""The invariants, counted from the servers' own records, then held against inboxd's store.

What happened to each mail is read from two places inboxd does not control: the
SMTP sink's received.jsonl (an acknowledgement names its mail in In-Reply-To) and
Dovecot's mailboxes (every folder, read with imaplib: where each mail is and which
keywords it carries). The store is read last, to check that it agrees with the
servers and to list the acknowledgements whose fate is unknown.

Each mail of the run must end in exactly one of these, and nothing else:

- acked: exactly one acknowledgement received, `$Inboxd-Acked` on the mail;
- skipped: none received, `$Inboxd-Skipped` (a robot, a duplicate, a rate limit) or
  `$Inboxd-FollowUp` (a reply on a ticket that needed no new acknowledgement);
- quarantined: none received, `$Inboxd-Quarantined`;
- failed: none received, `$Inboxd-AckFailed` (the server refused it for good);
- unknown: at most one received, `$Inboxd-AckUnknown`, listed by
  `inboxd acks list --state unknown` for a human.

Any mail acknowledged twice is a duplicate; any mail missing from every folder is lost.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from .mailgen import identity

OUTCOMES = ("acked", "skipped", "quarantined", "failed", "unknown")
# The outcome classes compared with the fault-free run: a fault may change the fate
# of an acknowledgement (failed, unknown), never whether a mail is answered at all.
INTENT = {"acked": "ack", "failed": "ack", "unknown": "ack", "skipped": "skip", "quarantined": "quarantine"}


@dataclass
class Tally:
    messages: int = 0
    faults: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    duplicates: int = 0
    lost: int = 0
    violations: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    intents: dict[str, str] = field(default_factory=dict)
    extra: Counter[str] = field(default_factory=Counter)  # a scenario's own figures (webhooks)

    def add(self, other: Tally) -> None:
        self.messages += other.messages
        self.faults += other.faults
        self.outcomes.update(other.outcomes)
        self.duplicates += other.duplicates
        self.lost += other.lost
        self.violations.extend(other.violations)
        self.notes.extend(other.notes)
        self.extra.update(other.extra)

    @property
    def ok(self) -> bool:
        return not self.violations and not self.duplicates and not self.lost


def _outcome(flags: set[str], acks: int) -> tuple[str | None, str | None]:
    """(outcome, problem) for one mail from its keywords and the acks the sink received for it."""
    if "$Inboxd-AckUnknown" in flags:
        return "unknown", None if acks <= 1 else f"{acks} acknowledgements received"
    if "$Inboxd-AckFailed" in flags:
        return "failed", None if acks == 0 else f"refused for good, yet {acks} received"
    if "$Inboxd-Acked" in flags:
        return "acked", None if acks == 1 else f"marked acked but {acks} received"
    if "$Inboxd-Quarantined" in flags:
        return "quarantined", None if acks == 0 else f"quarantined yet {acks} received"
    if "$Inboxd-Skipped" in flags or "$Inboxd-FollowUp" in flags:
        return "skipped", None if acks == 0 else f"skipped yet {acks} received"
    return None, "not handled: no inboxd keyword on it" + (f" ({acks} received)" if acks else "")


def check(
    mails: dict[str, bytes],
    received: list[dict[str, object]],
    server: dict[str, dict[int, tuple[set[str], bytes]]],
    store_path: Path,
    unknown_listed: list[dict[str, object]],
    baseline: dict[str, str] | None = None,
) -> Tally:
    """Check every invariant for the mails `mails` ({identity: raw}) delivered in this run."""
    tally = Tally(messages=len(mails))
    acks = Counter(str(r.get("in_reply_to", "")) for r in received)
    for reply_to, n in acks.items():
        if reply_to not in mails:
            tally.violations.append(f"{n} acknowledgement(s) to {reply_to!r}, which is no mail of this run")

    copies: dict[str, list[tuple[str, int, set[str]]]] = {}
    for folder, messages in server.items():
        for uid, (flags, raw) in messages.items():
            copies.setdefault(identity(raw), []).append((folder, uid, flags))
            if "\\Deleted" in flags:
                tally.violations.append(f"{folder} UID {uid} is flagged \\Deleted")
            if "\\Seen" in flags:
                tally.violations.append(f"{folder} UID {uid} was marked \\Seen (fetched without PEEK)")

    outcome_of: dict[str, str] = {}
    for mid in mails:
        n = acks.get(mid, 0)
        if n > 1:
            tally.duplicates += 1
            tally.violations.append(f"{mid}: acknowledged {n} times")
        found = copies.get(mid, [])
        if not found:
            tally.lost += 1
            tally.violations.append(f"{mid}: on no folder of the server (lost)")
            continue
        if len(found) > 1:
            tally.violations.append(f"{mid}: {len(found)} copies on the server: {[(f, u) for f, u, _ in found]}")
        flags = set().union(*(f for _, _, f in found))
        outcome, problem = _outcome(flags, n)
        if problem:
            tally.violations.append(f"{mid}: {problem}; keywords {sorted(flags)}")
        if outcome:
            tally.outcomes[outcome] += 1
            outcome_of[mid] = outcome
            tally.intents[mid] = INTENT[outcome]
            if baseline is not None and mid in baseline and baseline[mid] != INTENT[outcome]:
                tally.violations.append(f"{mid}: {outcome} here, {baseline[mid]} in the fault-free run")

    _check_store(tally, mails, outcome_of, store_path, unknown_listed)
    return tally


def _check_store(
    tally: Tally,
    mails: dict[str, bytes],
    outcome_of: dict[str, str],
    store_path: Path,
    unknown_listed: list[dict[str, object]],
) -> None:
    if not store_path.exists():
        tally.violations.append(f"{store_path}: no store")
        return
    conn = sqlite3.connect(f"file:{store_path}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    try:
        integrity = conn.execute("PRAGMA integrity_check").fetchone()[0]
        if integrity != "ok":
            tally.violations.append(f"store integrity_check: {integrity}")
        rows = conn.execute(
            "SELECT m.id, m.message_id, m.content_hash, m.size, m.action, m.skip_reason, m.duplicate_of, m.state, "
            "a.state AS ack_state, a.in_reply_to FROM messages m LEFT JOIN acks a ON a.message_row = m.id"
        ).fetchall()
        open_acks = conn.execute("SELECT count(*) FROM acks WHERE state IN ('pending', 'sending')").fetchone()[0]
        unknown_rows = conn.execute("SELECT in_reply_to FROM acks WHERE state = 'unknown'").fetchall()
    finally:
        conn.close()
    if open_acks:
        tally.violations.append(f"store: {open_acks} acknowledgement(s) still pending or sending at the end")
    by_id: dict[str, list[sqlite3.Row]] = {}
    by_hash: dict[str, list[sqlite3.Row]] = {}
    for r in rows:
        if r["state"] != "decided":
            tally.violations.append(f"store row {r['id']} ({r['message_id']}) was never decided")
        if r["duplicate_of"] is not None or r["skip_reason"] in ("superseded", "retried"):
            continue  # a second sighting of a mail handled under another row
        if r["message_id"]:
            by_id.setdefault(r["message_id"], []).append(r)
        elif r["content_hash"]:
            by_hash.setdefault(r["content_hash"], []).append(r)
    unmatched = [r for r in rows if not r["message_id"] and not r["content_hash"] and r["duplicate_of"] is None]
    expected_state = {"acked": "sent", "failed": "failed", "unknown": "unknown"}
    for mid, raw in mails.items():
        found = by_id.get(mid) or by_hash.get(hashlib.sha256(raw).hexdigest())
        if not found:
            # Mail over the size limit is quarantined before download: only its size is known.
            found = [r for r in unmatched if r["size"] == len(raw) and r["action"] == "quarantine"][:1]
        if len(found) != 1:
            tally.violations.append(f"{mid}: {len(found)} primary rows in the store (want 1)")
            continue
        r = found[0]
        outcome = outcome_of.get(mid)
        if outcome is None:
            continue
        if outcome in expected_state and r["ack_state"] != expected_state[outcome]:
            tally.violations.append(f"{mid}: server says {outcome}, store says ack {r['ack_state']}")
        if outcome == "quarantined" and r["action"] != "quarantine":
            tally.violations.append(f"{mid}: quarantined on the server, {r['action']} in the store")
        if outcome == "skipped" and (r["action"] not in ("skip", "followup") or r["ack_state"] is not None):
            tally.violations.append(f"{mid}: skipped on the server, {r['action']}/{r['ack_state']} in the store")
    unknown_store = sorted(str(r[0]) for r in unknown_rows)
    unknown_server = sorted(mid for mid, o in outcome_of.items() if o == "unknown")
    if unknown_store != unknown_server:
        tally.violations.append(f"unknown acks: store {unknown_store} != server {unknown_server}")
    if len(unknown_listed) != len(unknown_store):
        tally.violations.append(
            f"`inboxd acks list --state unknown` lists {len(unknown_listed)}, the store has {len(unknown_store)}"
        )


def listed_unknown(stdout: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in stdout.splitlines() if line.strip()]
