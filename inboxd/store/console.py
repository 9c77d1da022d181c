"""What the operator console reads and writes: decisions with their filters, the kept text,
corrections, the audit log of operator actions, and the dashboard's daily figures.

The console (inboxd.console) holds no SQL: every query it runs is here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from inboxd.store.base import StoreBase, now
from inboxd.store.rows import TicketRow, columns, ticket_row

# Confidence bands of the decisions page: the model's confidence (a rule decides at 1.0).
BANDS: dict[str, tuple[float, float]] = {"high": (0.8, 1.01), "medium": (0.5, 0.8), "low": (0.0, 0.5)}
DAY = 86400.0


@dataclass(frozen=True, slots=True)
class DecisionFilter:
    """The decisions page's filters; an empty value does not filter."""

    category: str = ""
    language: str = ""
    band: str = ""  # high | medium | low
    by: str = ""  # rule | model
    sender: str = ""  # pass | fail | none (the sender verdict)
    escalated: bool = False
    security: bool = False  # the ticket is a security incident (a customer secret was removed)
    missing: bool = False  # something required was missing
    ticket: str = ""  # a ticket reference


_DECISION_COLUMNS = (
    "m.id, m.created_at, m.action, m.skip_reason, m.reason, m.sender, m.subject, m.language, m.category, "
    "m.confidence, m.rule, m.runner_up, m.runner_up_confidence, m.missing, m.escalation, m.sender_verdict, "
    "m.corrected_category, m.corrected_intent, t.ref AS ticket_ref, t.security_incident, t.escalated, "
    "a.id AS ack_id, a.kind AS ack_kind, a.state AS ack_state"
)
_DECISION_FROM = (
    "FROM messages m LEFT JOIN tickets t ON t.id = m.ticket_id LEFT JOIN acks a ON a.message_row = m.id "
    "WHERE m.state = 'decided' AND coalesce(m.skip_reason, '') NOT IN ('duplicate', 'superseded', 'retried')"
)


def _row(r: Any) -> dict[str, Any]:
    out = dict(r)
    for key in ("missing", "facts"):
        if key in out:
            out[key] = json.loads(out[key] or ("[]" if key == "missing" else "{}"))
    return out


class ConsoleMixin(StoreBase):
    # -- decisions ---------------------------------------------------------------------------

    def decisions(self, where: DecisionFilter, limit: int = 100, offset: int = 0) -> list[dict[str, Any]]:
        """Decided mail, newest first, as the filters say (copies of a mail shown once)."""
        sql = [_DECISION_FROM]
        params: list[Any] = []
        for column, value in (("m.category", where.category), ("m.language", where.language),
                              ("m.sender_verdict", where.sender), ("t.ref", where.ticket)):  # fmt: skip
            if value:
                sql.append(f"AND {column} = ?")
                params.append(value)
        if where.band in BANDS:
            low, high = BANDS[where.band]
            sql.append("AND m.confidence >= ? AND m.confidence < ?")
            params += [low, high]
        if where.by == "rule":
            sql.append("AND m.rule IS NOT NULL")
        elif where.by == "model":
            sql.append("AND m.rule IS NULL AND m.category IS NOT NULL")
        if where.escalated:
            sql.append("AND (m.escalation IS NOT NULL OR t.escalated = 1)")
        if where.security:
            sql.append("AND t.security_incident = 1")
        if where.missing:
            sql.append("AND m.missing IS NOT NULL AND m.missing != '[]'")
        rows = self._db.execute(
            f"SELECT {_DECISION_COLUMNS} {' '.join(sql)} ORDER BY m.id DESC LIMIT ? OFFSET ?",
            (*params, limit, offset),
        ).fetchall()
        return [_row(r) for r in rows]

    def decision(self, row: int) -> dict[str, Any] | None:
        """One decided mail with its kept text, facts, the acknowledgement as sent and its ticket's ref."""
        r = self._db.execute(
            f"SELECT {_DECISION_COLUMNS}, m.model_text, m.facts, m.sender_evidence, m.message_id, m.reply_to, "
            "a.to_addr AS ack_to, a.subject AS ack_subject, a.body AS ack_body, a.sent_at AS ack_sent_at, "
            "a.last_error AS ack_error "
            "FROM messages m LEFT JOIN tickets t ON t.id = m.ticket_id LEFT JOIN acks a ON a.message_row = m.id "
            "WHERE m.id = ? AND m.state = 'decided'",
            (row,),
        ).fetchone()
        return _row(r) if r is not None else None

    def decision_values(self) -> dict[str, list[str]]:
        """The categories, languages and sender verdicts that occur, for the filters' choices."""
        out: dict[str, list[str]] = {}
        for column in ("category", "language", "sender_verdict"):
            rows = self._db.execute(
                f"SELECT DISTINCT {column} FROM messages WHERE {column} IS NOT NULL ORDER BY {column}"
            ).fetchall()
            out[column] = [str(r[0]) for r in rows]
        return out

    def kept_texts(self, limit: int = 2000) -> list[dict[str, Any]]:
        """The most recent decisions whose text is kept, for a candidate model or a rule to try on."""
        rows = self._db.execute(
            "SELECT m.id, m.model_text, m.category, m.rule, m.confidence, m.corrected_category, t.ref AS ticket_ref "
            "FROM messages m LEFT JOIN tickets t ON t.id = m.ticket_id "
            "WHERE m.model_text IS NOT NULL AND m.category IS NOT NULL ORDER BY m.id DESC LIMIT ?",
            (limit,),
        ).fetchall()
        return [dict(r) for r in rows]

    def purge_text(self, before: float) -> int:
        """Forget the kept text of mail decided before `before` (the retention of [console] keep_text_days)."""
        with self._tx() as db:
            cur = db.execute(
                "UPDATE messages SET model_text = NULL WHERE model_text IS NOT NULL AND created_at < ?", (before,)
            )
            return cur.rowcount

    def record_correction(self, row: int, category: str, intent: str) -> bool:
        with self._tx() as db:
            cur = db.execute(
                "UPDATE messages SET corrected_category = ?, corrected_intent = ? WHERE id = ? AND state = 'decided'",
                (category, intent or None, row),
            )
            return cur.rowcount == 1

    def message_by_ticket(self, ref: str) -> int | None:
        """The first mail of a ticket (the one that opened it)."""
        r = self._db.execute(
            "SELECT m.id FROM messages m JOIN tickets t ON t.id = m.ticket_id WHERE t.ref = ? ORDER BY m.id LIMIT 1",
            (ref,),
        ).fetchone()
        return int(r[0]) if r else None

    def security_incidents(self, limit: int = 200) -> list[TicketRow]:
        """Tickets on which a customer sent a secret, the most recently updated first."""
        rows = self._db.execute(
            f"SELECT {columns(TicketRow)} FROM tickets WHERE security_incident = 1 ORDER BY updated_at DESC LIMIT ?",
            (limit,),
        ).fetchall()
        return [ticket_row(r) for r in rows]

    # -- audit -------------------------------------------------------------------------------

    def audit(self, who: str, action: str, target: str = "", detail: str = "") -> None:
        """Record an operator action (never a secret: the callers pass names, ids and categories)."""
        with self._tx() as db:
            db.execute(
                "INSERT INTO console_audit (at, who, action, target, detail) VALUES (?, ?, ?, ?, ?)",
                (now(), who, action, target, detail),
            )

    def audit_log(self, limit: int = 200) -> list[dict[str, Any]]:
        rows = self._db.execute(
            "SELECT at, who, action, target, detail FROM console_audit ORDER BY id DESC LIMIT ?", (limit,)
        ).fetchall()
        return [dict(r) for r in rows]

    # -- dashboard ---------------------------------------------------------------------------

    def daily_volume(self, since: float) -> list[dict[str, Any]]:
        """Mail decided per day (UTC), category and language, with how many lacked information.

        Counted here rather than in SQL: SQLite truncates a CAST to INTEGER, PostgreSQL rounds it.
        """
        counts: dict[tuple[int, str, str], list[int]] = {}
        for r in self._db.execute(
            "SELECT created_at, category, language, missing FROM messages "
            "WHERE created_at >= ? AND state = 'decided' AND category IS NOT NULL",
            (since,),
        ):
            key = (int(r[0] // DAY), str(r[1]), str(r[2] or ""))
            entry = counts.setdefault(key, [0, 0])
            entry[0] += 1
            entry[1] += 1 if r[3] and r[3] != "[]" else 0
        return [
            {"day": day, "category": category, "language": language, "n": n, "incomplete": incomplete}
            for (day, category, language), (n, incomplete) in sorted(counts.items())
        ]

    def ack_delays(self, since: float) -> list[tuple[int, float]]:
        """(day, seconds from the mail's arrival in the store to its acknowledgement being sent)."""
        rows = self._db.execute(
            "SELECT m.created_at, a.sent_at FROM acks a JOIN messages m ON m.id = a.message_row "
            "WHERE a.state = 'sent' AND a.sent_at IS NOT NULL AND m.created_at >= ? ORDER BY m.created_at",
            (since,),
        ).fetchall()
        return [(int(float(r[0]) // DAY), float(r[1]) - float(r[0])) for r in rows]
