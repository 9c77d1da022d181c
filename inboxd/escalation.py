"""Which mail needs a human at once: `classifiers/escalation.toml`, loaded and matched.

Operators list categories that always escalate (complaints) and named patterns
(account takeover, withdrawals the customer did not make). A match raises the
ticket's priority and flags the message `$Inboxd-Escalated`; the customer still
gets the acknowledgement. Replies to resolved tickets and repeated follow-ups
escalate too; those rules live in `inboxd.tickets`, driven by config.toml.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path

from inboxd.assets import mail_pattern
from inboxd.errors import ConfigError, Problem
from inboxd.patterns import AnyOf

PRIORITIES = ("normal", "high", "urgent")
# The escalation reason of a phishing report (inboxd.phishing): the sync reads it back to
# flag the message $Inboxd-PhishingReport.
PHISHING_REPORT = "phishing report, for the security team"


@dataclass(frozen=True, slots=True)
class Trigger:
    name: str
    pattern: re.Pattern[str]
    priority: str


@dataclass(frozen=True, slots=True)
class Escalation:
    reason: str
    priority: str


@dataclass(frozen=True, slots=True)
class EscalationRules:
    categories: dict[str, str]  # category -> priority
    triggers: tuple[Trigger, ...]
    # The triggers' patterns searched as one (inboxd.patterns): almost no mail matches any, and
    # one look at a new request's text costs a third of one search per pattern (the shipped
    # patterns start with a group, which `re` tries at every position).
    _any: AnyOf = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_any", AnyOf([t.pattern for t in self.triggers]))

    def match(self, text: str, category: str | None) -> Escalation | None:
        """The strongest reason in `text` (subject + the customer's new words) to escalate."""
        found: list[Escalation] = []
        if self.triggers and self._any.found(text):
            found = [Escalation(f"matched {t.name}", t.priority) for t in self.triggers if t.pattern.search(text)]
        if category in self.categories:
            found.append(Escalation(f"category {category}", self.categories[category]))
        if not found:
            return None
        return max(found, key=lambda e: PRIORITIES.index(e.priority))


def higher(a: str, b: str) -> str:
    return a if PRIORITIES.index(a) >= PRIORITIES.index(b) else b


def load_escalation(path: Path, categories: Collection[str]) -> EscalationRules:
    """Load and validate the file (absent = no escalation rules); ConfigError lists every problem."""
    if not path.exists():
        return EscalationRules({}, ())
    file = str(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError([Problem(file, "", f"cannot read: {exc}")]) from exc
    problems = [Problem(file, k, "unknown key") for k in sorted(set(data) - {"categories", "trigger"})]
    chosen: dict[str, str] = {}
    raw_categories = data.get("categories", {})
    if not isinstance(raw_categories, dict):
        problems.append(Problem(file, "categories", "must be a table of category = priority"))
        raw_categories = {}
    for name, priority in raw_categories.items():
        if name not in categories:
            problems.append(Problem(file, f"categories.{name}", "unknown category"))
        elif priority not in PRIORITIES[1:]:
            problems.append(Problem(file, f"categories.{name}", f"priority must be one of {PRIORITIES[1:]}"))
        else:
            chosen[name] = str(priority)
    triggers: list[Trigger] = []
    for index, spec in enumerate(data.get("trigger", [])):
        key = f"trigger[{index}]"
        if not isinstance(spec, dict):
            problems.append(Problem(file, key, "must be a table"))
            continue
        for extra in sorted(set(spec) - {"name", "pattern", "priority"}):
            problems.append(Problem(file, f"{key}.{extra}", "unknown key"))
        name, pattern, priority = spec.get("name"), spec.get("pattern"), spec.get("priority", "high")
        if not isinstance(name, str) or not name:
            problems.append(Problem(file, f"{key}.name", "every trigger needs a name"))
            continue
        if priority not in PRIORITIES[1:]:
            problems.append(Problem(file, f"{key}.priority", f"must be one of {PRIORITIES[1:]}"))
            continue
        compiled = mail_pattern(pattern, file, f"{key}.pattern", problems)
        if compiled is None:
            continue
        triggers.append(Trigger(name, compiled, str(priority)))
    if problems:
        raise ConfigError(problems)
    return EscalationRules(chosen, tuple(triggers))
