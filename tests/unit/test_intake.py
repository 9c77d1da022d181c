"""`inboxd.intake`: which UIDs a tick (and a dry run) takes in, and how a batch is fetched.

The mailbox is a fake that records every call and refuses every write; the store is a real
SQLite store, opened read-only for the intake after it was written here.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from pathlib import Path

from inboxd.intake import Intake, oversized_reason
from inboxd.mailbox import Fetched
from inboxd.store import Store
from inboxd.values import Action, Decision, MessageKey

ACCOUNT, FOLDER, UIDVALIDITY = "support", "INBOX", 9


class ReadOnlyBox:
    """A folder of UIDs → raw bytes; any write fails the test."""

    uidvalidity = UIDVALIDITY

    def __init__(self, mails: dict[int, bytes]):
        self.mails = mails
        self.calls: list[tuple[str, tuple[int, ...]]] = []

    def select(self, folder: str | None = None, readonly: bool = False) -> int:
        return self.uidvalidity

    def uids_after(self, last_uid: int) -> list[int]:
        return [u for u in sorted(self.mails) if u > last_uid]

    def sizes(self, uids: Sequence[int]) -> dict[int, int]:
        self.calls.append(("sizes", tuple(uids)))
        return {u: len(self.mails[u]) for u in uids if u in self.mails}

    def fetch(self, uids: Sequence[int], sizes: dict[int, int], max_batch_bytes: int = 0) -> Iterable[Fetched]:
        self.calls.append(("fetch", tuple(uids)))
        return [Fetched(u, self.mails[u]) for u in uids]

    def add_keywords(self, uids: Sequence[int], keywords: Iterable[str]) -> None:
        raise AssertionError("intake wrote keywords")

    def move(self, uids: Sequence[int], folder: str) -> None:
        raise AssertionError("intake moved mail")

    def uids_with_keyword(self, keyword: str) -> list[int]:
        return []

    def answered(self, uids: Sequence[int]) -> list[int]:
        return []


def test_without_a_store_every_uid_is_new_and_oversized_mail_is_not_downloaded() -> None:
    box = ReadOnlyBox({1: b"a" * 10, 2: b"b" * 5000, 3: b"c" * 20})
    intake = Intake(box, None, ACCOUNT, FOLDER, UIDVALIDITY, max_message_bytes=1024)
    assert intake.backlog() == [1, 2, 3]
    batch = intake.batch([1, 2, 3])
    assert batch.uids == [1, 2, 3]
    assert batch.oversized == [(2, 5000)]
    assert [(item.uid, digest) for item, digest in batch.fetched] == [
        (1, hashlib.sha256(b"a" * 10).hexdigest()),
        (3, hashlib.sha256(b"c" * 20).hexdigest()),
    ]
    assert box.calls == [("sizes", (1, 2, 3)), ("fetch", (1, 3))]
    assert "5000 bytes is over limits.max_message_bytes (1024)" in oversized_reason(5000, 1024)


def test_backlog_is_pending_claims_and_new_uids_and_decided_mail_is_not_fetched(tmp_path: Path) -> None:
    path = tmp_path / "store.sqlite3"
    store = Store(path)
    decided = store.claim(MessageKey(ACCOUNT, FOLDER, UIDVALIDITY, 1), None, "h1", 10)
    store.record_decision(decided.row, None, Decision(Action.QUARANTINE, reason="could not be parsed"))
    store.claim(MessageKey(ACCOUNT, FOLDER, UIDVALIDITY, 2), None, "h2", 10)  # claimed, never decided
    store.set_checkpoint(ACCOUNT, FOLDER, UIDVALIDITY, 3)
    store.close()
    box = ReadOnlyBox({u: bytes([96 + u]) * 10 for u in range(1, 6)})
    reader = Store(path, readonly=True)
    intake = Intake(box, reader, ACCOUNT, FOLDER, UIDVALIDITY, max_message_bytes=1024)
    assert intake.backlog() == [2, 4, 5]  # UID 2 below the checkpoint, still to decide
    batch = intake.batch([1, 2, 4])
    assert batch.uids == [1, 2, 4]  # the checkpoint moves past the decided one too
    assert [item.uid for item, _ in batch.fetched] == [2, 4]
    assert box.calls == [("sizes", (2, 4)), ("fetch", (2, 4))]
    assert intake.batch([1]).fetched == [] and box.calls[-1] == ("fetch", (2, 4))  # nothing asked of the server
    reader.close()
