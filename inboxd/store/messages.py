"""Message rows: checkpoints, claims, decisions (with their ticket and ack), server sync."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from inboxd.domains import domain_of
from inboxd.escalation import PHISHING_REPORT
from inboxd.models import Action, Decision, MessageKey, OutgoingMail, ParsedEmail
from inboxd.store.base import Db, StoreBase, marks, now
from inboxd.store.events import emit
from inboxd.tickets import SECURITY_REASON, TicketPlan, facts_dict, normalise_subject

# Rows that stand for a mail handled elsewhere: never the "original" of a duplicate.
_NOT_ORIGINAL = "('superseded', 'retried')"


@dataclass(frozen=True, slots=True)
class Claim:
    row: int
    state: str  # new | decided
    duplicate_of: int | None


@dataclass(frozen=True, slots=True)
class SyncRow:
    """A decided message whose keywords/move are not yet applied on the server."""

    row: int
    uid: int
    action: str
    category: str | None
    missing: tuple[str, ...]
    ack_state: str | None
    ack_kind: str | None
    skip_reason: str | None
    escalation: str | None
    reopened: bool
    security_incident: bool
    lookalike: bool = False  # the mail links to a domain made to pass for an official one


def _lookalikes(decision: Decision) -> dict[str, list[str]]:
    """The look-alike domains a mail links to, kept with its facts (the server sync flags it)."""
    domains = [link.domain for link in decision.links if link.verdict == "lookalike"]
    return {"lookalikes": domains} if domains else {}


def _escalation_is_news(db: Db, plan: TicketPlan) -> bool:
    """Whether the plan's escalation should page someone: a new ticket's, a reopened one's, or one
    that raises the priority. A ticket escalated already is not paged again for every follow-up."""
    if plan.escalation is None:
        return False
    if plan.ticket_id is None or plan.reopened:
        return True
    before = db.execute("SELECT escalated, priority FROM tickets WHERE id = ?", (plan.ticket_id,)).fetchone()
    return not before["escalated"] or before["priority"] != plan.priority


def _plan_events(
    db: Db, account: str, folder: str, ticket_id: int, decision: Decision, plan: TicketPlan, page: bool
) -> None:
    """The webhook events of a decision, in its transaction: a customer secret, a phishing report,
    an escalation."""
    incident = plan.security_incident and bool(decision.facts.secrets)
    if incident:
        kinds = ", ".join(sorted({s.kind for s in decision.facts.secrets}))
        emit(db, "security_incident", account, folder, ticket_id=ticket_id, reason=f"customer secret redacted: {kinds}")
    escalation = plan.escalation
    if decision.phishing_report:
        # The security team's own event; only counts of what was found, never the domains a
        # stranger may have written (the ticket has them).
        lookalikes = sum(link.verdict == "lookalike" for link in decision.links)
        emit(db, "phishing_report", account, folder, ticket_id=ticket_id, reason=PHISHING_REPORT,
             counts={"domains": len(decision.links), "lookalikes": lookalikes})  # fmt: skip
        if escalation is not None and escalation.reason == PHISHING_REPORT:
            return  # that event is this escalation's page
    if escalation is None or not page or (incident and escalation.reason == SECURITY_REASON):
        return  # the security incident's own escalation is that event
    reason = f"reopened: {escalation.reason}" if plan.reopened else escalation.reason
    emit(db, "escalation", account, folder, ticket_id=ticket_id, reason=reason)


def _event(db: Db, ticket_id: int, kind: str, detail: str, row: int | None) -> None:
    db.execute(
        "INSERT INTO ticket_events (ticket_id, at, kind, detail, message_row) VALUES (?, ?, ?, ?, ?)",
        (ticket_id, now(), kind, detail, row),
    )


class MessagesMixin(StoreBase):
    # -- checkpoints -----------------------------------------------------------------------

    def checkpoint(self, account: str, folder: str, uidvalidity: int) -> int:
        row = self._db.execute(
            "SELECT last_uid FROM checkpoints WHERE account = ? AND folder = ? AND uidvalidity = ?",
            (account, folder, uidvalidity),
        ).fetchone()
        return int(row[0]) if row else 0

    def set_checkpoint(self, account: str, folder: str, uidvalidity: int, last_uid: int) -> None:
        with self._tx() as db:
            db.execute(
                "INSERT INTO checkpoints (account, folder, uidvalidity, last_uid, updated_at) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT (account, folder, uidvalidity) DO UPDATE SET "
                "last_uid = CASE WHEN excluded.last_uid > checkpoints.last_uid THEN excluded.last_uid "
                "ELSE checkpoints.last_uid END, updated_at = excluded.updated_at",
                (account, folder, uidvalidity, last_uid, now()),
            )

    # -- claims ----------------------------------------------------------------------------

    def known_states(self, account: str, folder: str, uidvalidity: int, uids: Sequence[int]) -> dict[int, str]:
        if not uids:
            return {}
        rows = self._db.execute(
            "SELECT uid, state FROM messages WHERE account = ? AND folder = ? AND uidvalidity = ? "
            f"AND uid IN ({marks(uids)})",
            (account, folder, uidvalidity, *uids),
        ).fetchall()
        return {int(r["uid"]): str(r["state"]) for r in rows}

    def pending_uids(self, account: str, folder: str, uidvalidity: int) -> list[int]:
        """UIDs claimed but not decided (a crash mid-batch, or a quarantine retry in place)."""
        rows = self._db.execute(
            "SELECT uid FROM messages WHERE account = ? AND folder = ? AND uidvalidity = ? AND state = 'new' "
            "ORDER BY uid",
            (account, folder, uidvalidity),
        ).fetchall()
        return [int(r[0]) for r in rows]

    def claim(self, key: MessageKey, message_id: str | None, content_hash: str | None, size: int) -> Claim:
        """Record that this message is being handled; idempotent by key.

        A message whose Message-ID or content hash was already seen in this account
        (a copy, a re-sent mail, a rebuilt folder with new UIDs) is recorded as a
        duplicate of the first and decided at once: it never gets a second ack.
        """
        at = now()
        with self._tx() as db:
            row = db.execute(
                "SELECT id, state, duplicate_of FROM messages "
                "WHERE account = ? AND folder = ? AND uidvalidity = ? AND uid = ?",
                (key.account, key.folder, key.uidvalidity, key.uid),
            ).fetchone()
            if row:
                return Claim(int(row["id"]), str(row["state"]), row["duplicate_of"])
            # One indexed lookup per column (an OR of the two reads every row of the
            # account, once per claim), the first recorded of either.
            found = [
                db.execute(
                    "SELECT id, state FROM messages WHERE account = ? AND duplicate_of IS NULL "
                    f"AND coalesce(skip_reason, '') NOT IN {_NOT_ORIGINAL} AND {column} = ? ORDER BY id LIMIT 1",
                    (key.account, value),
                ).fetchone()
                for column, value in (("message_id", message_id), ("content_hash", content_hash))
                if value
            ]
            original = min((r for r in found if r), key=lambda r: int(r["id"]), default=None)
            if original and original["state"] == "decided":
                cur = db.execute(
                    "INSERT INTO messages (account, folder, uidvalidity, uid, message_id, content_hash, size, state, "
                    "action, skip_reason, reason, duplicate_of, created_at, updated_at) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, 'decided', 'skip', 'duplicate', ?, ?, ?, ?) RETURNING id",
                    (
                        key.account, key.folder, key.uidvalidity, key.uid, message_id, content_hash, size,
                        f"same message as record {original['id']}", original["id"], at, at,
                    ),
                )  # fmt: skip
                return Claim(int(cur.fetchone()["id"]), "decided", int(original["id"]))
            cur = db.execute(
                "INSERT INTO messages (account, folder, uidvalidity, uid, message_id, content_hash, size, state, "
                "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'new', ?, ?) RETURNING id",
                (key.account, key.folder, key.uidvalidity, key.uid, message_id, content_hash, size, at, at),
            )
            new_row = int(cur.fetchone()["id"])
            if original:
                # The same mail was claimed under another key and never decided (a crash,
                # then the folder was rebuilt or the mail copied): this copy takes its place,
                # so the mail is handled once and not left undecided for good.
                db.execute(
                    "UPDATE messages SET state = 'decided', action = 'skip', skip_reason = 'superseded', "
                    "reason = ?, duplicate_of = ?, synced = 1, updated_at = ? WHERE id = ?",
                    (f"handled as record {new_row}", new_row, at, original["id"]),
                )
            return Claim(new_row, "new", None)

    # -- decisions -------------------------------------------------------------------------

    def record_decision(
        self,
        row: int,
        mail: ParsedEmail | None,
        decision: Decision,
        *,
        plan: TicketPlan | None = None,
        ticket_prefix: str = "INB",
        render: Callable[[str], OutgoingMail] | None = None,
        text: str | None = None,
    ) -> str | None:
        """Commit the decision for a claimed message, with its ticket change and pending ack.

        Everything lands in one transaction: the ticket (new or updated), its events,
        the acknowledgement to send (`render(ticket_ref)` builds it once the reference
        is known) and the message's decision. Returns the ticket reference, if any.
        `text`: the redacted text the classifier read, kept for the console (or None).
        """
        at = now()
        c = decision.classification
        with self._tx() as db:
            state = db.execute("SELECT state, account, folder FROM messages WHERE id = ?", (row,)).fetchone()
            if state is None or state["state"] != "new":
                return None  # decided already (by an earlier run): never decide twice
            if mail is not None and self._duplicate_after_parse(db, row, state["account"], mail, at):
                return None
            ticket_id: int | None = None
            ticket_ref: str | None = None
            if plan is not None and mail is not None:
                page = _escalation_is_news(db, plan)
                ticket_id, ticket_ref = self._apply_plan(db, row, mail, decision, plan, ticket_prefix, at)
                _plan_events(db, state["account"], state["folder"], ticket_id, decision, plan, page)
                if plan.send and render is not None:
                    out = render(ticket_ref)
                    db.execute(
                        "INSERT INTO acks (message_row, ticket_id, kind, to_addr, to_domain, subject, body, "
                        "message_id, in_reply_to, refs, state, created_at, updated_at) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?)",
                        (
                            row, ticket_id, plan.send, out.to, domain_of(out.to), out.subject, out.body,
                            out.message_id, out.in_reply_to, json.dumps(list(out.references)), at, at,
                        ),
                    )  # fmt: skip
            escalation = plan.escalation.reason if plan and plan.escalation else None
            if plan is not None and plan.reopened:
                escalation = f"reopened: {escalation}"
            db.execute(
                "UPDATE messages SET state = 'decided', action = ?, skip_reason = ?, reason = ?, sender = ?, "
                "reply_to = ?, sender_verdict = ?, sender_evidence = ?, "
                "subject = ?, language = ?, category = ?, confidence = ?, rule = ?, facts = ?, missing = ?, "
                "ticket_id = coalesce(?, ticket_id), role = coalesce(?, role), escalation = ?, "
                "message_id = coalesce(?, message_id), "
                "content_hash = coalesce(?, content_hash), model_text = ?, runner_up = ?, runner_up_confidence = ?, "
                "updated_at = ? WHERE id = ?",
                (
                    decision.action.value,
                    decision.skip_reason.value if decision.skip_reason else None,
                    decision.reason or None,
                    mail.sender if mail else None,
                    (mail.reply_to or None) if mail else None,
                    decision.sender.verdict if mail else None,
                    decision.sender.evidence if mail else None,
                    mail.subject if mail else None,
                    decision.language,
                    c.category if c else None,
                    c.confidence if c else None,
                    c.rule if c else None,
                    json.dumps(facts_dict(decision.facts) | _lookalikes(decision), ensure_ascii=False),
                    json.dumps(list(plan.missing if plan else decision.missing)),
                    ticket_id,
                    None if plan is None else ("new" if plan.ticket_id is None else "followup"),
                    escalation,
                    mail.message_id if mail else None,
                    mail.content_hash if mail else None,
                    text,
                    c.runner_up if c and c.rule is None else None,
                    c.runner_up_confidence if c and c.rule is None else None,
                    at,
                    row,
                ),
            )
            if decision.action == Action.QUARANTINE:
                # Not the quarantine's reason: a parse error's text may quote the mail.
                emit(
                    db,
                    "quarantine",
                    state["account"],
                    state["folder"],
                    reason=f"record {row}: `inboxd quarantine list`",
                )
        return ticket_ref

    def _duplicate_after_parse(self, db: Db, row: int, account: str, mail: ParsedEmail, at: float) -> bool:
        # A duplicate seen only now that the body is parsed: the same Message-ID from the same
        # sender under another UID, with bytes that differ (a header added on the way). The
        # sender must match: a broken web form that gives every customer's mail one Message-ID
        # must not make the second customer a duplicate of the first.
        # One indexed lookup per column (an OR of the two reads every row of the account),
        # the first recorded of either.
        found = [
            db.execute(
                "SELECT id FROM messages WHERE account = ? AND id != ? AND duplicate_of IS NULL AND state = 'decided' "
                f"AND coalesce(skip_reason, '') NOT IN {_NOT_ORIGINAL} AND {column} = ? "
                f"{sender_match} ORDER BY id LIMIT 1",
                (account, row, value, *sender),
            ).fetchone()
            for column, value, sender_match, sender in (
                ("message_id", mail.message_id, "AND lower(coalesce(sender, '')) = lower(?)", (mail.sender,)),
                ("content_hash", mail.content_hash, "", ()),
            )
            if value is not None
        ]
        ids = [int(r["id"]) for r in found if r]
        if not ids:
            return False
        original = {"id": min(ids)}
        db.execute(
            "UPDATE messages SET state = 'decided', action = 'skip', skip_reason = 'duplicate', "
            "reason = ?, duplicate_of = ?, message_id = ?, content_hash = ?, updated_at = ? WHERE id = ?",
            (f"same message as record {original['id']}", original["id"], mail.message_id, mail.content_hash, at, row),
        )
        return True

    def _apply_plan(
        self, db: Db, row: int, mail: ParsedEmail, decision: Decision, plan: TicketPlan, prefix: str, at: float
    ) -> tuple[int, str]:
        facts = json.dumps(plan.facts, ensure_ascii=False)
        missing = json.dumps(list(plan.missing))
        escalated = 1 if plan.escalation else 0
        reason = plan.escalation.reason if plan.escalation else None
        if plan.ticket_id is None:
            c = decision.classification
            # The ticket belongs to the From address (never Reply-To), with the verdict on it.
            cur = db.execute(
                "INSERT INTO tickets (customer, subject, subject_key, category, language, state, priority, missing, "
                "facts, escalated, escalation_reason, security_incident, sender_verdict, last_customer_at, "
                "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                (
                    mail.sender, mail.subject, normalise_subject(mail.subject), c.category if c else "other",
                    decision.language, plan.state, plan.priority, missing, facts, escalated, reason,
                    int(plan.security_incident), decision.sender.verdict, at, at, at,
                ),
            )  # fmt: skip
            ticket_id = int(cur.fetchone()["id"])
            ref = f"{prefix}-{ticket_id:06d}"
            dues = [d for d in (plan.first_response_due, plan.resolution_due) if d is not None]
            db.execute(
                "UPDATE tickets SET ref = ?, first_response_due = ?, resolution_due = ?, sla_due = ? WHERE id = ?",
                (ref, plan.first_response_due, plan.resolution_due, min(dues) if dues else None, ticket_id),
            )
            _event(
                db,
                ticket_id,
                "opened",
                f"{c.category if c else 'other'}; missing: {', '.join(plan.missing) or '-'}",
                row,
            )
        else:
            ticket_id = plan.ticket_id
            ref = str(db.execute("SELECT ref FROM tickets WHERE id = ?", (ticket_id,)).fetchone()[0])
            db.execute(
                "UPDATE tickets SET state = ?, priority = ?, missing = ?, facts = ?, "
                "escalated = CASE WHEN ? = 1 THEN 1 ELSE escalated END, "
                "escalation_reason = coalesce(?, escalation_reason), "
                "security_incident = CASE WHEN ? = 1 THEN 1 ELSE security_incident END, last_customer_at = ?, "
                "resolved_at = CASE WHEN ? = 1 THEN NULL ELSE resolved_at END, updated_at = ? WHERE id = ?",
                (
                    plan.state, plan.priority, missing, facts, escalated, reason, int(plan.security_incident),
                    at, int(plan.reopened), at, ticket_id,
                ),
            )  # fmt: skip
            _event(db, ticket_id, "reopened" if plan.reopened else "followup", mail.subject, row)
            if plan.send == "confirmation":
                _event(db, ticket_id, "info_complete", "the customer supplied the missing information", row)
        if plan.escalation:
            _event(db, ticket_id, "escalated", f"{plan.escalation.reason} (priority {plan.priority})", row)
        for note in plan.notes:
            _event(db, ticket_id, "note", note, row)
        if plan.security_incident and decision.facts.secrets:
            kinds = ", ".join(sorted({s.kind for s in decision.facts.secrets}))
            _event(db, ticket_id, "security_incident", f"customer secret in the mail, redacted: {kinds}", row)
        lookalikes = _lookalikes(decision).get("lookalikes")
        if lookalikes:
            _event(db, ticket_id, "lookalike", f"links to look-alike domains: {', '.join(lookalikes)}", row)
        return ticket_id, ref

    # -- server sync -----------------------------------------------------------------------

    def unsynced(self, account: str, folder: str, uidvalidity: int, limit: int = 2000) -> list[SyncRow]:
        """Decided messages of this folder whose keywords are not on the server yet.

        A mail seen again because its folder was rebuilt (same folder, new UIDVALIDITY) is
        the same mail, not another copy: it shows how the original was handled (its ack
        state included, so it waits while that ack is pending), not `$Inboxd-Skipped`.
        """
        rows = self._db.execute(
            "SELECT m.id, m.uid, s.action, s.category, s.missing, s.skip_reason, s.escalation, s.facts, "
            "a.state AS ack_state, a.kind AS ack_kind "
            "FROM messages m LEFT JOIN messages o ON o.id = m.duplicate_of AND o.account = m.account "
            "AND o.folder = m.folder AND o.uidvalidity != m.uidvalidity "
            "JOIN messages s ON s.id = coalesce(o.id, m.id) LEFT JOIN acks a ON a.message_row = s.id "
            "WHERE m.account = ? AND m.folder = ? AND m.uidvalidity = ? AND m.state = 'decided' AND m.synced = 0 "
            "ORDER BY m.uid LIMIT ?",
            (account, folder, uidvalidity, limit),
        ).fetchall()
        result = [
            SyncRow(
                row=int(r["id"]),
                uid=int(r["uid"]),
                action=str(r["action"]),
                category=r["category"],
                missing=tuple(json.loads(r["missing"] or "[]")),
                ack_state=r["ack_state"],
                ack_kind=r["ack_kind"],
                skip_reason=r["skip_reason"],
                escalation=r["escalation"],
                reopened=bool(r["escalation"] and str(r["escalation"]).startswith("reopened")),
                # This mail itself carried a customer secret (kinds only are stored).
                security_incident=bool(facts.get("secrets")),
                lookalike=bool(facts.get("lookalikes")),
            )
            for r in rows
            for facts in (json.loads(r["facts"] or "{}"),)
        ]
        if result:
            # They are about to be applied on the IMAP server: first make their states durable.
            self._make_durable()
        return result

    def mark_synced(self, rows: Sequence[int]) -> None:
        if not rows:
            return
        with self._tx() as db:
            db.execute(f"UPDATE messages SET synced = 1, updated_at = ? WHERE id IN ({marks(rows)})", (now(), *rows))
