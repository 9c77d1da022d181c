"""Evaluation figures computed by hand on small cases, the HTML report, and `inboxd evaluate`."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from inboxd.assets import Example
from inboxd.evaluate import compare, evaluate, suggest_floor
from inboxd.report import render
from inboxd.values import Classification
from tests.conftest import write_config
from tests.tiny_classifier import make_tiny_classifiers

CATS = ("account", "transaction", "other")


def ex(text: str, category: str) -> Example:
    return Example(text=text, category=category, source=f"data.csv:{text}")


def model(category: str, confidence: float, runner_up: str = "other") -> Classification:
    return Classification(category, confidence, category, runner_up=runner_up, runner_up_confidence=0.1)


def floored(category: str, confidence: float, floor: float) -> Classification:
    return Classification(category if confidence >= floor else "other", confidence, category)


def test_scores_match_a_hand_count() -> None:
    examples = [ex("a", "account"), ex("b", "account"), ex("c", "transaction"), ex("d", "other")]
    decisions = [model("account", 0.9), model("transaction", 0.8), model("transaction", 0.7), model("other", 0.6)]
    ev = evaluate(examples, decisions, CATS, 0.0, "by hand")
    scores = {s.category: s for s in ev.per_category}
    # account: P 1/1, R 1/2, F1 2/3; transaction: P 1/2, R 1/1, F1 2/3; other: 1, 1, 1.
    assert (scores["account"].precision, scores["account"].recall) == (1.0, 0.5)
    assert scores["transaction"].f1 == pytest.approx(2 / 3)
    assert ev.macro_f1 == pytest.approx((2 / 3 + 2 / 3 + 1) / 3)
    assert ev.accuracy == 0.75
    assert ev.confusion == ((1, 1, 0), (0, 1, 0), (0, 0, 1))
    assert [s.example.text for s in ev.worst] == ["b"]


def test_macro_f1_averages_only_categories_the_data_has() -> None:
    examples = [ex("a", "account"), ex("b", "account")]
    decisions = [model("account", 0.9), model("transaction", 0.9)]
    ev = evaluate(examples, decisions, CATS, 0.0, "by hand")
    assert ev.macro_f1 == pytest.approx(2 / 3)  # account only: P 1, R 1/2
    assert ev.predicted_outside_data == {"transaction": 1}


def test_floor_curve_coverage_and_suggestion() -> None:
    examples = [ex("a", "account"), ex("b", "transaction"), ex("c", "other"), ex("d", "account")]
    confidences = [0.95, 0.62, 0.5, 0.3]
    predicted = ["account", "transaction", "other", "transaction"]
    decisions = [floored(p, c, 0.6) for p, c in zip(predicted, confidences, strict=True)]
    ev = evaluate(examples, decisions, CATS, 0.6, "by hand")
    # At 0.6: a and b decided (both right), c and d go to other (c right by luck, d wrong).
    assert ev.at_floor.coverage == 0.5
    assert ev.at_floor.accuracy_covered == 1.0
    assert ev.accuracy == 0.75
    coverage = [p.coverage for p in ev.curve]
    assert coverage == sorted(coverage, reverse=True)
    assert ev.curve[0].floor == 0.0 and ev.curve[0].coverage == 1.0
    # The suggestion is the highest floor within the tolerance of the best macro-F1.
    best = max(p.macro_f1 for p in ev.curve)
    assert ev.suggested_floor == suggest_floor(ev.curve)
    chosen = next(p for p in ev.curve if p.floor == ev.suggested_floor)
    assert chosen.macro_f1 >= best - 0.005
    assert all(p.macro_f1 < best - 0.005 for p in ev.curve if p.floor > ev.suggested_floor)


def test_comparison_lists_changed_mails_with_their_effect() -> None:
    examples = [ex("a", "account"), ex("b", "transaction"), ex("c", "other")]
    old = evaluate(examples, [model("other", 0.9), model("transaction", 0.9), model("other", 0.9)], CATS, 0.0, "old")
    new = evaluate(examples, [model("account", 0.9), model("account", 0.9), model("other", 0.9)], CATS, 0.0, "new")
    comparison = compare(old, new)
    assert [(c.example.text, c.effect) for c in comparison.changes] == [("a", "fixed"), ("b", "broken")]
    assert comparison.to_json()["fixed"] == 1


def test_report_is_self_contained_and_escapes_mail_text() -> None:
    examples = [ex("<script>alert(1)</script> my deposit", "account"), ex("b", "transaction")]
    ev = evaluate(examples, [model("transaction", 0.9), model("transaction", 0.9)], CATS, 0.35, "by hand")
    page = render(ev, compare(ev, ev))
    assert page.count("<svg") == 3  # the confusion matrix, the floor curve, the reliability diagram
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert not re.search(r"(?i)(https?:|src=|href=|@import|url\()", page)


# -- the command ---------------------------------------------------------------------------------


def run(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "inboxd", "--config", str(config), "evaluate", *args],
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture
def tiny_config(tmp_path: Path) -> Path:
    classifiers = make_tiny_classifiers(tmp_path / "classifiers")
    return write_config(
        tmp_path / "cfg", model_path=tmp_path / "model.npz", sections={"classifier": {"dir": str(classifiers)}}
    )


def test_evaluate_cross_validates_and_writes_a_report(tiny_config: Path, tmp_path: Path) -> None:
    result = run(tiny_config, "--cv", "4", "--json", "--report", str(tmp_path / "report"))
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert {"macro_f1", "accuracy", "per_category", "confusion", "at_floor", "suggested_floor"} <= set(data)
    assert set(data["per_category"]) == set(CATS) | {"deposit_withdrawal", "platform_usage", "complaint_suggestion"}
    assert sum(s["support"] for s in data["per_category"].values()) == 96
    assert set(data["by_source"]) == {"tiny_en.csv", "tiny_zh.csv"}
    assert "<svg" in (tmp_path / "report" / "index.html").read_text()


def test_evaluate_data_lists_unknown_categories(tiny_config: Path, tmp_path: Path) -> None:
    data = tmp_path / "data.csv"
    data.write_text("text,category\nmy card has not arrived,card_arrival\nwithdrawal stuck,deposit_withdrawal\n")
    result = run(tiny_config, "--data", str(data))
    assert result.returncode == 2
    assert f"{data}: line 2: unknown category 'card_arrival'" in result.stderr


def test_compare_shows_what_a_new_rule_changes(tiny_config: Path, tmp_path: Path) -> None:
    classifiers = tiny_config.parent.parent / "classifiers"
    old = tmp_path / "old"
    make_tiny_classifiers(old)
    with (classifiers / "rules.toml").open("a") as handle:
        handle.write('\n[[rule]]\nname = "parcel"\ncategory = "other"\npattern = "parcel|快递"\n')
    data = tmp_path / "data.csv"
    data.write_text(
        "text,category\nwhere is my parcel? my withdrawal is pending,other\n"
        "快递到了吗 提币一直没到账,other\nmy deposit never arrived,deposit_withdrawal\n"
    )
    result = run(tiny_config, "--data", str(data), "--compare", str(old), "--json")
    assert result.returncode == 0, result.stderr
    compared = json.loads(result.stdout)["compare"]
    changed = {c["text"]: (c["old"], c["new"], c["new_rule"]) for c in compared["changes"]}
    assert changed == {
        "where is my parcel? my withdrawal is pending": ("deposit_withdrawal", "other", "parcel"),
        "快递到了吗 提币一直没到账": ("deposit_withdrawal", "other", "parcel"),
    }
    assert compared["fixed"] == 2

    text = run(tiny_config, "--data", str(data), "--compare", str(old))
    assert text.returncode == 0, text.stderr
    assert "2 mails changed category" in text.stdout


def test_compare_without_data_uses_the_same_folds(tiny_config: Path, tmp_path: Path) -> None:
    classifiers = tiny_config.parent.parent / "classifiers"
    old = make_tiny_classifiers(tmp_path / "old")
    # A careless new rule: only the mails it matches can change, since the examples,
    # settings and folds are the same in both versions.
    with (classifiers / "rules.toml").open("a") as handle:
        handle.write(
            '\n[[rule]]\nname = "recurring"\ncategory = "complaint_suggestion"\npattern = "recurring buy|定投"\n'
        )
    result = run(tiny_config, "--cv", "4", "--compare", str(old), "--json")
    assert result.returncode == 0, result.stderr
    compared = json.loads(result.stdout)["compare"]
    changed = {c["text"]: (c["new"], c["new_rule"]) for c in compared["changes"]}
    assert changed == {
        "how do I set up a recurring buy?": ("complaint_suggestion", "recurring"),
        "怎么设置定投": ("complaint_suggestion", "recurring"),
    }
    assert compared["fixed"] == 0


def test_calibration_bins_and_error_match_a_hand_count() -> None:
    # Four model decisions at 0.95 (three right) and two at 0.55 (one right); one rule hit.
    examples = [ex(str(i), "account") for i in range(7)]
    decisions = [
        model("account", 0.95),
        model("account", 0.95),
        model("account", 0.95),
        model("transaction", 0.95),
        model("account", 0.55),
        model("transaction", 0.55),
        Classification("transaction", 1.0, "transaction", rule="r"),  # a rule: not the model's confidence
    ]
    ev = evaluate(examples, decisions, CATS, 0.0, "by hand")
    bins = {(b.low, b.high): b for b in ev.reliability}
    assert set(bins) == {(0.5, 0.6), (0.9, 1.0)}
    assert (bins[(0.9, 1.0)].n, bins[(0.9, 1.0)].accuracy) == (4, 0.75)
    assert (bins[(0.5, 0.6)].n, bins[(0.5, 0.6)].accuracy) == (2, 0.5)
    # ECE = 4/6 * |0.75 - 0.95| + 2/6 * |0.5 - 0.55|
    assert ev.ece == pytest.approx(4 / 6 * 0.2 + 2 / 6 * 0.05)
    at = {a.threshold: a for a in ev.at_confidence}
    assert (at[0.9].n, at[0.9].share, at[0.9].accuracy) == (4, pytest.approx(4 / 6), 0.75)
    assert at[0.5].n == 6
    figures = ev.to_json()["calibration"]
    assert figures["expected_calibration_error"] == pytest.approx(round(ev.ece, 4))
    assert [b["n"] for b in figures["bins"]] == [2, 4]
    assert {a["threshold"] for a in figures["at_confidence"]} >= {0.5, 0.9}


def test_report_draws_the_reliability_diagram() -> None:
    examples = [ex("a", "account"), ex("b", "transaction")]
    ev = evaluate(examples, [model("account", 0.92), model("account", 0.61)], CATS, 0.0, "by hand")
    html = render(ev)
    assert 'aria-label="reliability diagram"' in html
    assert f"{ev.ece:.3f}" in html
    assert "said 0.920, right 1.000" in html
