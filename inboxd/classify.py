"""Category of a mail: named rules first, then the trained model, then the confidence floor.

The only module importing scikit-learn and skops. The model is a TF-IDF union of
word and character n-grams (characters carry Chinese, which has no spaces) under a
linear classifier with probabilities, built from `classifiers/model.toml` whose
every parameter is checked against the estimator's own `get_params()`. Trained
models are stored with skops (no pickle) together with the fingerprint of the
examples and settings they came from; a model that does not match the current
assets is refused rather than silently used.
"""

from __future__ import annotations

import hashlib
import json
import time
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import sklearn
import skops.io
from sklearn.base import BaseEstimator
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression, SGDClassifier
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import FeatureUnion, Pipeline

from inboxd.assets import FALLBACK, Assets
from inboxd.errors import ConfigError, Problem
from inboxd.models import Classification

ESTIMATORS: dict[str, type[BaseEstimator]] = {
    "logistic_regression": LogisticRegression,
    "sgd": SGDClassifier,
}
_TOP_KEYS = {"confidence_floor", "max_chars", "features", "estimator"}
FORMAT_VERSION = 1


@dataclass(frozen=True, slots=True)
class ModelSettings:
    confidence_floor: float
    max_chars: int
    features: dict[str, dict[str, Any]]
    estimator_kind: str
    estimator_params: dict[str, Any]

    def digest(self) -> str:
        blob = json.dumps(
            [
                self.confidence_floor,
                self.max_chars,
                self.features,
                self.estimator_kind,
                self.estimator_params,
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


def parse_settings(raw: dict[str, Any], file: str) -> ModelSettings:
    """Validate `model.toml`; raise ConfigError listing every problem."""
    problems: list[Problem] = [Problem(file, k, "unknown key") for k in sorted(set(raw) - _TOP_KEYS)]
    floor = raw.get("confidence_floor", 0.5)
    if not isinstance(floor, (int, float)) or isinstance(floor, bool) or not 0.0 <= floor < 1.0:
        problems.append(Problem(file, "confidence_floor", "must be a number from 0 up to (not including) 1"))
        floor = 0.5
    max_chars = raw.get("max_chars", 3000)
    if not isinstance(max_chars, int) or isinstance(max_chars, bool) or max_chars < 100:
        problems.append(Problem(file, "max_chars", "must be a whole number of at least 100"))
        max_chars = 3000
    features: dict[str, dict[str, Any]] = {}
    raw_features = raw.get("features")
    if not isinstance(raw_features, dict) or not raw_features:
        problems.append(Problem(file, "features", "define at least one [features.NAME] vectoriser"))
    else:
        for name, given in raw_features.items():
            if not isinstance(given, dict):
                problems.append(Problem(file, f"features.{name}", "must be a table of TfidfVectorizer parameters"))
                continue
            # TOML has arrays, scikit-learn wants tuples (ngram_range).
            vectoriser = {k: tuple(v) if isinstance(v, list) else v for k, v in given.items()}
            problems += _check_params(TfidfVectorizer(), vectoriser, file, f"features.{name}")
            features[name] = vectoriser
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
    return ModelSettings(float(floor), max_chars, features, str(kind), params)


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


def build_pipeline(settings: ModelSettings) -> Pipeline:
    union = FeatureUnion([(name, TfidfVectorizer(**params)) for name, params in settings.features.items()])
    estimator = ESTIMATORS[settings.estimator_kind](**settings.estimator_params)
    return Pipeline([("features", union), ("classifier", estimator)])


@dataclass(frozen=True, slots=True)
class Explanation:
    classification: Classification
    features: tuple[tuple[str, float], ...]  # (feature, weight toward the category), strongest first
    probabilities: tuple[tuple[str, float], ...]


class Model:
    """A fitted pipeline with the metadata that says what it was trained from."""

    def __init__(self, pipeline: Pipeline, meta: dict[str, Any]):
        self.pipeline = pipeline
        self.meta = meta
        self.classes: tuple[str, ...] = tuple(str(c) for c in pipeline.classes_)

    def probabilities(self, texts: Sequence[str]) -> np.ndarray:
        return np.asarray(self.pipeline.predict_proba(list(texts)))


def expected_meta(assets: Assets, settings: ModelSettings) -> dict[str, Any]:
    return {
        "format": FORMAT_VERSION,
        "sklearn_version": sklearn.__version__,
        "assets_fingerprint": assets.fingerprint(),
        "settings_digest": settings.digest(),
    }


def train(assets: Assets, settings: ModelSettings) -> Model:
    examples = list(assets.examples())
    texts = [e.text[: settings.max_chars] for e in examples]
    labels = [e.category for e in examples]
    started = time.monotonic()
    pipeline = build_pipeline(settings)
    pipeline.fit(texts, labels)
    meta = expected_meta(assets, settings) | {
        "examples": len(examples),
        "trained_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "train_seconds": round(time.monotonic() - started, 2),
    }
    return Model(pipeline, meta)


def cross_validate(
    texts: Sequence[str], labels: Sequence[str], settings: ModelSettings, folds: int, seed: int = 0
) -> tuple[list[str], np.ndarray, tuple[str, ...]]:
    """Out-of-fold predictions: (predicted label, probability matrix, classes) per text."""
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    classes = tuple(sorted(set(labels)))
    probs = np.zeros((len(texts), len(classes)))
    y = np.asarray(labels)
    x = np.asarray(texts, dtype=object)
    for train_idx, test_idx in splitter.split(x, y):
        pipeline = build_pipeline(settings)
        pipeline.fit(list(x[train_idx]), list(y[train_idx]))
        fold = np.asarray(pipeline.predict_proba(list(x[test_idx])))
        for j, cls in enumerate(pipeline.classes_):
            probs[test_idx, classes.index(str(cls))] = fold[:, j]
    predicted = [classes[int(i)] for i in probs.argmax(axis=1)]
    return predicted, probs, classes


def save_model(model: Model, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    skops.io.dump({"meta": model.meta, "pipeline": model.pipeline}, tmp)
    tmp.replace(path)  # atomic: a crash never leaves half a model


def load_model(path: Path, expected: dict[str, Any]) -> Model:
    """Load a stored model; ConfigError if it is untrusted or does not match the assets."""
    where = str(path)
    try:
        untrusted = skops.io.get_untrusted_types(file=path)
    except FileNotFoundError as exc:
        raise ConfigError([Problem(where, "", "no trained model: run `inboxd train`")]) from exc
    except Exception as exc:  # a damaged zip raises several kinds
        raise ConfigError([Problem(where, "", f"not a readable skops model: {exc}")]) from exc
    if untrusted:
        raise ConfigError([Problem(where, "", f"refusing to load: it contains untrusted types {untrusted}")])
    stored = skops.io.load(path)
    meta = stored.get("meta", {}) if isinstance(stored, dict) else {}
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
    return Model(stored["pipeline"], meta)


class Classifier:
    """Rules, then model, then floor. Build with `load_classifier`."""

    def __init__(self, assets: Assets, settings: ModelSettings, model: Model):
        self.assets = assets
        self.settings = settings
        self.model = model

    @property
    def floor(self) -> float:
        return self.settings.confidence_floor

    def _rule(self, text: str) -> str | None:
        for rule in self.assets.rules:
            if rule.pattern.search(text):
                return rule.name
        return None

    def classify(self, texts: Sequence[str]) -> list[Classification]:
        """Classify a batch (one predict call for the batch: it is much cheaper per mail)."""
        clipped = [t[: self.settings.max_chars] for t in texts]
        rules = [self._rule(t) for t in clipped]
        need_model = [i for i, r in enumerate(rules) if r is None]
        probs = self.model.probabilities([clipped[i] for i in need_model]) if need_model else None
        by_rule = {r.name: r.category for r in self.assets.rules}
        out: list[Classification] = []
        row = 0
        for rule in rules:
            if rule is not None:
                out.append(Classification(by_rule[rule], 1.0, by_rule[rule], rule=rule))
                continue
            assert probs is not None
            p = probs[row]
            row += 1
            order = np.argsort(p)[::-1]
            top, second = int(order[0]), int(order[1]) if len(order) > 1 else int(order[0])
            predicted = self.model.classes[top]
            confidence = float(p[top])
            category = predicted if confidence >= self.floor else FALLBACK
            out.append(
                Classification(
                    category=category,
                    confidence=round(confidence, 4),
                    predicted=predicted,
                    runner_up=self.model.classes[second],
                    runner_up_confidence=round(float(p[second]), 4),
                )
            )
        return out

    def explain(self, text: str, top: int = 12) -> Explanation:
        """The classification and the n-grams that pushed the mail toward its category."""
        result = self.classify([text])[0]
        clipped = text[: self.settings.max_chars]
        union: FeatureUnion = self.model.pipeline.named_steps["features"]
        estimator = self.model.pipeline.named_steps["classifier"]
        vector = union.transform([clipped])
        names = union.get_feature_names_out()
        probs = self.model.probabilities([clipped])[0]
        target = result.predicted if result.rule is None else result.category
        features: list[tuple[str, float]] = []
        if hasattr(estimator, "coef_") and target in self.model.classes:
            coef = estimator.coef_
            row = coef[self.model.classes.index(target)] if coef.shape[0] > 1 else coef[0]
            indices = vector.indices
            weights = vector.data * row[indices]
            for i in np.argsort(weights)[::-1][:top]:
                if weights[i] > 0:
                    features.append((str(names[indices[i]]), round(float(weights[i]), 4)))
        ranked = sorted(zip(self.model.classes, (float(p) for p in probs), strict=True), key=lambda t: -t[1])
        return Explanation(result, tuple(features), tuple((c, round(p, 4)) for c, p in ranked))


def load_classifier(assets: Assets, model_path: Path, train_if_stale: bool = False) -> Classifier:
    """The classifier for these assets: the stored model, or (if allowed) one trained now."""
    settings = parse_settings(assets.model_settings, str(assets.root / "model.toml"))
    expected = expected_meta(assets, settings)
    try:
        model = load_model(model_path, expected)
    except ConfigError:
        if not train_if_stale:
            raise
        model = train(assets, settings)
    return Classifier(assets, settings, model)


def labels_of(classes: Iterable[str]) -> list[str]:
    return sorted(classes)
