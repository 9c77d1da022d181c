"""Decisions: a claimed message's outcome committed with its ticket change, events and pending ack.

`reserve_tickets` takes new tickets' ids and references before their acknowledgements are rendered;
`record_decision` then commits, in one transaction and with nothing called back inside it, the
ticket (new or updated) and its events, the webhook events, the acknowledgement and the
message's decision. A message is decided once: a second call for it changes nothing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from inboxd.domains import domain_of
from inboxd.escalation import PHISHING_REPORT
from inboxd.store.base import Db, StoreBase, now
from inboxd.store.codec import facts_json, missing_json
from inboxd.store.events import emit
from inboxd.store.messages import _NOT_ORIGINAL
from inboxd.tickets import SECURITY_REASON, TicketPlan, normalise_subject
from inboxd.values import Action, Decision, MailSummary, OutgoingMail


@dataclass(frozen=True, slots=True)
class ReservedTicket:
    """A new ticket's id and reference, taken before its acknowledgement is rendered (`reserve_tickets`)."""

    id: int
    ref: str


def _lookalikes(decision: Decision) -> list[str]:
    """The look-alike domains a mail links to, kept with its facts (the server sync flags it)."""
    return [link.domain for link in decision.links if link.verdict == "lookalike"]


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


def ticket_ref(prefix: str, ticket_id: int) -> str:
    return f"{prefix}-{ticket_id:06d}"


class DecisionsMixin(StoreBase):
    # -- decisions -------------------------------------------------------------------------

    def reserve_tickets(self, prefix: str, count: int = 1) -> list[ReservedTicket]:
        """The ids and references the next `count` new tickets get, in ascending order, taken now
        so that an acknowledgement can be rendered before the transaction that records both
        (`record_decision(..., ticket=...)`). A burst takes them a group at a time: one commit
        for the group instead of one per ticket.

        Ids come from the tickets' own counter, which never gives an id twice: a reservation
        never used (the mail was a duplicate or a reply after all, or inboxd stopped before
        recording it) leaves a gap in the numbers and nothing else; no ack with its reference
        was committed.
        """
        if count < 1:
            raise ValueError(f"reserve at least one ticket, not {count}")
        with self._tx() as db:
            if db.dialect == "postgresql":
                rows = db.execute(
                    "SELECT nextval(pg_get_serial_sequence('tickets', 'id')) FROM generate_series(1, ?)", (count,)
                ).fetchall()
                ids = sorted(int(r[0]) for r in rows)
            else:
                # AUTOINCREMENT's counter (sqlite_sequence): above every id ever taken.
                found = db.execute(
                    "UPDATE sqlite_sequence SET seq = seq + ? WHERE name = 'tickets' RETURNING seq", (count,)
                ).fetchone()
                if found is None:  # no ticket yet: the counter starts here
                    db.execute("INSERT INTO sqlite_sequence (name, seq) VALUES ('tickets', ?)", (count,))
                    found = (count,)
                ids = list(range(int(found[0]) - count + 1, int(found[0]) + 1))
        return [ReservedTicket(ticket_id, ticket_ref(prefix, ticket_id)) for ticket_id in ids]

    def record_decision(
        self,
        row: int,
        mail: MailSummary | None,
        decision: Decision,
        *,
        plan: TicketPlan | None = None,
        ticket_prefix: str = "INB",
        ticket: ReservedTicket | None = None,
        outgoing: OutgoingMail | None = None,
        text: str | None = None,
    ) -> str | None:
        """Commit the decision for a claimed message, with its ticket change and pending ack.

        Everything lands in one transaction: the ticket (new, under the `ticket` reserved for
        it if any, or updated), its events, the acknowledgement to send (`outgoing`, rendered
        beforehand for the ticket's reference) and the message's decision. Nothing is called
        back inside the transaction. Returns the ticket reference, if any. `text`: the
        redacted text the classifier read, kept for the console (or None).
        """
        if plan is not None and plan.ticket_id is None and outgoing is not None and ticket is None:
            raise ValueError("an acknowledgement of a new ticket is rendered for a reserved ticket (reserve_tickets)")
        at = now()
        c = decision.classification
        # The mail's facts and the missing fields, as JSON once: a new ticket's are the same text.
        lookalikes = _lookalikes(decision)
        facts = facts_json(decision.facts, lookalikes)
        missing = missing_json(plan.missing if plan else decision.missing)
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
                ticket_facts = facts if plan.facts is decision.facts and not lookalikes else facts_json(plan.facts)
                ticket_id, ref = self._apply_plan(
                    db, row, mail, decision, plan, ticket_prefix, ticket, at, ticket_facts, missing, lookalikes
                )
                ticket_ref = ref
                _plan_events(db, state["account"], state["folder"], ticket_id, decision, plan, page)
                if plan.send and outgoing is not None:
                    out = outgoing
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
                    facts,
                    missing,
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

    def _duplicate_after_parse(self, db: Db, row: int, account: str, mail: MailSummary, at: float) -> bool:
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
        self,
        db: Db,
        row: int,
        mail: MailSummary,
        decision: Decision,
        plan: TicketPlan,
        prefix: str,
        reserved: ReservedTicket | None,
        at: float,
        facts: str,
        missing: str,
        lookalikes: list[str],
    ) -> tuple[int, str]:
        """The plan's ticket, new or updated, and its events; `facts` and `missing`: the plan's, as JSON;
        `lookalikes`: the mail's look-alike domains."""
        escalated = 1 if plan.escalation else 0
        reason = plan.escalation.reason if plan.escalation else None
        if plan.ticket_id is None:
            c = decision.classification
            dues = [d for d in (plan.first_response_due, plan.resolution_due) if d is not None]
            timing = (plan.first_response_due, plan.resolution_due, min(dues) if dues else None)
            # The ticket belongs to the From address (never Reply-To), with the verdict on it.
            # Under its reserved id when its acknowledgement was rendered for it, with its reference
            # and due times in the one INSERT; else under the counter's next id, which its reference
            # is made of, set just after.
            columns, values = (
                ("id, ref, first_response_due, resolution_due, sla_due, ", "?, ?, ?, ?, ?, ") if reserved else ("", "")
            )
            cur = db.execute(
                f"INSERT INTO tickets ({columns}customer, subject, subject_key, category, language, state, priority, "
                "missing, facts, escalated, escalation_reason, security_incident, sender_verdict, last_customer_at, "
                f"created_at, updated_at) VALUES ({values}?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                (
                    *((reserved.id, reserved.ref, *timing) if reserved else ()),
                    mail.sender, mail.subject, normalise_subject(mail.subject), c.category if c else "other",
                    decision.language, plan.state, plan.priority, missing, facts, escalated, reason,
                    int(plan.security_incident), decision.sender.verdict, at, at, at,
                ),
            )  # fmt: skip
            ticket_id = int(cur.fetchone()["id"])
            if reserved:
                ref = reserved.ref
            else:
                ref = ticket_ref(prefix, ticket_id)
                db.execute(
                    "UPDATE tickets SET ref = ?, first_response_due = ?, resolution_due = ?, sla_due = ? WHERE id = ?",
                    (ref, *timing, ticket_id),
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
        if lookalikes:
            _event(db, ticket_id, "lookalike", f"links to look-alike domains: {', '.join(lookalikes)}", row)
        return ticket_id, ref
