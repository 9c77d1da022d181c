"""`examples/*.csv`: the labelled examples, `text,category` and optional columns (intent, writer,
language, and who corrected which ticket when). `examples/corrections.csv` is what operators
corrected in the console (`inboxd correct`)."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from inboxd.assets.categories import LANGUAGES
from inboxd.errors import ConfigError, Problem

# The operators' corrections (inboxd.console.corrections): trained on like every examples file,
# but left out of the fingerprint, so that a correction does not make the live model stale:
# it reaches the live model when an operator promotes a candidate trained with it.
CORRECTIONS = "corrections.csv"


@dataclass(frozen=True, slots=True)
class Example:
    text: str
    category: str
    source: str  # file:line, for reports
    intent: str = ""  # optional finer label inside the category
    # Who wrote it: cross-validation can hold out a whole writer (`classifier.training.cross_validate`).
    # A file without the column is its own writer (`read_examples`).
    writer: str = ""

    @property
    def label(self) -> str:
        """What the model learns: the intent within its category when there is one."""
        return f"{self.category}/{self.intent}" if self.intent else self.category

    @property
    def file(self) -> str:
        """The name of the file it came from."""
        return self.source.rsplit(":", 1)[0]

    def group(self, by: str) -> str:
        """Its group when cross-validation holds out whole groups: its `writer` or its `source` file."""
        if by == "writer":
            return self.writer or Path(self.file).stem
        if by == "source":
            return self.file
        raise ValueError(f"unknown grouping {by!r}")


_MAX_LINES_LISTED = 5
# Columns an examples file may have after `text,category`, each at most once, in any order.
# `language` (en/zh) is what evaluation sets carry: checked, then not used.
# `who`, `when` and `ticket` say who corrected which ticket's mail when (the corrections file): checked, not used.
OPTIONAL_COLUMNS = ("intent", "writer", "language", "who", "when", "ticket")
_HEADER = "text,category" + "".join(f"[,{c}]" for c in OPTIONAL_COLUMNS)
_WRITER = re.compile(r"^[\w.-]{1,64}$")
_WHO = re.compile(r"^[\w.@-]{1,64}$")
_TICKET = re.compile(r"^[A-Z][A-Z0-9]{1,9}-\d{1,12}$")


def _audit_problem(cell: dict[str, str]) -> str | None:
    """What is wrong with a row's `who`, `when` and `ticket` (each may be empty), or None."""
    if cell.get("who") and not _WHO.match(cell["who"]):
        return "who is 1-64 letters, digits, '_', '.', '@' or '-'"
    if cell.get("when"):
        try:
            datetime.fromisoformat(cell["when"])
        except ValueError:
            return "when must be an ISO 8601 time, e.g. 2026-12-07T08:00:00+00:00"
    if cell.get("ticket") and not _TICKET.match(cell["ticket"]):
        return "ticket must be a ticket reference, e.g. INB-000123"
    return None


def _lines(numbers: list[int]) -> str:
    shown = ", ".join(str(n) for n in numbers[:_MAX_LINES_LISTED])
    more = f" (+{len(numbers) - _MAX_LINES_LISTED} more)" if len(numbers) > _MAX_LINES_LISTED else ""
    return f"line{'s' if len(numbers) > 1 else ''} {shown}{more}"


def read_examples(path: Path, categories: Iterable[str]) -> Iterator[Example]:
    """Yield the examples of one CSV file; raise ConfigError naming the file and line.

    The columns are `text,category` and, optionally and in any order, `intent`: a finer
    label inside the category (Banking77's intents, say) that the model learns separately
    and adds up to its category; `writer`: who wrote the text, so that cross-validation
    can hold out whole writers (without it, or where it is empty, the writer is the
    file's name less `.csv`); `language` (en or zh), which evaluation sets carry. A
    category the assets do not define is reported once, with its lines.
    """
    known = set(categories)
    problems: list[Problem] = []
    unknown: dict[str, list[int]] = {}
    try:
        handle = path.open(encoding="utf-8", newline="")
    except OSError as exc:
        raise ConfigError([Problem(str(path), "", f"cannot read: {exc.strerror}")]) from exc
    with handle:
        reader = csv.reader(handle)
        try:
            header = [h.strip().lower() for h in next(reader, None) or []]
            extra = header[2:]
            if (
                header[:2] != ["text", "category"]
                or len(set(extra)) != len(extra)
                or not set(extra) <= set(OPTIONAL_COLUMNS)
            ):
                raise ConfigError([Problem(str(path), "line 1", f"the header must be: {_HEADER}")])
            column = {name: header.index(name) for name in OPTIONAL_COLUMNS if name in header}
            rows: list[Example] = []
            for row in reader:
                line = reader.line_num
                if not row or all(not cell.strip() for cell in row):
                    continue
                if len(row) != len(header):
                    problems.append(
                        Problem(str(path), f"line {line}", f"expected {len(header)} columns, found {len(row)}")
                    )
                    continue
                text, category = row[0].strip(), row[1].strip()
                cell = {name: row[i].strip() for name, i in column.items()}
                writer = cell.get("writer", "")
                language = cell.get("language", "")
                if not text:
                    problems.append(Problem(str(path), f"line {line}", "empty text"))
                elif writer and not _WRITER.match(writer):
                    problems.append(
                        Problem(str(path), f"line {line}", "a writer is 1-64 letters, digits, '_', '.' or '-'")
                    )
                elif language and language not in LANGUAGES:
                    problems.append(Problem(str(path), f"line {line}", f"language must be one of {list(LANGUAGES)}"))
                elif (audit := _audit_problem(cell)) is not None:
                    problems.append(Problem(str(path), f"line {line}", audit))
                elif category not in known:
                    unknown.setdefault(category, []).append(line)
                else:
                    rows.append(
                        Example(
                            text=text,
                            category=category,
                            source=f"{path.name}:{line}",
                            intent=cell.get("intent", ""),
                            writer=writer or path.stem,
                        )
                    )
        except (csv.Error, UnicodeDecodeError) as exc:
            raise ConfigError([Problem(str(path), f"line {reader.line_num}", f"not valid CSV: {exc}")]) from exc
    for category, lines in unknown.items():
        problems.append(Problem(str(path), _lines(lines), f"unknown category {category!r}; known: {sorted(known)}"))
    if problems:
        raise ConfigError(problems)
    yield from rows
