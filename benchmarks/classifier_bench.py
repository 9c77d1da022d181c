#!/usr/bin/env python3
"""Classifier quality and speed, measured against the floors of issue 3; prints the figures.

    .venv/bin/python benchmarks/classifier_bench.py [--folds 5] [--json]

Quality (text the model never saw):
- Banking77 (English banking queries mapped to our categories): K-fold cross-validation
  over all examples, scored on the banking77_en.csv rows; strict, and lenient (a decision
  in the row's `alt=` categories of ../shared/data/banking77/category_map.csv counts as
  right). The official Banking77 test split is kept back by the project owners.
- Chinese and English crypto support mail: cross-validation on our own examples, and the
  held-out sets in benchmarks/data/ (written independently, never trained or tuned on),
  scored by the model trained on all examples.
- Off-topic mail (benchmarks/data/offtopic.csv): how often it lands in `other`.
- The independent sets of issue 16 (benchmarks/data/independent/, written blind by writers
  who saw nothing of inboxd or its examples): Chinese short questions (macro-F1, the worst
  category's F1, how often a decision at confidence >= 0.9 is right, the expected
  calibration error), everyday off-topic questions (share landing in `other`) and crypto
  support mail in Chinese and English (macro-F1 of its two sets pooled).
Speed: training, loading the stored model (the normal start-up), and classifying one mail
in a batch and alone. Language detection: share of the held-out sets detected right.

Every figure is after rules and the confidence floor, as inboxd decides. Exit status 0
even when a floor is missed (the figures are the point); the PASS/MISS lines say which.
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from inboxd.assets import Example, load_assets, read_examples  # noqa: E402
from inboxd.classifier import Classifier, expected_meta, load_model, save_model, settings_of  # noqa: E402
from inboxd.classifier.training import cross_validated, train  # noqa: E402
from inboxd.evaluate import category_scores, evaluate, macro  # noqa: E402
from inboxd.language import detect_language  # noqa: E402

DATA = ROOT / "benchmarks" / "data"
BANKING = ROOT.parent / "shared" / "data" / "banking77"
TARGETS = {
    "banking77_cv_macro_f1": 0.96,
    "zh_heldout_macro_f1": 0.90,
    "zh_blind_macro_f1": 0.90,
    "zh_cv_macro_f1": 0.90,
    "independent_zh_macro_f1": 0.85,
    "independent_zh_worst_category_f1": 0.75,
    "independent_zh_right_at_confidence_0.9": 0.95,
    "independent_offtopic_to_other": 0.85,
    "independent_crypto_mail_macro_f1": 0.92,
    "per_mail_ms_batched": 1.0,
    "startup_load_seconds": 5.0,
    "train_seconds": 5.0,
}


def lenient_alternatives() -> dict[str, set[str]]:
    """Banking77 intent -> categories accepted by the lenient score (its category and `alt=`)."""
    path = BANKING / "category_map.csv"
    if not path.exists():
        return {}
    with path.open(encoding="utf-8", newline="") as handle:
        return {
            row["intent"]: {row["category"], *re.findall(r"alt=([a-z_]+)", row["note"])}
            for row in csv.DictReader(handle)
        }


def macro_f1(truth: list[str], final: list[str], categories: tuple[str, ...]) -> float:
    return macro(category_scores(truth, final, categories))[2]


def timed(fn, repeat: int = 1):  # type: ignore[no-untyped-def]
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    return result, min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--json", action="store_true", help="also print every figure as one JSON object")
    args = parser.parse_args()
    figures: dict[str, float] = {}

    assets = load_assets(ROOT / "classifiers")
    settings = settings_of(assets)
    cats = assets.category_names

    # -- speed: train, store, load --------------------------------------------------------------
    cpu = time.process_time()
    model, figures["train_seconds"] = timed(lambda: train(assets, settings))
    # On a machine shared with other jobs the wall time depends on them; the CPU time does not.
    figures["train_cpu_seconds"] = time.process_time() - cpu
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "model.npz"
        save_model(model, path)
        figures["model_megabytes"] = round(path.stat().st_size / 1e6, 1)
        _, figures["startup_load_seconds"] = timed(
            lambda: load_model(path, expected_meta(load_assets(ROOT / "classifiers"), settings)), repeat=3
        )
    classifier = Classifier(assets, settings, model)

    # -- cross-validation on the examples ---------------------------------------------------------
    (examples, decisions), cv_seconds = timed(lambda: cross_validated(assets, args.folds))
    figures["cv_seconds"] = round(cv_seconds, 1)
    by_file: dict[str, list[int]] = {}
    for i, e in enumerate(examples):
        by_file.setdefault(e.source.rsplit(":", 1)[0], []).append(i)
    for name, key in (("banking77_en.csv", "banking77"), ("crypto_zh.csv", "zh"), ("crypto_en.csv", "en")):
        idx = by_file.get(name, [])
        if not idx:
            continue
        ev = evaluate([examples[i] for i in idx], [decisions[i] for i in idx], cats, settings.confidence_floor, name)
        figures[f"{key}_cv_macro_f1"] = ev.macro_f1
        figures[f"{key}_cv_accuracy"] = ev.accuracy
        figures[f"{key}_cv_model_only_macro_f1"] = macro_f1(
            [examples[i].category for i in idx], [decisions[i].predicted for i in idx], cats
        )
        if key == "banking77":
            figures["banking77_cv_outside_categories"] = sum(ev.predicted_outside_data.values())
            alternatives = lenient_alternatives()
            if alternatives:
                truth, final = [], []
                for i in idx:
                    accepted = alternatives.get(examples[i].intent, {examples[i].category})
                    decided = decisions[i].category
                    final.append(decided)
                    truth.append(decided if decided in accepted else examples[i].category)
                # Over the categories Banking77 is labelled with: an `alt=complaint_suggestion`
                # row would otherwise bring in a category the data cannot measure.
                labelled = tuple(sorted({examples[i].category for i in idx}))
                figures["banking77_cv_lenient_macro_f1"] = macro_f1(truth, final, labelled)
                figures["banking77_cv_lenient_accuracy"] = sum(t == f for t, f in zip(truth, final, strict=True)) / len(
                    truth
                )
    all_f1 = evaluate(examples, decisions, cats, settings.confidence_floor, "cv")
    figures["cv_coverage_at_floor"] = all_f1.at_floor.coverage
    figures["cv_accuracy_covered_at_floor"] = all_f1.at_floor.accuracy_covered
    figures["cv_suggested_floor"] = all_f1.suggested_floor

    # -- held-out sets --------------------------------------------------------------------------
    held: dict[str, list[Example]] = {
        name: list(read_examples(DATA / f"{name}.csv", cats))
        for name in ("heldout_zh", "heldout_en", "offtopic", "blind_zh", "blind_en")
    }
    for name in ("heldout_zh", "heldout_en", "blind_zh", "blind_en"):
        rows = held[name]
        ev = evaluate(rows, classifier.classify([r.text for r in rows]), cats, settings.confidence_floor, name)
        kind, key = name.split("_")  # heldout (independent authorship) or blind (written blind)
        figures[f"{key}_{kind}_macro_f1"] = ev.macro_f1
        figures[f"{key}_{kind}_accuracy"] = ev.accuracy
        figures[f"{key}_{kind}_coverage"] = ev.at_floor.coverage
        figures[f"{key}_{kind}_accuracy_covered"] = ev.at_floor.accuracy_covered
        figures[f"{key}_{kind}_language_detected"] = sum(detect_language(r.text) == key for r in rows) / len(rows)
    off = held["offtopic"]
    off_decisions = classifier.classify([r.text for r in off])
    figures["offtopic_to_other"] = sum(d.category == "other" for d in off_decisions) / len(off)
    figures["offtopic_n"] = len(off)
    wrong: dict[str, int] = {}
    for d in off_decisions:
        if d.category != "other":
            wrong[d.category] = wrong.get(d.category, 0) + 1

    # -- the independent sets (issue 16) ----------------------------------------------------------
    zh_rows = list(read_examples(DATA / "independent" / "zh_short_questions.csv", cats))
    ev = evaluate(zh_rows, classifier.classify([r.text for r in zh_rows]), cats, settings.confidence_floor, "zh")
    figures["independent_zh_macro_f1"] = ev.macro_f1
    figures["independent_zh_worst_category_f1"] = min(s.f1 for s in ev.per_category if s.support)
    at_09 = next(a for a in ev.at_confidence if a.threshold == 0.9)
    figures["independent_zh_right_at_confidence_0.9"] = at_09.accuracy
    figures["independent_zh_share_at_confidence_0.9"] = at_09.share
    figures["independent_zh_calibration_error"] = ev.ece
    everyday = list(read_examples(DATA / "independent" / "offtopic_everyday.csv", cats))
    figures["independent_offtopic_to_other"] = sum(
        d.category == "other" for d in classifier.classify([r.text for r in everyday])
    ) / len(everyday)
    # Crypto support mail, Chinese and English mixed, by two writers who saw only the category
    # table (issue 16: "crypto support mails stay >= 0.92"); macro-F1 of the two sets pooled.
    crypto = [
        r
        for name in ("crypto_mail_a", "crypto_mail_b")
        for r in read_examples(DATA / "independent" / f"{name}.csv", cats)
    ]
    ev = evaluate(crypto, classifier.classify([r.text for r in crypto]), cats, settings.confidence_floor, "crypto")
    figures["independent_crypto_mail_macro_f1"] = ev.macro_f1
    figures["independent_crypto_mail_accuracy"] = ev.accuracy
    figures["fitted_confidence_scale"] = model.fitted_scale or 0.0

    # -- per-mail speed ---------------------------------------------------------------------------
    mails = [r.text for rows in held.values() for r in rows]
    batch = (mails * (1 + 2000 // len(mails)))[:2000]
    classifier.classify(batch[:10])  # warm caches (pinyin table, converters)
    _, batch_seconds = timed(lambda: [classifier.classify(batch[i : i + 200]) for i in range(0, len(batch), 200)], 3)
    figures["per_mail_ms_batched"] = 1000 * batch_seconds / len(batch)
    singles = []
    for text in mails[:200]:
        started = time.perf_counter()
        classifier.classify([text])
        singles.append(time.perf_counter() - started)
    figures["per_mail_ms_alone"] = 1000 * statistics.median(singles)

    # -- report -----------------------------------------------------------------------------------
    print(f"classifier benchmark: {len(examples)} examples, {model.meta['labels']} labels, {args.folds}-fold CV")
    for key, value in figures.items():
        target = TARGETS.get(key)
        shown = f"{value:.4f}" if isinstance(value, float) else str(value)
        if target is None:
            print(f"  {key:38} {shown}")
        else:
            lower_is_better = key.endswith(("seconds", "_ms_batched"))
            ok = value <= target if lower_is_better else value >= target
            sign = "≤" if lower_is_better else "≥"
            print(f"  {key:38} {shown:>10}   target {sign} {target}  {'PASS' if ok else 'MISS'}")
    print(f"  off-topic mail decided as another category: {wrong or 'none'}")
    if args.json:
        print(json.dumps(figures | {"offtopic_wrong": wrong}))


if __name__ == "__main__":
    main()
