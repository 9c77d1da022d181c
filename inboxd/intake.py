"""Taking mail in: which UIDs a tick works on, and fetching a batch of them. Reads only.

The daemon's tick (`pipeline.Processor`) and `poll --dry-run` (`cli.shadow`) both take mail
in through `Intake`, so that a dry run previews exactly the mails a tick would handle, fetched
the same way. Nothing here writes: the store is only read (the checkpoint, the claims), and
the server is read with BODY.PEEK[] (no \\Seen); claiming, quarantining and moving the
checkpoint are the tick's own, after the fetch.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from inboxd import faults

if TYPE_CHECKING:
    from inboxd.mailbox import Fetched
    from inboxd.processing import Mailbox


class StoreReads(Protocol):
    """What taking mail in reads of the store (a `Store`, read-only or not)."""

    def checkpoint(self, account: str, folder: str, uidvalidity: int) -> int: ...
    def pending_uids(self, account: str, folder: str, uidvalidity: int) -> list[int]: ...
    def known_states(self, account: str, folder: str, uidvalidity: int, uids: Sequence[int]) -> dict[int, str]: ...


@dataclass(slots=True)
class Batch:
    """One batch of UIDs taken in: those over the size limit (never downloaded) and the rest
    fetched, each with its sha256 (hex) — the one hash of the mail: the claim and the parse take it."""

    uids: list[int]  # the batch as asked, decided ones included (the checkpoint moves past them all)
    oversized: list[tuple[int, int]] = field(default_factory=list)  # (uid, size)
    fetched: list[tuple[Fetched, str]] = field(default_factory=list)  # (mail, its sha256)


def oversized_reason(size: int, limit: int) -> str:
    return f"{size} bytes is over limits.max_message_bytes ({limit}); not downloaded"


@dataclass(frozen=True, slots=True)
class Intake:
    """One selected folder's mail as a tick takes it in. `store` None: nothing was processed
    yet (a dry run before the first poll creates no store), so every UID is new."""

    box: Mailbox
    store: StoreReads | None
    account: str
    folder: str
    uidvalidity: int
    max_message_bytes: int

    def backlog(self) -> list[int]:
        """The UIDs to work on, ascending: those claimed but not decided (a crash mid-batch, a
        quarantine retry in place) and the new ones after the checkpoint."""
        if self.store is None:
            return self.box.uids_after(0)
        key = (self.account, self.folder, self.uidvalidity)
        last = self.store.checkpoint(*key)
        pending = self.store.pending_uids(*key)
        return sorted(set(pending) | set(self.box.uids_after(last)))

    def batch(self, uids: list[int]) -> Batch:
        """Read the sizes of the batch's undecided UIDs and fetch those within the limit
        (BODY.PEEK[], in batches bounded by count and bytes: `Mailbox.fetch`)."""
        batch = Batch(uids)
        known = self.store.known_states(self.account, self.folder, self.uidvalidity, uids) if self.store else {}
        todo = [u for u in uids if known.get(u) != "decided"]
        if not todo:
            return batch
        sizes = self.box.sizes(todo)
        fetchable: list[int] = []
        for uid in todo:
            size = sizes.get(uid)
            if size is None:
                continue  # gone from the server since the search
            if size > self.max_message_bytes:
                batch.oversized.append((uid, size))
            else:
                fetchable.append(uid)
        for item in self.box.fetch(fetchable, sizes):
            faults.point("fetched")
            batch.fetched.append((item, hashlib.sha256(item.raw).hexdigest()))
        return batch
