"""corrections.csv: appended by the console and `inboxd correct`, read by `train` like every examples file."""

from __future__ import annotations

from pathlib import Path

import pytest

from inboxd.assets import CORRECTIONS, load_assets, read_examples
from inboxd.console.corrections import Correction, append, problem
from inboxd.errors import ConfigError
from tests.tiny_classifier import make_tiny_classifiers


def test_appended_rows_are_examples_and_leave_the_fingerprint(tmp_path: Path) -> None:
    root = make_tiny_classifiers(tmp_path / "classifiers")
    before = load_assets(root)
    path = root / "examples" / CORRECTIONS
    append(path, Correction('My deposit, "quoted",\nand a new line', "deposit_withdrawal", "", "alice", "INB-000007"))
    append(path, Correction('=HYPERLINK("http://evil")', "other", "spam", "bob", "INB-000008"))
    assert path.read_text().splitlines()[0] == "text,category,intent,who,when,ticket"
    assert '\n" =HYPERLINK' in path.read_text()  # a cell that starts with a space: never a formula
    after = load_assets(root)
    rows = [e for e in after.examples() if e.file == CORRECTIONS]
    assert [(e.text, e.category, e.intent) for e in rows] == [
        ('My deposit, "quoted",\nand a new line', "deposit_withdrawal", ""),
        ('=HYPERLINK("http://evil")', "other", "spam"),
    ]
    assert sum(1 for _ in after.examples()) == sum(1 for _ in before.examples()) + 2
    assert after.fingerprint() == before.fingerprint()
    (root / "examples" / "more.csv").write_text("text,category\nhello there,other\n")
    assert load_assets(root).fingerprint() != before.fingerprint()  # any other file still counts


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        ("x,account,,al ice,2026-12-07T08:00:00+00:00,INB-000001", "who is"),
        ("x,account,,alice,yesterday,INB-000001", "ISO 8601"),
        ("x,account,,alice,2026-12-07T08:00:00+00:00,<script>", "ticket reference"),
        ("x,nope,,alice,2026-12-07T08:00:00+00:00,INB-000001", "unknown category"),
    ],
)
def test_bad_rows_are_problems(tmp_path: Path, row: str, reason: str) -> None:
    path = tmp_path / CORRECTIONS
    path.write_text(f"text,category,intent,who,when,ticket\n{row}\n")
    with pytest.raises(ConfigError, match=reason):
        list(read_examples(path, ["account", "other"]))


def test_refuses_a_file_with_another_header(tmp_path: Path) -> None:
    path = tmp_path / CORRECTIONS
    path.write_text("text,category\nhello,other\n")
    with pytest.raises(ValueError, match="header"):
        append(path, Correction("x", "other", "", "alice", ""))
    assert path.read_text() == "text,category\nhello,other\n"


def test_problems(tmp_path: Path) -> None:
    assets = load_assets(make_tiny_classifiers(tmp_path / "classifiers"))
    assert problem(assets, "account", "", "text") is None
    assert "unknown category" in (problem(assets, "nope", "", "text") or "")
    assert "intent" in (problem(assets, "account", "Bad Intent", "text") or "")
    assert "not kept" in (problem(assets, "account", "", "  ") or "")
