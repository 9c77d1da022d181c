"""An operator's correction, appended to `classifiers/examples/corrections.csv`.

The file is an examples file like the others (`text,category,intent,who,when,ticket`:
see `inboxd.assets.read_examples`), so `inboxd train` and the console's candidate learn from
it; it is left out of the assets' fingerprint, so a correction never makes the live model
stale. Appends take an exclusive lock: the console and `inboxd correct` may write at once.
The text is the redacted text the model read: no secret reaches the file.
"""

from __future__ import annotations

import csv
import fcntl
import io
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from inboxd.assets import CORRECTIONS, Assets
from inboxd.store import Store

HEADER = ("text", "category", "intent", "who", "when", "ticket")
_INTENT = re.compile(r"^[a-z0-9_]{0,40}$")
# A spreadsheet would run a cell that starts with one of these as a formula: the text gets
# a leading space, which the examples loader strips again (CSV injection).
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True, slots=True)
class Correction:
    text: str
    category: str
    intent: str
    who: str
    ticket: str
    when: str = ""


def corrections_path(assets: Assets) -> Path:
    return assets.root / "examples" / CORRECTIONS


def problem(assets: Assets, category: str, intent: str, text: str) -> str | None:
    """Why this correction cannot be recorded, or None."""
    if category not in assets.categories:
        return f"unknown category {category!r}; known: {', '.join(assets.categories)}"
    if not _INTENT.match(intent):
        return "an intent is lower_case_with_underscores (at most 40)"
    if not text.strip():
        return "this mail's text is not kept (see [console] keep_text_days): there is nothing to learn from"
    return None


def append(path: Path, correction: Correction) -> Correction:
    """Append one row (and the header to a new file); returns the correction with its time."""
    when = correction.when or datetime.now(UTC).isoformat(timespec="seconds")
    text = correction.text.strip()
    if text.startswith(_FORMULA):
        text = " " + text
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    row = (text, correction.category, correction.intent, correction.who, when, correction.ticket)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a+", encoding="utf-8", newline="") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            handle.seek(0)
            first = handle.readline()
            if not first:
                writer.writerow(HEADER)
            elif tuple(first.strip().lower().split(",")) != HEADER:
                raise ValueError(f"{path}: its header is not {','.join(HEADER)}: not appending to it")
            handle.seek(0, io.SEEK_END)
            writer.writerow(row)
            handle.write(buffer.getvalue())
            handle.flush()
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
    return Correction(correction.text, correction.category, correction.intent, correction.who, correction.ticket, when)


def correct(store: Store, assets: Assets, row: int, category: str, intent: str, who: str) -> Correction:
    """Record an operator's correction of one decided mail: the examples file, the store, the audit log.

    ValueError (shown to the operator) when it cannot be recorded.
    """
    decision = store.decision(row)
    if decision is None:
        raise ValueError(f"no decided mail {row}")
    text = str(decision.get("model_text") or "")
    reason = problem(assets, category, intent, text)
    if reason is not None:
        raise ValueError(reason)
    done = append(
        corrections_path(assets), Correction(text, category, intent, who, str(decision.get("ticket_ref") or ""))
    )
    store.record_correction(row, category, intent)
    was = decision.get("category") or "-"
    store.audit(who, "correct", f"mail {row} {decision.get('ticket_ref') or ''}".strip(),
                f"{was} -> {category}{'/' + intent if intent else ''}")  # fmt: skip
    return done
