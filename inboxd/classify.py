"""Category of a mail: named rules first, then the trained model, then the confidence floor.

The only module importing scikit-learn and skops. The model reads the subject and
the customer's new words, clipped, with Traditional Chinese converted to Simplified
(and, for feature sets that ask for it, the pinyin of the Chinese: see `language`).
Its features are a union of TF-IDF vectorisers (word n-grams for English, character
n-grams for Chinese, which has no spaces, pinyin words for homophone typos) under a
linear classifier, all built from `classifiers/model.toml`, whose every parameter is
checked against the estimator's own `get_params()`.

Examples may carry an intent, a finer label inside their category (Banking77's 77
intents); the model then learns intents and a category scores as its best intent
(margins) or the sum of its intents (probabilities). Margins become confidences by a
softmax over the categories, sharpened by `confidence_scale`: a number, or `"fitted"`,
when training fits it (temperature scaling) to out-of-fold scores of folds that hold out
whole writers, so that "0.9" means right nine times in ten on a writer the model never
saw (`fit_scale`), and stores it with the model.

Trained models are stored with skops (no pickle) together with the fingerprint of
the examples and settings they came from; a model that does not match the current
assets is refused rather than silently used. A stored model is read and audited in a
short-lived child process, which hands back only the fitted pipeline (`model_child`).
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import gc
import hashlib
import json
import time
import tomllib
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import sklearn
from sklearn.base import BaseEstimator
from sklearn.compose import ColumnTransformer
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression, SGDClassifier
from sklearn.model_selection import GroupKFold, LeaveOneGroupOut, StratifiedKFold
from sklearn.pipeline import Pipeline
from sklearn.svm import LinearSVC

from inboxd.assets import FALLBACK, Assets, Example
from inboxd.errors import ConfigError, Problem
from inboxd.language import pinyin, to_simplified
from inboxd.model_child import ModelRead
from inboxd.models import Classification

ESTIMATORS: dict[str, type[BaseEstimator]] = {
    "linear_svc": LinearSVC,
    "logistic_regression": LogisticRegression,
    "sgd": SGDClassifier,
}
# What a feature set reads: the (simplified) text, or the pinyin of its Chinese.
READS = ("text", "pinyin")
_TOP_KEYS = {
    "confidence_floor",
    "confidence_scale",
    "max_chars",
    "traditional_to_simplified",
    "example_weights",
    "calibration_folds",
    "features",
    "estimator",
}
# Settings used when deciding, not when training: changing them needs no retraining.
_DECISION_KEYS = ("confidence_floor", "confidence_scale")
FORMAT_VERSION = 3  # 3: vocabularies stored as arrays beside the pipeline (`save_model`)


@dataclass(frozen=True, slots=True)
class ModelSettings:
    confidence_floor: float
    max_chars: int
    features: dict[str, dict[str, Any]]  # feature set -> TfidfVectorizer parameters
    estimator_kind: str
    estimator_params: dict[str, Any]
    reads: dict[str, str] = field(default_factory=dict)  # feature set -> "text" | "pinyin"
    simplify: bool = True
    # None: fitted at training (`fit_scale`) and stored with the model.
    confidence_scale: float | None = 4.0
    example_weights: dict[str, float] = field(default_factory=dict)  # example file name -> weight
    calibration_folds: int = 3

    @property
    def fitted_scale(self) -> bool:
        return self.confidence_scale is None

    def digest(self) -> str:
        """Hash of what training depends on (not the floor or scale, which apply at decision time)."""
        blob = json.dumps(
            [
                self.max_chars,
                self.features,
                self.reads,
                self.simplify,
                self.estimator_kind,
                self.estimator_params,
                self.example_weights,
                # A fitted scale is part of the stored model; a fixed one applies when deciding.
                [self.calibration_folds] if self.fitted_scale else None,
            ],
            sort_keys=True,
            default=str,
        )
        return hashlib.sha256(blob.encode()).hexdigest()


def _check_params(estimator: BaseEstimator, params: dict[str, Any], file: str, key: str) -> list[Problem]:
    problems: list[Problem] = []
    known = estimator.get_params()
    for name in sorted(set(params) - set(known)):
        problems.append(Problem(file, f"{key}.{name}", f"unknown parameter of {type(estimator).__name__}"))
    if problems:
        return problems
    try:
        estimator.set_params(**params)
        # scikit-learn validates parameter values at fit time; ask for it now.
        estimator._validate_params()
    except (ValueError, TypeError) as exc:
        problems.append(Problem(file, key, f"invalid value: {exc}"))
    return problems


def _number(raw: dict[str, Any], key: str, default: float) -> float | None:
    value = raw.get(key, default)
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return None
    return float(value)


def _parse_features(raw: Any, file: str, problems: list[Problem]) -> tuple[dict[str, dict[str, Any]], dict[str, str]]:
    features: dict[str, dict[str, Any]] = {}
    reads: dict[str, str] = {}
    if not isinstance(raw, dict) or not raw:
        problems.append(Problem(file, "features", "define at least one [features.NAME] vectoriser"))
        return features, reads
    for name, given in raw.items():
        if not isinstance(given, dict):
            problems.append(Problem(file, f"features.{name}", "must be a table of TfidfVectorizer parameters"))
            continue
        source = given.get("reads", "text")
        if source not in READS:
            problems.append(Problem(file, f"features.{name}.reads", f"must be one of {list(READS)}"))
            source = "text"
        # TOML has arrays, scikit-learn wants tuples (ngram_range).
        vectoriser = {k: tuple(v) if isinstance(v, list) else v for k, v in given.items() if k != "reads"}
        problems += _check_params(TfidfVectorizer(), vectoriser, file, f"features.{name}")
        features[name] = vectoriser
        reads[name] = str(source)
    return features, reads


def _parse_weights(
    raw: Any, file: str, example_files: Iterable[str] | None, problems: list[Problem]
) -> dict[str, float]:
    weights: dict[str, float] = {}
    if not isinstance(raw, dict):
        problems.append(Problem(file, "example_weights", "must be a table: example file name = weight"))
        return weights
    known = None if example_files is None else set(example_files)
    for name, weight in raw.items():
        key = f"example_weights.{name}"
        if known is not None and name not in known:
            problems.append(Problem(file, key, f"no such example file; there are {sorted(known)}"))
        elif not isinstance(weight, (int, float)) or isinstance(weight, bool) or weight <= 0:
            problems.append(Problem(file, key, "must be a number above 0"))
        else:
            weights[name] = float(weight)
    return weights


def parse_settings(raw: dict[str, Any], file: str, example_files: Iterable[str] | None = None) -> ModelSettings:
    """Validate `model.toml`; raise ConfigError listing every problem.

    `example_files` (names in examples/) lets `example_weights` be checked against them.
    """
    problems: list[Problem] = [Problem(file, k, "unknown key") for k in sorted(set(raw) - _TOP_KEYS)]
    floor = _number(raw, "confidence_floor", 0.5)
    if floor is None or not 0.0 <= floor < 1.0:
        problems.append(Problem(file, "confidence_floor", "must be a number from 0 up to (not including) 1"))
        floor = 0.5
    scale: float | None = None
    if raw.get("confidence_scale") != "fitted":
        scale = _number(raw, "confidence_scale", 4.0)
        if scale is None or not 0.0 < scale <= 100.0:
            problems.append(Problem(file, "confidence_scale", 'must be "fitted" or a number above 0 and at most 100'))
            scale = 4.0
    folds = raw.get("calibration_folds", 3)
    if not isinstance(folds, int) or isinstance(folds, bool) or not 2 <= folds <= 20:
        problems.append(Problem(file, "calibration_folds", "must be a whole number from 2 to 20"))
        folds = 3
    max_chars = raw.get("max_chars", 3000)
    if not isinstance(max_chars, int) or isinstance(max_chars, bool) or max_chars < 100:
        problems.append(Problem(file, "max_chars", "must be a whole number of at least 100"))
        max_chars = 3000
    simplify = raw.get("traditional_to_simplified", True)
    if not isinstance(simplify, bool):
        problems.append(Problem(file, "traditional_to_simplified", "must be true or false"))
        simplify = True
    features, reads = _parse_features(raw.get("features"), file, problems)
    weights = _parse_weights(raw.get("example_weights", {}), file, example_files, problems)
    estimator = raw.get("estimator", {})
    kind = estimator.get("kind") if isinstance(estimator, dict) else None
    params: dict[str, Any] = {}
    if kind not in ESTIMATORS:
        problems.append(Problem(file, "estimator.kind", f"must be one of {sorted(ESTIMATORS)}"))
    else:
        for extra in sorted(set(estimator) - {"kind", "params"}):
            problems.append(Problem(file, f"estimator.{extra}", "unknown key (parameters go in [estimator.params])"))
        params = dict(estimator.get("params", {}))
        problems += _check_params(ESTIMATORS[kind](), params, file, "estimator.params")
        if kind == "sgd" and params.get("loss", "hinge") not in ("log_loss", "modified_huber"):
            problems.append(
                Problem(file, "estimator.params.loss", "sgd needs log_loss or modified_huber for probabilities")
            )
    if problems:
        raise ConfigError(problems)
    return ModelSettings(
        confidence_floor=floor,
        max_chars=max_chars,
        features=features,
        estimator_kind=str(kind),
        estimator_params=params,
        reads=reads,
        simplify=simplify,
        confidence_scale=scale,
        example_weights=weights,
        calibration_folds=folds,
    )


def settings_of(assets: Assets) -> ModelSettings:
    """The validated `model.toml` of these assets."""
    return parse_settings(
        assets.model_settings, str(assets.root / "model.toml"), [p.name for p in assets.example_files]
    )


def settings_problems(path: Path) -> list[Problem]:
    """Problems in a model.toml, checked on its own (used when the other assets are broken)."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return []  # load_assets reports the missing file
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return []  # likewise
    try:
        parse_settings(raw, str(path))
    except ConfigError as exc:
        return exc.problems
    return []


def prepare(texts: Sequence[str], settings: ModelSettings) -> np.ndarray:
    """What the model reads, one row per text: (clipped, simplified text; pinyin of its Chinese)."""
    wants_pinyin = "pinyin" in settings.reads.values()
    rows = np.empty((len(texts), len(READS)), dtype=object)
    for i, text in enumerate(texts):
        clipped = text[: settings.max_chars]
        if settings.simplify:
            clipped = to_simplified(clipped)
        rows[i, 0] = clipped
        rows[i, 1] = pinyin(clipped) if wants_pinyin else ""
    return rows


def build_pipeline(settings: ModelSettings) -> Pipeline:
    union = ColumnTransformer(
        [
            (name, TfidfVectorizer(**params), READS.index(settings.reads.get(name, "text")))
            for name, params in settings.features.items()
        ],
        sparse_threshold=1.0,  # always sparse: a dense TF-IDF matrix would not fit in memory
    )
    estimator = ESTIMATORS[settings.estimator_kind](**settings.estimator_params)
    return Pipeline([("features", union), ("classifier", estimator)])


@dataclass(frozen=True, slots=True)
class Explanation:
    classification: Classification
    features: tuple[tuple[str, float], ...]  # (feature, weight toward the category), strongest first
    probabilities: tuple[tuple[str, float], ...]
    intent: str | None = None  # the finer label inside the category that scored best, if any


def _category_of(label: str) -> str:
    return label.split("/", 1)[0]


def _lean_weights(pipeline: Pipeline) -> None:
    """Features and weights in float32, weights laid out for the product, trained or loaded alike.

    The weights (labels × features, 26 MB in float64) are the model's largest array and
    stay in the daemon's memory for its whole life.
    - Both sides float32: float64 features would make SciPy copy the weights back to
      float64 on every batch. Margins move by a few millionths (measured: 2.6e-6 at most
      on 3,000 of the examples, no decision changed).
    - Column-major: scikit-learn multiplies by `coef_.T`, which SciPy needs row-major,
      so a row-major `coef_` was copied whole on every batch (13 MB more at the peak).
    """
    for vectorizer in _vectorizers(pipeline).values():
        vectorizer.dtype = np.float32
    estimator = pipeline.named_steps["classifier"]
    if isinstance(getattr(estimator, "coef_", None), np.ndarray):
        estimator.coef_ = np.asfortranarray(estimator.coef_, dtype=np.float32)


class Model:
    """A fitted pipeline with the metadata that says what it was trained from."""

    def __init__(self, pipeline: Pipeline, meta: dict[str, Any]):
        _lean_weights(pipeline)
        self.pipeline = pipeline
        self.meta = meta
        self.labels: tuple[str, ...] = tuple(str(c) for c in pipeline.classes_)
        self.classes: tuple[str, ...] = tuple(sorted({_category_of(label) for label in self.labels}))
        self._members = [
            np.array([i for i, label in enumerate(self.labels) if _category_of(label) == c]) for c in self.classes
        ]

    def label_scores(self, prepared: np.ndarray) -> tuple[np.ndarray, bool]:
        """Per label (intent): probabilities if the estimator has them (True), else margins (False)."""
        if hasattr(self.pipeline, "predict_proba"):
            return np.asarray(self.pipeline.predict_proba(prepared)), True
        margins = np.asarray(self.pipeline.decision_function(prepared), dtype=float)
        if margins.ndim == 1:  # two labels: one margin, positive toward the second
            margins = np.column_stack([-margins, margins])
        return margins, False

    def _per_category(self, scores: np.ndarray, are_probabilities: bool) -> np.ndarray:
        if are_probabilities:
            return np.column_stack([scores[:, m].sum(axis=1) for m in self._members])
        return np.column_stack([scores[:, m].max(axis=1) for m in self._members])

    def category_scores(self, prepared: np.ndarray) -> tuple[np.ndarray, bool]:
        """Per category (columns in `classes` order): summed probabilities (True) or best margins."""
        scores, are_probabilities = self.label_scores(prepared)
        return self._per_category(scores, are_probabilities), are_probabilities

    @property
    def fitted_scale(self) -> float | None:
        """The scale fitted at training (`fit_scale`), if it was."""
        value = self.meta.get("confidence_scale")
        return float(value) if isinstance(value, (int, float)) else None

    def probabilities(self, prepared: np.ndarray, scale: float | None) -> np.ndarray:
        """Confidence per category (columns in `classes` order); rows sum to 1.

        `scale` None: the fitted one (a model trained without one keeps its probabilities,
        or uses the old fixed default for margins).
        """
        scores, are_probabilities = self.category_scores(prepared)
        return confidences(scores, are_probabilities, scale if scale is not None else self.fitted_scale)

    def scored(self, prepared: np.ndarray, scale: float | None) -> tuple[np.ndarray, list[str | None]]:
        """Confidence per category (as `probabilities`), and for each row the intent that scored
        best inside its top category (None when that label has no intent): `unsolicited` inside
        `other`, say."""
        scores, are_probabilities = self.label_scores(prepared)
        per_category = self._per_category(scores, are_probabilities)
        probs = confidences(per_category, are_probabilities, scale if scale is not None else self.fitted_scale)
        intents: list[str | None] = []
        for row, top in enumerate(np.argmax(probs, axis=1) if len(probs) else []):
            members = self._members[int(top)]
            label = self.labels[int(members[np.argmax(scores[row, members])])]
            intents.append(label.split("/", 1)[1] if "/" in label else None)
        return probs, intents


DEFAULT_SCALE = 4.0


def confidences(scores: np.ndarray, are_probabilities: bool, scale: float | None) -> np.ndarray:
    """Category scores as confidences: a softmax of `scale` × margins (or × log-probabilities).

    Probabilities without a scale are returned as they are: the estimator's own.
    """
    if are_probabilities:
        if scale is None:
            return scores
        logits = np.log(np.clip(scores, 1e-12, None))
    else:
        logits = scores
        scale = DEFAULT_SCALE if scale is None else scale
    z = np.exp(scale * (logits - logits.max(axis=1, keepdims=True)))
    return np.asarray(z / z.sum(axis=1, keepdims=True))


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


def expected_meta(assets: Assets, settings: ModelSettings) -> dict[str, Any]:
    return {
        "format": FORMAT_VERSION,
        "sklearn_version": sklearn.__version__,
        "assets_fingerprint": assets.fingerprint(),
        "settings_digest": settings.digest(),
    }


def fit_pipeline(examples: Sequence[Example], settings: ModelSettings) -> Pipeline:
    """A pipeline fitted on these examples (their intents as labels, their files' weights)."""
    pipeline = build_pipeline(settings)
    prepared = prepare([e.text for e in examples], settings)
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
    return Model(pipeline, meta)


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
        model = Model(fit_pipeline(training, settings), {})
        fold, are_probabilities = model.category_scores(prepare([examples[i].text for i in test_idx], settings))
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


def _vectorizers(pipeline: Pipeline) -> dict[str, TfidfVectorizer]:
    """The fitted vectorisers of a pipeline built by `build_pipeline`, by feature set."""
    union = pipeline.named_steps["features"]
    return {name: v for name, v, _ in union.transformers_ if isinstance(v, TfidfVectorizer)}


def _pack_vocabulary(vocabulary: dict[str, int]) -> dict[str, np.ndarray]:
    """A vocabulary as two arrays: its terms' UTF-8 bytes end to end, and where each ends.

    skops writes a dict as JSON with a type record per entry: ~40,000 terms made a 34 MB
    schema whose parsing set the daemon's peak memory and left it fragmented. Arrays are
    stored as .npy files. Bytes and offsets (not a fixed-width string array, which would
    drop a trailing NUL) give back every term exactly.
    """
    terms = sorted(vocabulary, key=vocabulary.__getitem__)
    encoded = [t.encode("utf-8") for t in terms]
    ends = np.cumsum([len(b) for b in encoded], dtype=np.int64)
    return {"utf8": np.frombuffer(b"".join(encoded), dtype=np.uint8).copy(), "ends": ends}


def _unpack_vocabulary(packed: dict[str, np.ndarray]) -> dict[str, int]:
    data = packed["utf8"].tobytes()
    ends = packed["ends"].tolist()
    starts = [0, *ends[:-1]] if ends else []
    return {data[a:b].decode("utf-8"): i for i, (a, b) in enumerate(zip(starts, ends, strict=True))}


@contextlib.contextmanager
def _vocabularies_set_aside(pipeline: Pipeline) -> Iterator[dict[str, dict[str, np.ndarray]]]:
    """The pipeline without its vocabularies (packed, yielded) for as long as it is being written."""
    vectorizers = _vectorizers(pipeline)
    held = {name: v.__dict__.pop("vocabulary_") for name, v in vectorizers.items()}
    try:
        yield {name: _pack_vocabulary(vocabulary) for name, vocabulary in held.items()}
    finally:
        for name, vocabulary in held.items():
            vectorizers[name].vocabulary_ = vocabulary


def save_model(model: Model, path: Path) -> None:
    import skops.io  # noqa: PLC0415 - see _read_stored

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    with _vocabularies_set_aside(model.pipeline) as vocabularies:
        skops.io.dump({"meta": model.meta, "pipeline": model.pipeline, "vocabularies": vocabularies}, tmp)
    tmp.replace(path)  # atomic: a crash never leaves half a model


def _read_stored(path: str) -> tuple[str, str, dict[str, Any], Pipeline | None]:
    """Read and audit a stored model: (problem, detail, meta, pipeline); problem "" when it was read.

    Runs in a child process (`model_child`), or here when none could be started. skops
    is imported only here and when saving: to audit a file it imports the whole of
    scikit-learn, which a daemon would then keep for its whole life.
    """
    import skops.io  # noqa: PLC0415
    from skops.io.exceptions import UntrustedTypesFoundException  # noqa: PLC0415

    try:
        # skops audits every type before it builds anything and refuses any that is not
        # on its trusted list: a model file is never a way to run code.
        stored = skops.io.load(path)
    except FileNotFoundError:
        return "missing", "", {}, None
    except UntrustedTypesFoundException as exc:
        return "untrusted", str(exc), {}, None
    except Exception as exc:  # a damaged zip or schema raises several kinds
        return "unreadable", str(exc), {}, None
    if not isinstance(stored, dict) or not isinstance(stored.get("meta", {}), dict):
        return "unreadable", "not an inboxd model", {}, None
    meta, pipeline = stored.get("meta", {}), stored.get("pipeline")
    try:
        for name, vectorizer in _vectorizers(pipeline).items():
            vectorizer.vocabulary_ = _unpack_vocabulary(stored["vocabularies"][name])
    except (AttributeError, KeyError, TypeError, ValueError, UnicodeDecodeError) as exc:
        return "damaged", f"damaged vocabulary in the model ({exc!r})", meta, None
    return "", "", meta, pipeline


def load_model(path: Path, expected: dict[str, Any], reading: ModelRead | None = None) -> Model:
    """Load a stored model; ConfigError if it is untrusted or does not match the assets.

    `reading`: the child process already reading `path` (`model_child`); one is started if not.
    """
    where = str(path)
    stored = (reading or ModelRead(path)).result()
    problem, detail, meta, pipeline = stored if stored is not None else _read_stored(str(path))
    if problem == "missing":
        raise ConfigError([Problem(where, "", "no trained model: run `inboxd train`")])
    if problem == "untrusted":
        raise ConfigError([Problem(where, "", f"refusing to load: {detail}")])
    if problem == "unreadable":
        raise ConfigError([Problem(where, "", f"not a readable skops model: {detail}")])
    differing = [k for k, v in expected.items() if meta.get(k) != v]
    if differing:
        reasons = {
            "sklearn_version": f"trained with scikit-learn {meta.get('sklearn_version')}, "
            f"this is {expected.get('sklearn_version')}",
            "assets_fingerprint": "the examples or categories changed since it was trained",
            "settings_digest": "model.toml changed since it was trained",
            "format": "stored by a different inboxd model format",
        }
        text = "; ".join(reasons.get(k, k) for k in differing)
        raise ConfigError([Problem(where, "", f"stale model ({text}): run `inboxd train`")])
    if problem or pipeline is None:
        raise ConfigError([Problem(where, "", f"{detail or 'no pipeline in the model'}: run `inboxd train`")])
    _return_freed_memory()
    return Model(pipeline, meta)


def _return_freed_memory() -> None:
    """Give back to the system what reading the model freed.

    The pickled pipeline from the child (14 MB), or skops's own buffers when the file
    was read here; glibc keeps freed pages for later, so the daemon would hold them for
    its whole life.
    """
    gc.collect()
    with contextlib.suppress(OSError, AttributeError):  # not glibc: the pages are reused instead
        ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim(0)


def decide(
    rule_hits: Sequence[tuple[str, str] | None],
    probs: np.ndarray,
    classes: Sequence[str],
    floor: float,
    intents: Sequence[str | None] = (),
) -> list[Classification]:
    """Rules, then model, then floor, for a batch: `rule_hits` gives (rule, category) or None per text.

    `probs` has one row per text the rules left to the model, in order; `intents`, if given,
    the intent that scored best inside each row's top category (`Model.scored`).
    """
    out: list[Classification] = []
    row = 0
    for hit in rule_hits:
        if hit is not None:
            name, category = hit
            out.append(Classification(category, 1.0, category, rule=name))
            continue
        p = probs[row]
        row += 1
        order = np.argsort(p)[::-1]
        top, second = int(order[0]), int(order[1]) if len(order) > 1 else int(order[0])
        predicted = classes[top]
        confidence = float(p[top])
        out.append(
            Classification(
                category=predicted if confidence >= floor else FALLBACK,
                confidence=round(confidence, 4),
                predicted=predicted,
                runner_up=classes[second],
                runner_up_confidence=round(float(p[second]), 4),
                intent=intents[row - 1] if intents else None,
            )
        )
    return out


def rule_hit(assets: Assets, text: str, simplified: str | None = None) -> tuple[str, str] | None:
    """The first rule matching the text (as written, or in Simplified characters)."""
    for rule in assets.rules:
        if rule.pattern.search(text) or (simplified is not None and rule.pattern.search(simplified)):
            return rule.name, rule.category
    return None


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
    return examples, decide(hits, probs[unruled], classes, settings.confidence_floor)


class Classifier:
    """Rules, then model, then floor. Build with `load_classifier`."""

    def __init__(self, assets: Assets, settings: ModelSettings, model: Model):
        self.assets = assets
        self.settings = settings
        self.model = model

    @property
    def floor(self) -> float:
        return self.settings.confidence_floor

    def rule_hits(self, texts: Sequence[str], prepared: np.ndarray) -> list[tuple[str, str] | None]:
        return [rule_hit(self.assets, t[: self.settings.max_chars], str(prepared[i, 0])) for i, t in enumerate(texts)]

    def classify(self, texts: Sequence[str]) -> list[Classification]:
        """Classify a batch (one predict call for the batch: it is much cheaper per mail)."""
        prepared = prepare(texts, self.settings)
        hits = self.rule_hits(texts, prepared)
        need_model = [i for i, hit in enumerate(hits) if hit is None]
        probs, intents = (
            self.model.scored(prepared[need_model], self.settings.confidence_scale)
            if need_model
            else (np.zeros((0, len(self.model.classes))), [])
        )
        return decide(hits, probs, self.model.classes, self.floor, intents)

    def explain(self, text: str, top: int = 12) -> Explanation:
        """The classification and the n-grams that pushed the mail toward its category."""
        result = self.classify([text])[0]
        prepared = prepare([text], self.settings)
        union: ColumnTransformer = self.model.pipeline.named_steps["features"]
        estimator = self.model.pipeline.named_steps["classifier"]
        vector = union.transform(prepared).tocsr()
        names = union.get_feature_names_out()
        probs = self.model.probabilities(prepared, self.settings.confidence_scale)[0]
        scores, _ = self.model.label_scores(prepared)
        target = result.predicted if result.rule is None else result.category
        features: list[tuple[str, float]] = []
        intent: str | None = None
        if target in self.model.classes:
            members = self.model._members[self.model.classes.index(target)]
            best = int(members[np.argmax(scores[0, members])])
            label = self.model.labels[best]
            intent = label.split("/", 1)[1] if "/" in label else None
            coef = np.asarray(estimator.coef_)
            # A two-label model has one row of weights, pointing toward the second label.
            row = coef[best] if coef.shape[0] > 1 else (coef[0] if best == 1 else -coef[0])
            weights = vector.data * row[vector.indices]
            for i in np.argsort(weights)[::-1][:top]:
                if weights[i] > 0:
                    features.append((str(names[vector.indices[i]]), round(float(weights[i]), 4)))
        ranked = sorted(zip(self.model.classes, (float(p) for p in probs), strict=True), key=lambda t: -t[1])
        return Explanation(result, tuple(features), tuple((c, round(p, 4)) for c, p in ranked), intent)


def load_classifier(
    assets: Assets, model_path: Path, train_if_stale: bool = False, reading: ModelRead | None = None
) -> Classifier:
    """The classifier for these assets: the stored model, or (if allowed) one trained now."""
    settings = settings_of(assets)
    expected = expected_meta(assets, settings)
    try:
        model = load_model(model_path, expected, reading)
    except ConfigError:
        if not train_if_stale:
            raise
        model = train(assets, settings)
    return Classifier(assets, settings, model)


def train_classifier(assets: Assets) -> Classifier:
    """A classifier trained now, in memory, from these assets (evaluation, comparison)."""
    settings = settings_of(assets)
    return Classifier(assets, settings, train(assets, settings))
