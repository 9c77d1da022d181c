"""`categories.toml`: the categories (display names, required information, template, IMAP
keyword and folder) and the fields that required information is made of."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from inboxd.assets.reading import NAME
from inboxd.errors import Problem

# The fact kinds extraction produces; a required field is satisfied by any of its kinds.
FACT_KINDS = frozenset({"tx_id", "order_id", "amount", "time", "account_id", "address"})
LANGUAGES = ("en", "zh")
FALLBACK = "other"


_KEYWORD = re.compile(r"^\$?[A-Za-z0-9_.-]{1,64}$")


@dataclass(frozen=True, slots=True)
class Category:
    name: str
    display: dict[str, str]  # language -> display name
    required: tuple[str, ...]  # field names
    template: str
    keyword: str
    folder: str


def _str_table(value: Any) -> bool:
    return isinstance(value, dict) and all(isinstance(v, str) and v for v in value.values())


def load_fields(data: dict[str, Any], file: str, problems: list[Problem]) -> dict[str, tuple[str, ...]]:
    fields: dict[str, tuple[str, ...]] = {}
    raw = data.get("fields", {})
    if not isinstance(raw, dict):
        problems.append(Problem(file, "fields", "must be a table of fields"))
        return fields
    for name, spec in raw.items():
        key = f"fields.{name}"
        if not NAME.match(name):
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


def load_categories(
    data: dict[str, Any], fields: dict[str, tuple[str, ...]], file: str, problems: list[Problem]
) -> dict[str, Category]:
    categories: dict[str, Category] = {}
    raw = data.get("categories")
    if not isinstance(raw, dict) or not raw:
        problems.append(Problem(file, "categories", "must define at least one category"))
        return categories
    for name, spec in raw.items():
        key = f"categories.{name}"
        if not NAME.match(name):
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
        if isinstance(template, str) and not NAME.match(template):
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
