"""Load and validate the classifier assets operators edit in `classifiers/`.

- `categories.toml`: the categories (display names, required information, template,
  IMAP keyword and folder) and the fields that required information is made of;
- `rules.toml`: named deterministic rules (regex -> category) tried before the model;
- `model.toml`: model settings (checked against scikit-learn in `classify`);
- `extraction.toml`: order-ID cue words, ID patterns and exclusions (optional: the
  built-in lists of `extract.orders` apply without it);
- `phishing.toml`: forwarded-message markers and the cue lists that make a mail a
  phishing report (`inboxd.phishing`; optional: without it no mail is one);
- `examples/*.csv`: labelled examples, `text,category[,intent][,writer]`;
  `examples/corrections.csv` is what operators corrected in the console (`inboxd correct`),
  with who corrected which ticket when.

Problems are collected, never raised one at a time, so `inboxd check` can list them all.
"""

from __future__ import annotations

import csv
import hashlib
import re
import tomllib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from inboxd.errors import ConfigError, Problem
from inboxd.extract.orders import (
    BUILTIN_CUES,
    BUILTIN_EXCLUDE,
    BUILTIN_PATTERNS,
    BUILTIN_RULES,
    OrderRules,
    compile_rules,
)

# The fact kinds extraction produces; a required field is satisfied by any of its kinds.
FACT_KINDS = frozenset({"tx_id", "order_id", "amount", "time", "account_id", "address"})
LANGUAGES = ("en", "zh")
FALLBACK = "other"
# The operators' corrections (inboxd.console.corrections): trained on like every examples file,
# but left out of the fingerprint, so that a correction does not make the live model stale:
# it reaches the live model when an operator promotes a candidate trained with it.
CORRECTIONS = "corrections.csv"
_KEYWORD = re.compile(r"^\$?[A-Za-z0-9_.-]{1,64}$")
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


@dataclass(frozen=True, slots=True)
class Category:
    name: str
    display: dict[str, str]  # language -> display name
    required: tuple[str, ...]  # field names
    template: str
    keyword: str
    folder: str


@dataclass(frozen=True, slots=True)
class Rule:
    name: str
    category: str
    pattern: re.Pattern[str]


@dataclass(frozen=True, slots=True)
class PhishingRules:
    """`phishing.toml`, compiled: what `inboxd.phishing` recognises a phishing report by."""

    forward: tuple[tuple[str, re.Pattern[str]], ...] = ()  # (mail client, the line that starts a forward)
    subject: re.Pattern[str] | None = None  # a subject that says the mail is a forward
    questions: tuple[re.Pattern[str], ...] = ()  # "is this from you?", in the customer's words
    suspicious: tuple[re.Pattern[str], ...] = ()  # verify / suspended / 助记词, in the forwarded part


NO_PHISHING_RULES = PhishingRules()


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


@dataclass(frozen=True, slots=True)
class Assets:
    root: Path
    categories: dict[str, Category]
    fields: dict[str, tuple[str, ...]]  # field -> fact kinds that satisfy it
    rules: tuple[Rule, ...]
    model_settings: dict[str, Any]
    example_files: tuple[Path, ...]
    order_rules: OrderRules = BUILTIN_RULES
    phishing: PhishingRules = NO_PHISHING_RULES

    @property
    def category_names(self) -> tuple[str, ...]:
        return tuple(self.categories)

    def examples(self) -> Iterator[Example]:
        for path in self.example_files:
            yield from read_examples(path, self.categories)

    def fingerprint(self) -> str:
        """Hash of the examples and the category list (model.toml has a digest of its own in
        `classify`, which leaves out the settings that apply only when deciding)."""
        digest = hashlib.sha256()
        for path in self.example_files:
            if path.name == CORRECTIONS:
                continue
            digest.update(path.name.encode())
            digest.update(path.read_bytes())
        digest.update(repr(sorted(self.categories)).encode())
        return digest.hexdigest()


def _read_toml(path: Path, problems: list[Problem]) -> dict[str, Any] | None:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        problems.append(Problem(str(path), "", "file is missing"))
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(Problem(str(path), "", f"cannot read: {exc}"))
    except tomllib.TOMLDecodeError as exc:
        problems.append(Problem(str(path), "", f"not valid TOML: {exc}"))
    return None


def _str_table(value: Any) -> bool:
    return isinstance(value, dict) and all(isinstance(v, str) and v for v in value.values())


def _load_fields(data: dict[str, Any], file: str, problems: list[Problem]) -> dict[str, tuple[str, ...]]:
    fields: dict[str, tuple[str, ...]] = {}
    raw = data.get("fields", {})
    if not isinstance(raw, dict):
        problems.append(Problem(file, "fields", "must be a table of fields"))
        return fields
    for name, spec in raw.items():
        key = f"fields.{name}"
        if not _NAME.match(name):
            problems.append(Problem(file, key, "field names are lower_case_with_underscores"))
            continue
        if not isinstance(spec, dict) or set(spec) != {"any_of"}:
            problems.append(Problem(file, key, "must be a table with exactly one key, any_of"))
            continue
        kinds = spec["any_of"]
        if not isinstance(kinds, list) or not kinds or not all(isinstance(k, str) for k in kinds):
            problems.append(Problem(file, f"{key}.any_of", "must be a non-empty list of fact kinds"))
            continue
        unknown = sorted(set(kinds) - FACT_KINDS)
        if unknown:
            problems.append(
                Problem(file, f"{key}.any_of", f"unknown fact kind(s) {unknown}; known: {sorted(FACT_KINDS)}")
            )
            continue
        fields[name] = tuple(kinds)
    return fields


_CATEGORY_KEYS = {"name", "required", "template", "keyword", "folder"}


def _load_categories(
    data: dict[str, Any], fields: dict[str, tuple[str, ...]], file: str, problems: list[Problem]
) -> dict[str, Category]:
    categories: dict[str, Category] = {}
    raw = data.get("categories")
    if not isinstance(raw, dict) or not raw:
        problems.append(Problem(file, "categories", "must define at least one category"))
        return categories
    for name, spec in raw.items():
        key = f"categories.{name}"
        if not _NAME.match(name):
            problems.append(Problem(file, key, "category names are lower_case_with_underscores"))
            continue
        if not isinstance(spec, dict):
            problems.append(Problem(file, key, "must be a table"))
            continue
        for extra in sorted(set(spec) - _CATEGORY_KEYS):
            problems.append(Problem(file, f"{key}.{extra}", "unknown key"))
        given = spec.get("name")
        display: dict[str, str] = {lang: name for lang in LANGUAGES}
        if isinstance(given, dict) and _str_table(given) and set(given) == set(LANGUAGES):
            display = {str(k): str(v) for k, v in given.items()}
        else:
            problems.append(Problem(file, f"{key}.name", f"must give a display name for each of {LANGUAGES}"))
        required = spec.get("required", [])
        if not isinstance(required, list) or not all(isinstance(r, str) for r in required):
            problems.append(Problem(file, f"{key}.required", "must be a list of field names"))
            required = []
        for field in required:
            if field not in fields:
                problems.append(Problem(file, f"{key}.required", f"unknown field {field!r}; defined: {sorted(fields)}"))
        template = spec.get("template", name)
        keyword = spec.get("keyword", f"$Inboxd-{name}")
        folder = spec.get("folder", "")
        for sub, value in (("template", template), ("keyword", keyword), ("folder", folder)):
            if not isinstance(value, str):
                problems.append(Problem(file, f"{key}.{sub}", "must be a string"))
        if isinstance(template, str) and not _NAME.match(template):
            problems.append(Problem(file, f"{key}.template", "template names are lower_case_with_underscores"))
        if isinstance(keyword, str) and not _KEYWORD.match(keyword):
            problems.append(Problem(file, f"{key}.keyword", f"not a valid IMAP keyword: {keyword!r}"))
        categories[name] = Category(
            name=name,
            display=display,
            required=tuple(r for r in required if r in fields),
            template=str(template),
            keyword=str(keyword),
            folder=str(folder),
        )
    if categories and FALLBACK not in categories:
        problems.append(Problem(file, f"categories.{FALLBACK}", "the fallback category must exist"))
    return categories


def mail_pattern(pattern: Any, file: str, key: str, problems: list[Problem]) -> re.Pattern[str] | None:
    """An operator's regular expression for matching mail text (case-insensitive), or a Problem."""
    if not isinstance(pattern, str) or not pattern:
        problems.append(Problem(file, key, "must be a non-empty regular expression"))
        return None
    try:
        compiled = re.compile(pattern, re.IGNORECASE)
    except re.error as exc:
        problems.append(Problem(file, key, f"not a valid regular expression: {exc}"))
        return None
    if compiled.search(""):
        problems.append(Problem(file, key, "matches the empty text, so it would match every mail"))
        return None
    return compiled


def _load_rules(path: Path, categories: dict[str, Category], problems: list[Problem]) -> tuple[Rule, ...]:
    if not path.exists():
        return ()
    data = _read_toml(path, problems)
    if data is None:
        return ()
    file = str(path)
    extra = set(data) - {"rule"}
    for key in sorted(extra):
        problems.append(Problem(file, key, "unknown key (rules are [[rule]] tables)"))
    rules: list[Rule] = []
    seen: set[str] = set()
    for index, spec in enumerate(data.get("rule", [])):
        key = f"rule[{index}]"
        if not isinstance(spec, dict):
            problems.append(Problem(file, key, "must be a table"))
            continue
        name = spec.get("name")
        key = f"rule[{index}] ({name})" if isinstance(name, str) else key
        for bad in sorted(set(spec) - {"name", "category", "pattern"}):
            problems.append(Problem(file, f"{key}.{bad}", "unknown key"))
        if not isinstance(name, str) or not name:
            problems.append(Problem(file, f"{key}.name", "every rule needs a name"))
            continue
        if name in seen:
            problems.append(Problem(file, f"{key}.name", "duplicate rule name"))
        seen.add(name)
        category = spec.get("category")
        if category not in categories:
            problems.append(Problem(file, f"{key}.category", f"unknown category {category!r}"))
            continue
        compiled = mail_pattern(spec.get("pattern"), file, f"{key}.pattern", problems)
        if compiled is None:
            continue
        rules.append(Rule(name=name, category=str(category), pattern=compiled))
    return tuple(rules)


def _string_list(value: Any, file: str, key: str, problems: list[Problem]) -> list[str] | None:
    if not isinstance(value, list) or not value or not all(isinstance(v, str) and v.strip() for v in value):
        problems.append(Problem(file, key, "must be a non-empty list of non-empty strings"))
        return None
    return [str(v) for v in value]


def _load_order_rules(path: Path, problems: list[Problem]) -> OrderRules:
    if not path.exists():
        return BUILTIN_RULES
    data = _read_toml(path, problems)
    if data is None:
        return BUILTIN_RULES
    file = str(path)
    for extra in sorted(set(data) - {"order_ids"}):
        problems.append(Problem(file, extra, "unknown key"))
    section = data.get("order_ids", {})
    if not isinstance(section, dict):
        problems.append(Problem(file, "order_ids", "must be a table"))
        return BUILTIN_RULES
    for extra in sorted(set(section) - {"cues", "patterns", "exclude"}):
        problems.append(Problem(file, f"order_ids.{extra}", "unknown key"))
    lists: dict[str, list[str] | None] = {}
    for key, default in (("cues", BUILTIN_CUES), ("patterns", BUILTIN_PATTERNS), ("exclude", BUILTIN_EXCLUDE)):
        lists[key] = _string_list(section[key], file, f"order_ids.{key}", problems) if key in section else list(default)
    for key in ("patterns", "exclude"):
        for index, pattern in enumerate(lists[key] or []):
            try:
                compiled = re.compile(pattern)
            except re.error as exc:
                problems.append(Problem(file, f"order_ids.{key}[{index}]", f"not a valid regular expression: {exc}"))
                continue
            if compiled.fullmatch(""):
                problems.append(Problem(file, f"order_ids.{key}[{index}]", "matches the empty value"))
    for index, cue in enumerate(lists["cues"] or []):
        if len(cue.strip()) < 2:
            problems.append(Problem(file, f"order_ids.cues[{index}]", "a cue word needs at least two characters"))
    if any(value is None for value in lists.values()) or any(p.file == file for p in problems):
        return BUILTIN_RULES
    return compile_rules(lists["cues"] or (), lists["patterns"] or (), lists["exclude"] or ())


def _load_phishing_rules(path: Path, problems: list[Problem]) -> PhishingRules:
    if not path.exists():
        return NO_PHISHING_RULES
    data = _read_toml(path, problems)
    if data is None:
        return NO_PHISHING_RULES
    file = str(path)
    before = len(problems)
    for extra in sorted(set(data) - {"forward", "questions", "suspicious"}):
        problems.append(Problem(file, extra, "unknown key"))
    forward: list[tuple[str, re.Pattern[str]]] = []
    subject: re.Pattern[str] | None = None
    markers = data.get("forward", {})
    if not isinstance(markers, dict) or not markers:
        problems.append(Problem(file, "forward", "must be a table of client = pattern"))
        markers = {}
    for client, pattern in markers.items():
        if not _NAME.match(client):
            problems.append(Problem(file, f"forward.{client}", "client names are lower_case_with_underscores"))
            continue
        compiled = mail_pattern(pattern, file, f"forward.{client}", problems)
        if compiled is None:
            continue
        # A marker is a line: ^ and $ match at every line of the text.
        compiled = re.compile(compiled.pattern, re.IGNORECASE | re.MULTILINE)
        if client == "subject":
            subject = compiled
        else:
            forward.append((client, compiled))
    lists: dict[str, list[re.Pattern[str]]] = {}
    for key in ("questions", "suspicious"):
        lists[key] = []
        for index, pattern in enumerate(_string_list(data.get(key), file, key, problems) or []):
            compiled = mail_pattern(pattern, file, f"{key}[{index}]", problems)
            if compiled is not None:
                lists[key].append(compiled)
    if len(problems) > before:
        return NO_PHISHING_RULES
    return PhishingRules(tuple(forward), subject, tuple(lists["questions"]), tuple(lists["suspicious"]))


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


def load_assets(root: Path) -> Assets:
    """Load `classifiers/`; raise ConfigError listing every problem found."""
    problems: list[Problem] = []
    categories_file = root / "categories.toml"
    data = _read_toml(categories_file, problems) or {}
    for extra in sorted(set(data) - {"fields", "categories"}):
        problems.append(Problem(str(categories_file), extra, "unknown key"))
    fields = _load_fields(data, str(categories_file), problems)
    categories = _load_categories(data, fields, str(categories_file), problems)
    rules = _load_rules(root / "rules.toml", categories, problems)
    settings = _read_toml(root / "model.toml", problems) or {}
    order_rules = _load_order_rules(root / "extraction.toml", problems)
    phishing = _load_phishing_rules(root / "phishing.toml", problems)
    example_files = tuple(sorted((root / "examples").glob("*.csv")))
    if not example_files:
        problems.append(Problem(str(root / "examples"), "", "no example files (*.csv)"))
    for path in example_files:
        try:
            for _ in read_examples(path, categories):
                pass
        except ConfigError as exc:
            problems.extend(exc.problems)
    if problems:
        raise ConfigError(problems)
    return Assets(
        root=root,
        categories=categories,
        fields=fields,
        rules=rules,
        model_settings=settings,
        example_files=example_files,
        order_rules=order_rules,
        phishing=phishing,
    )
