"""Training a model from the examples, and measuring it by cross-validation.

A pipeline is built from the settings (`build_pipeline`) and fitted on the examples'
intents, each weighted by its file's weight. With `confidence_scale = "fitted"`, training
first scores every example out of fold, in folds that hold out whole writers, and fits
the scale (temperature scaling) to those scores, so that "0.9" means right nine times in
ten on a writer the model never saw (`fit_scale`); the scale is stored with the model.
Cross-validation (`cross_validated`) decides every example by rules, model and floor,
with a model that never saw it: stratified folds, or folds that hold out whole writers.

Only training and measuring import scikit-learn: a stored model scores without it.
"""

from __future__ import annotations

import hashlib
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
from sklearn.compose import ColumnTransformer
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression, SGDClassifier
from sklearn.model_selection import GroupKFold, LeaveOneGroupOut, StratifiedKFold
from sklearn.pipeline import Pipeline

from inboxd.assets import Assets, Example
from inboxd.classifier.features import Terms
from inboxd.classifier.model import Classifier, Model, classifications_from, confidences, model_input, rule_hit
from inboxd.classifier.settings import READS, ModelSettings, estimator_class, settings_of
from inboxd.classifier.storage import expected_meta
from inboxd.classifier.vocabulary import Vocabulary
from inboxd.errors import ConfigError, Problem
from inboxd.language import to_simplified
from inboxd.values import Classification


def build_pipeline(settings: ModelSettings) -> Pipeline:
    union = ColumnTransformer(
        [
            (name, TfidfVectorizer(**params), READS.index(settings.reads.get(name, "text")))
            for name, params in settings.features.items()
        ],
        sparse_threshold=1.0,  # always sparse: a dense TF-IDF matrix would not fit in memory
    )
    estimator = estimator_class(settings.estimator_kind)(**settings.estimator_params)
    return Pipeline([("features", union), ("classifier", estimator)])


def model_of(pipeline: Pipeline, settings: ModelSettings, meta: dict[str, Any]) -> Model:
    """A fitted pipeline as the plain `Model` that scores it the same way without scikit-learn."""
    union = pipeline.named_steps["features"]
    fitted = {
        name: vectorizer for name, vectorizer, _ in union.transformers_ if isinstance(vectorizer, TfidfVectorizer)
    }
    terms = [
        Terms(
            name=name,
            reads=READS.index(settings.reads.get(name, "text")),
            analyzer=str(v.analyzer),
            ngram_range=(int(v.ngram_range[0]), int(v.ngram_range[1])),
            lowercase=bool(v.lowercase),
            token_pattern=str(v.token_pattern),
            binary=bool(v.binary),
            sublinear_tf=bool(v.sublinear_tf),
            norm=None if v.norm is None else str(v.norm),
            vocabulary=Vocabulary.of({str(term): int(column) for term, column in v.vocabulary_.items()}),
            idf=np.asarray(v.idf_, dtype=np.float64) if v.use_idf else None,
        )
        for name, v in ((name, fitted[name]) for name in settings.features)
    ]
    estimator = pipeline.named_steps["classifier"]
    coef = np.asarray(estimator.coef_, dtype=np.float32)
    intercept = np.broadcast_to(np.asarray(estimator.intercept_, dtype=np.float32), (coef.shape[0],))
    if coef.shape[0] == 1:  # two labels: one row of weights, toward the second
        coef, intercept = np.vstack([-coef, coef]), np.concatenate([-intercept, intercept])
    probability: str | None = None
    if isinstance(estimator, LogisticRegression):
        probability = "softmax" if len(estimator.classes_) > 2 else "ovr_sigmoid"
    elif isinstance(estimator, SGDClassifier):
        probability = "modified_huber" if estimator.loss == "modified_huber" else "ovr_sigmoid"
    labels = [str(c) for c in estimator.classes_]
    return Model(terms, np.ascontiguousarray(coef.T), intercept, labels, probability, meta)


def _log_loss(scores: np.ndarray, truth: np.ndarray, are_probabilities: bool, scale: float) -> float:
    p = confidences(scores, are_probabilities, scale)
    return float(-np.log(np.clip(p[np.arange(len(truth)), truth], 1e-12, None)).mean())


def fit_scale(scores: np.ndarray, truth: np.ndarray, are_probabilities: bool) -> float:
    """The scale (inverse temperature) that makes out-of-fold confidences honest.

    Minimises the log loss of the true categories (temperature scaling, Guo et al. 2017):
    one parameter, so it cannot change which category wins, only how sure the model says
    it is. A coarse grid on a log scale, then golden-section refinement; bounded to [0.1, 100].
    """
    grid = np.exp(np.linspace(np.log(0.1), np.log(100.0), 31))
    losses = [_log_loss(scores, truth, are_probabilities, float(t)) for t in grid]
    best = int(np.argmin(losses))
    lo, hi = np.log(grid[max(best - 1, 0)]), np.log(grid[min(best + 1, len(grid) - 1)])
    golden = (np.sqrt(5.0) - 1.0) / 2.0
    for _ in range(30):
        a, b = hi - golden * (hi - lo), lo + golden * (hi - lo)
        if _log_loss(scores, truth, are_probabilities, float(np.exp(a))) <= _log_loss(
            scores, truth, are_probabilities, float(np.exp(b))
        ):
            hi = b
        else:
            lo = a
    return round(float(np.exp((lo + hi) / 2.0)), 4)


def fit_pipeline(examples: Sequence[Example], settings: ModelSettings) -> Pipeline:
    """A pipeline fitted on these examples (their intents as labels, their files' weights)."""
    pipeline = build_pipeline(settings)
    prepared = model_input([e.text for e in examples], settings)
    labels = [e.label for e in examples]
    fit_params: dict[str, Any] = {}
    if settings.example_weights:
        weights = [settings.example_weights.get(e.file, 1.0) for e in examples]
        fit_params["classifier__sample_weight"] = np.asarray(weights)
    pipeline.fit(prepared, labels, **fit_params)
    return pipeline


def train(assets: Assets, settings: ModelSettings) -> Model:
    examples = list(assets.examples())
    started = time.monotonic()
    calibration: dict[str, Any] = {}
    if settings.fitted_scale:
        scores, are_probabilities, categories = out_of_fold_scores(
            examples, settings, settings.calibration_folds, group_by="calibration"
        )
        truth = np.array([categories.index(e.category) for e in examples])
        calibration = {
            "confidence_scale": fit_scale(scores, truth, are_probabilities),
            "calibration": f"{settings.calibration_folds} folds holding out whole writers",
        }
    pipeline = fit_pipeline(examples, settings)
    meta = (
        expected_meta(assets, settings)
        | {
            "examples": len(examples),
            "labels": len(pipeline.classes_),
            "trained_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "train_seconds": round(time.monotonic() - started, 2),
        }
        | calibration
    )
    return model_of(pipeline, settings, meta)


def _calibration_groups(examples: Sequence[Example], folds: int) -> list[str]:
    """Writers as groups, for folds that hold out whole writers; one too big for a fold is dealt out.

    Holding out a writer is what a new customer's phrasing looks like to the model. A writer
    with more than a fold's share (Banking77, 10,000 rows by one source) would leave a fold
    without any of its kind of text, which no deployed model faces: its rows are dealt into
    `folds` parts by a hash of the text (stable from run to run).
    """
    writers = [e.group("writer") for e in examples]
    sizes = Counter(writers)
    share = len(examples) / folds
    return [
        f"{w}#{int(hashlib.blake2b(e.text.encode(), digest_size=4).hexdigest(), 16) % folds}" if sizes[w] > share else w
        for w, e in zip(writers, examples, strict=True)
    ]


def _splits(
    examples: Sequence[Example], folds: int, seed: int, group_by: str | None
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """(train, test) indices of the folds: stratified by category, or whole groups held out.

    Stratified folds keep each category's share (and each example file's share of it, when
    every file has enough examples of it). With `group_by` (`writer` or `source`), no group
    is on both sides of a fold: a writer's own phrasing cannot help score that writer.
    `folds` 0 holds out one group per fold. A fold must leave text in every language the
    features read (training fails on an empty vocabulary).
    """
    if group_by is not None:
        groups = (
            _calibration_groups(examples, folds) if group_by == "calibration" else [e.group(group_by) for e in examples]
        )
        n_groups = len(set(groups))
        if n_groups < 2 or folds > n_groups:
            raise ConfigError(
                [
                    Problem(
                        "examples",
                        "",
                        f"cross-validation by {group_by} needs at least {max(folds, 2)} {group_by}s; "
                        f"there are {n_groups}",
                    )
                ]
            )
        # Not shuffled (so `seed` plays no part): GroupKFold then balances the folds' sizes,
        # where shuffling would deal out whole groups blindly (Banking77 is 10,000 rows, a
        # writer a few hundred).
        splitter: GroupKFold | LeaveOneGroupOut = LeaveOneGroupOut() if folds == 0 else GroupKFold(n_splits=folds)
        yield from splitter.split(np.zeros(len(groups)), groups=groups)
        return
    counts = Counter(e.category for e in examples)
    short = {c: n for c, n in sorted(counts.items()) if n < folds}
    if folds < 2 or short:
        raise ConfigError(
            [
                Problem(
                    "examples",
                    "",
                    f"{folds}-fold cross-validation needs at least {max(folds, 2)} examples "
                    f"per category; too few: {short}",
                )
            ]
        )
    strata = [f"{e.file}|{e.category}" for e in examples]
    if min(strata.count(s) for s in set(strata)) < folds:
        strata = [e.category for e in examples]
    yield from StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed).split(np.zeros(len(strata)), strata)


def out_of_fold_scores(
    examples: Sequence[Example],
    settings: ModelSettings,
    folds: int,
    seed: int = 0,
    pool: Sequence[Example] | None = None,
    group_by: str | None = None,
) -> tuple[np.ndarray, bool, tuple[str, ...]]:
    """Out-of-fold category scores (margins, or probabilities when the second value is True).

    Every example is scored by a model that never saw it (folds: `_splits`; `group_by`
    "calibration" holds out writers as `_calibration_groups` deals them). With `pool`
    (another version's examples), each fold's model is trained on the pool less the texts
    of that fold, so two versions are scored on the same folds.
    """
    categories = tuple(sorted({e.category for e in [*examples, *(pool or ())]}))
    scores = np.zeros((len(examples), len(categories)))
    are_probabilities = False
    for train_idx, test_idx in _splits(examples, folds, seed, group_by):
        if pool is None:
            training = [examples[i] for i in train_idx]
        else:
            held_out = {examples[i].text for i in test_idx}
            training = [e for e in pool if e.text not in held_out]
        model = model_of(fit_pipeline(training, settings), settings, {})
        fold, are_probabilities = model.category_scores(model_input([examples[i].text for i in test_idx], settings))
        missing = np.zeros(len(test_idx)) if are_probabilities else np.full(len(test_idx), -1e3)
        for j, category in enumerate(categories):
            column = fold[:, model.classes.index(category)] if category in model.classes else missing
            scores[test_idx, j] = column
    return scores, are_probabilities, categories


def cross_validate(
    examples: Sequence[Example],
    settings: ModelSettings,
    folds: int,
    seed: int = 0,
    pool: Sequence[Example] | None = None,
    group_by: str | None = None,
) -> tuple[np.ndarray, tuple[str, ...]]:
    """Out-of-fold confidences: a (text × category) matrix, and the categories of its columns.

    A fitted scale is fitted to these folds' own scores: one parameter over thousands of
    examples, so it flatters the figures by little (and cannot change a category).
    """
    scores, are_probabilities, categories = out_of_fold_scores(examples, settings, folds, seed, pool, group_by)
    scale = settings.confidence_scale
    if scale is None:
        truth = np.array([categories.index(e.category) for e in examples])
        scale = fit_scale(scores, truth, are_probabilities)
    return confidences(scores, are_probabilities, scale), categories


def cross_validated(
    assets: Assets, folds: int, seed: int = 0, scored_by: Assets | None = None, group_by: str | None = None
) -> tuple[list[Example], list[Classification]]:
    """Every example decided (rules, model, floor) by a model trained on the other folds.

    `scored_by` (another version of the assets, e.g. the previous one) decides instead, with
    its own rules, settings and examples, on the same folds: never trained on a fold's texts.
    `group_by` (`writer`, `source`): folds hold out whole groups; `folds` 0, one group each.
    """
    version = scored_by or assets
    settings = settings_of(version)
    examples = list(assets.examples())
    pool = list(version.examples()) if scored_by is not None else None
    probs, classes = cross_validate(examples, settings, folds, seed, pool, group_by)
    hits = []
    for e in examples:
        clipped = e.text[: settings.max_chars]
        hits.append(rule_hit(version, clipped, to_simplified(clipped) if settings.simplify else None))
    unruled = [i for i, hit in enumerate(hits) if hit is None]
    return examples, classifications_from(hits, probs[unruled], classes, settings.confidence_floor)


def train_classifier(assets: Assets) -> Classifier:
    """A classifier trained now, in memory, from these assets (evaluation, comparison)."""
    settings = settings_of(assets)
    return Classifier(assets, settings, train(assets, settings))
