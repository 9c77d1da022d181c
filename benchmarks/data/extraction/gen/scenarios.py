"""The scenarios (data/scenarios_en.toml, data/scenarios_zh.toml) and the support replies that
customers quote (data/replies.toml), loaded from their data files.

Keys of a `[[scenario]]`: `subject`, `body` (the customer's new text), and optionally
`q` (the quoted history of instance k is `q[k % len(q)]`: "" for none, the name of a
reply in replies.toml, or the quoted text itself), `q2` (an older mail of the customer's,
nested inside the quote), `att` ("png" or "pdf"), `neg` (nothing to extract), `reply`
(a reply even without a quote), `n` (instances, default 2) and `note` (for the labels).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DATA = Path(__file__).parent / "data"


@dataclass(frozen=True)
class Scenario:
    lang: str
    subject: str
    body: str
    q: list[str] | None = None
    q2: str | None = None
    att: str | None = None
    neg: bool = False
    note: str = ""
    n: int = 2
    reply: bool = False


def _load(path: Path) -> dict[str, Any]:
    return tomllib.loads(path.read_text(encoding="utf-8"))


def load_scenarios() -> list[Scenario]:
    """English then Chinese, each in file order: the order decides which mail gets which values."""
    out = []
    for lang in ("en", "zh"):
        for entry in _load(DATA / f"scenarios_{lang}.toml")["scenario"]:
            # TOML's multi-line strings end with the newline before the closing quotes.
            body = entry.pop("body").strip("\n")
            out.append(Scenario(lang=lang, body=body, **entry))
    return out


def load_replies() -> dict[str, dict[str, str]]:
    """Per language, the support replies by name; rendered texts are stripped, so their last newline is moot."""
    return _load(DATA / "replies.toml")
