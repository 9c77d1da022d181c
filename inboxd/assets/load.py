"""`Assets`, everything in `classifiers/`, loaded and checked at once (`load_assets`)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from inboxd.assets.categories import Category, load_categories, load_fields
from inboxd.assets.examples import CORRECTIONS, Example, read_examples
from inboxd.assets.patterns import (
    NO_PHISHING_RULES,
    PhishingRules,
    Rule,
    load_order_rules,
    load_phishing_rules,
    load_rules,
)
from inboxd.assets.reading import read_toml
from inboxd.errors import ConfigError, Problem
from inboxd.extract.orders import BUILTIN_RULES, OrderRules


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


def load_assets(root: Path) -> Assets:
    """Load `classifiers/`; raise ConfigError listing every problem found."""
    problems: list[Problem] = []
    categories_file = root / "categories.toml"
    data = read_toml(categories_file, problems) or {}
    for extra in sorted(set(data) - {"fields", "categories"}):
        problems.append(Problem(str(categories_file), extra, "unknown key"))
    fields = load_fields(data, str(categories_file), problems)
    categories = load_categories(data, fields, str(categories_file), problems)
    rules = load_rules(root / "rules.toml", categories, problems)
    settings = read_toml(root / "model.toml", problems) or {}
    order_rules = load_order_rules(root / "extraction.toml", problems)
    phishing = load_phishing_rules(root / "phishing.toml", problems)
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
