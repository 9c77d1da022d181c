"""The operators' regular expressions over mail: `rules.toml` (named rules tried before the model),
`extraction.toml` (order-ID cue words, ID patterns and exclusions) and `phishing.toml`
(forwarded-message markers and the cues of a phishing report). The last two are optional and
read by one loader: without them the built-in order-ID lists apply and no mail is a phishing report.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from inboxd.assets.categories import Category
from inboxd.assets.reading import NAME, read_toml, string_list
from inboxd.errors import Problem
from inboxd.extract.orders import (
    BUILTIN_CUES,
    BUILTIN_EXCLUDE,
    BUILTIN_PATTERNS,
    BUILTIN_RULES,
    OrderRules,
    compile_rules,
)

T = TypeVar("T")


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


def load_rules(path: Path, categories: dict[str, Category], problems: list[Problem]) -> tuple[Rule, ...]:
    if not path.exists():
        return ()
    data = read_toml(path, problems)
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


def load_optional(
    path: Path, keys: set[str], read: Callable[[str, dict[str, Any], list[Problem]], T], problems: list[Problem]
) -> T | None:
    """An optional file of `classifiers/` (extraction.toml, phishing.toml) as `read` reads its table.

    None when the file is absent, and when it has any problem: each is reported (its unknown
    top-level keys, what `read` finds), and a file that is half right never half applies.
    """
    if not path.exists():
        return None
    data = read_toml(path, problems)
    if data is None:
        return None
    file, before = str(path), len(problems)
    for extra in sorted(set(data) - keys):
        problems.append(Problem(file, extra, "unknown key"))
    found = read(file, data, problems)
    return found if len(problems) == before else None


def load_order_rules(path: Path, problems: list[Problem]) -> OrderRules:
    """`extraction.toml`, compiled; the built-in lists of `extract.orders` without it."""
    lists = load_optional(path, {"order_ids"}, _order_lists, problems)
    return BUILTIN_RULES if lists is None else compile_rules(*lists)


def _order_lists(file: str, data: dict[str, Any], problems: list[Problem]) -> tuple[list[str], list[str], list[str]]:
    """The cues, patterns and exclusions of [order_ids], each the built-in list where it is not given."""
    section = data.get("order_ids", {})
    if not isinstance(section, dict):
        problems.append(Problem(file, "order_ids", "must be a table"))
        return [], [], []
    for extra in sorted(set(section) - {"cues", "patterns", "exclude"}):
        problems.append(Problem(file, f"order_ids.{extra}", "unknown key"))
    lists: dict[str, list[str]] = {}
    for key, default in (("cues", BUILTIN_CUES), ("patterns", BUILTIN_PATTERNS), ("exclude", BUILTIN_EXCLUDE)):
        given = string_list(section[key], file, f"order_ids.{key}", problems) if key in section else list(default)
        lists[key] = given or []
    for key in ("patterns", "exclude"):
        for index, pattern in enumerate(lists[key]):
            try:
                compiled = re.compile(pattern)
            except re.error as exc:
                problems.append(Problem(file, f"order_ids.{key}[{index}]", f"not a valid regular expression: {exc}"))
                continue
            if compiled.fullmatch(""):
                problems.append(Problem(file, f"order_ids.{key}[{index}]", "matches the empty value"))
    for index, cue in enumerate(lists["cues"]):
        if len(cue.strip()) < 2:
            problems.append(Problem(file, f"order_ids.cues[{index}]", "a cue word needs at least two characters"))
    return lists["cues"], lists["patterns"], lists["exclude"]


def load_phishing_rules(path: Path, problems: list[Problem]) -> PhishingRules:
    """`phishing.toml`, compiled; without it no mail is a phishing report."""
    rules = load_optional(path, {"forward", "questions", "suspicious"}, _phishing_rules, problems)
    return NO_PHISHING_RULES if rules is None else rules


def _phishing_rules(file: str, data: dict[str, Any], problems: list[Problem]) -> PhishingRules:
    forward: list[tuple[str, re.Pattern[str]]] = []
    subject: re.Pattern[str] | None = None
    markers = data.get("forward", {})
    if not isinstance(markers, dict) or not markers:
        problems.append(Problem(file, "forward", "must be a table of client = pattern"))
        markers = {}
    for client, pattern in markers.items():
        if not NAME.match(client):
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
        for index, pattern in enumerate(string_list(data.get(key), file, key, problems) or []):
            compiled = mail_pattern(pattern, file, f"{key}[{index}]", problems)
            if compiled is not None:
                lists[key].append(compiled)
    return PhishingRules(tuple(forward), subject, tuple(lists["questions"]), tuple(lists["suspicious"]))
