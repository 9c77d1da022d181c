"""The resolution notice: rendered in the ticket's language, queued once per resolution, and the
ticket closed when nobody answers within [tickets] reopen_within_days."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from inboxd.compose import App
from inboxd.resolution import build_notice
from inboxd.store import Store
from inboxd.tickets import NoticeDue, TicketPlan
from inboxd.values import Action, Classification, Decision, Facts, MessageKey, OutgoingMail
from tests.unit.test_store import with_ack

PLAN = TicketPlan(None, "open", "normal", (), Facts(), None, False, "ack", False)


def test_notice_in_the_tickets_language_threads_and_quotes_nothing(offline_app: App) -> None:
    due = NoticeDue(7, "INB-000007", "dan@example.com", "zh", "deposit_withdrawal", ("<c1@x>", "<inboxd.a@y>"))
    mail = build_notice(due, 3, offline_app.renderer, offline_app.policy)
    assert mail.to == "dan@example.com" and "[#INB-000007]" in mail.subject
    assert "直接回复这封邮件即可" in mail.body and "INB-000007" in mail.body
    assert mail.in_reply_to == "<inboxd.a@y>" and mail.references == ("<c1@x>", "<inboxd.a@y>")
    assert mail.message_id == "<inboxd.INB-000007.resolved-3@exchange.test>"
    other = NoticeDue(7, "INB-000007", "dan@example.com", "en", "no-such-category", ())
    english = build_notice(other, 4, offline_app.renderer, offline_app.policy)
    assert "If this is not solved, just reply" in english.body and english.in_reply_to is None


def _ticket(store: Store) -> str:
    claim = store.claim(MessageKey("acct", "INBOX", 1, 1), None, "h1", 10)

    class Mail:
        message_id, content_hash, sender, reply_to, subject = "<m1@x>", "h1", "c@example.com", "", "s"

    def render(ref: str) -> OutgoingMail:
        return OutgoingMail("c@example.com", f"[#{ref}]", "body", f"<inboxd.{ref}.1@x>", "<m1@x>", ())

    decision = Decision(Action.ACK, language="en", classification=Classification("account", 0.9, "account"))
    ref = store.record_decision(claim.row, Mail(), decision, **with_ack(store, PLAN, render))  # type: ignore[arg-type]
    assert ref is not None
    return ref


def _notice(ref: str, serial: int) -> OutgoingMail:
    return OutgoingMail("c@example.com", f"[#{ref}]", "resolved", f"<inboxd.{ref}.resolved-{serial}@x>", None, ())


def test_one_notice_per_resolution_and_closing_after_the_window(make_store: Callable[[], Store]) -> None:
    store = make_store()
    ref = _ticket(store)
    assert store.notices_due("acct", "INBOX") == []
    assert store.resolve_ticket(ref, "test")
    (due,) = store.notices_due("acct", "INBOX")
    assert due.ref == ref and due.message_ids == ("<m1@x>", f"<inboxd.{ref}.1@x>")
    assert store.notices_due("other", "INBOX") == []  # another mailbox's tick does not send it
    serial = store.notice_serial("acct", "INBOX")
    assert store.queue_notice(due.ticket_id, "acct", "INBOX", serial, _notice(ref, serial))
    assert not store.queue_notice(due.ticket_id, "acct", "INBOX", serial + 1, _notice(ref, serial + 1))
    assert store.notices_due("acct", "INBOX") == []
    kinds = [a.kind for a in store.acks_due()]
    assert kinds == ["ack", "resolution"]
    # The notice's row is no mail on the server: nothing to sync for the folder.
    assert [r.row for r in store.unsynced("acct", "INBOX", 1)] == [1]
    assert not store.resolve_ticket(ref, "twice")
    assert store.close_resolved(time.time() - 3600) == []  # resolved just now: inside the window
    assert store.close_resolved(time.time() + 1) == [ref]
    data = store.ticket(ref)
    assert data is not None and data.state == "closed" and data.events[-1].kind == "closed"
    assert not store.resolve_ticket(ref, "closed")


def test_no_notice_for_a_forged_opener(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.sqlite3")
    ref = _ticket(store)
    store._db.execute("UPDATE tickets SET sender_verdict = 'fail'")
    store.resolve_ticket(ref, "test")
    (due,) = store.notices_due("acct", "INBOX")
    assert store.notice_blocked(due.ticket_id) == "the ticket was opened by a forged sender"
    store.skip_notice(due.ticket_id, "forged")
    assert store.notices_due("acct", "INBOX") == []
