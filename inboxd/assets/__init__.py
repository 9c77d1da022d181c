"""Load and validate the classifier assets operators edit in `classifiers/`.

- `categories.toml`: the categories (display names, required information, template,
  IMAP keyword and folder) and the fields that required information is made of
  (`categories`);
- `rules.toml`: named deterministic rules (regex -> category) tried before the model;
- `extraction.toml`: order-ID cue words, ID patterns and exclusions (optional: the
  built-in lists of `extract.orders` apply without it);
- `phishing.toml`: forwarded-message markers and the cue lists that make a mail a
  phishing report (`inboxd.phishing`; optional: without it no mail is one) — these three
  in `patterns`;
- `model.toml`: model settings (checked against scikit-learn in `classify`);
- `examples/*.csv`: labelled examples, `text,category[,intent][,writer]`;
  `examples/corrections.csv` is what operators corrected in the console (`inboxd correct`),
  with who corrected which ticket when (`examples`).

Problems are collected, never raised one at a time, so `inboxd check` can list them all
(`load`: `load_assets`).
"""

from inboxd.assets.categories import FACT_KINDS, FALLBACK, LANGUAGES, Category
from inboxd.assets.examples import CORRECTIONS, OPTIONAL_COLUMNS, Example, read_examples
from inboxd.assets.load import Assets, load_assets
from inboxd.assets.patterns import NO_PHISHING_RULES, PhishingRules, Rule, mail_pattern

__all__ = [
    "CORRECTIONS",
    "FACT_KINDS",
    "FALLBACK",
    "LANGUAGES",
    "NO_PHISHING_RULES",
    "OPTIONAL_COLUMNS",
    "Assets",
    "Category",
    "Example",
    "PhishingRules",
    "Rule",
    "load_assets",
    "mail_pattern",
    "read_examples",
]
