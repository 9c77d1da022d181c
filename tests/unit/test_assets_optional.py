"""The optional files of `classifiers/` (extraction.toml, phishing.toml) share one loader:
absent means the built-in default, and a file with any problem never half applies."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from inboxd.assets.patterns import (
    NO_PHISHING_RULES,
    load_optional,
    load_order_rules,
    load_phishing_rules,
)
from inboxd.errors import Problem
from inboxd.extract.orders import BUILTIN_RULES


def _names(file: str, data: dict[str, Any], problems: list[Problem]) -> tuple[str, ...]:
    names = data.get("names", [])
    if not names:
        problems.append(Problem(file, "names", "must not be empty"))
    return tuple(names)


def test_an_absent_file_is_no_value_and_no_problem(tmp_path: Path) -> None:
    problems: list[Problem] = []
    assert load_optional(tmp_path / "absent.toml", {"names"}, _names, problems) is None
    assert problems == []


def test_a_valid_file_is_what_read_makes_of_it(tmp_path: Path) -> None:
    path = tmp_path / "x.toml"
    path.write_text("names = ['a', 'b']\n", encoding="utf-8")
    problems: list[Problem] = []
    assert load_optional(path, {"names"}, _names, problems) == ("a", "b")
    assert problems == []


def test_an_unknown_key_alone_is_enough_to_refuse_the_file(tmp_path: Path) -> None:
    path = tmp_path / "x.toml"
    path.write_text("names = ['a']\nnmaes = ['b']\n", encoding="utf-8")
    problems: list[Problem] = []
    assert load_optional(path, {"names"}, _names, problems) is None
    assert problems == [Problem(str(path), "nmaes", "unknown key")]


def test_what_read_finds_is_reported_and_refuses_the_file(tmp_path: Path) -> None:
    path = tmp_path / "x.toml"
    path.write_text("names = []\n", encoding="utf-8")
    problems = [Problem("other.toml", "", "found before")]  # another file's problem does not count
    assert load_optional(path, {"names"}, _names, problems) is None
    assert problems[1:] == [Problem(str(path), "names", "must not be empty")]
    path.write_text("names = ['a']\n", encoding="utf-8")
    assert load_optional(path, {"names"}, _names, problems) == ("a",)


def test_both_optional_files_fall_back_to_their_defaults(tmp_path: Path) -> None:
    problems: list[Problem] = []
    assert load_order_rules(tmp_path / "extraction.toml", problems) is BUILTIN_RULES
    assert load_phishing_rules(tmp_path / "phishing.toml", problems) is NO_PHISHING_RULES
    assert problems == []
    (tmp_path / "extraction.toml").write_text("[order_ids]\ncues = ['x']\n", encoding="utf-8")
    (tmp_path / "phishing.toml").write_text("questions = ['x']\n", encoding="utf-8")
    assert load_order_rules(tmp_path / "extraction.toml", problems) is BUILTIN_RULES
    assert load_phishing_rules(tmp_path / "phishing.toml", problems) is NO_PHISHING_RULES
    assert [p.key for p in problems] == ["order_ids.cues[0]", "forward", "suspicious"]
