"""The classifier's settings: `classifiers/model.toml` validated into `ModelSettings`.

Every key under [features.*] (but `reads`) is a parameter of scikit-learn's
TfidfVectorizer and every key under [estimator.params] one of the estimator: both are
checked against the estimator's own `get_params()` (and its own value validation), so a
typo is an error naming its key. `ModelSettings.digest` is what a stored model must have
been trained with; the confidence floor and a fixed scale apply when deciding and are
not part of it.
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from inboxd.assets import Assets
from inboxd.classifier.features import ANALYZERS, NORMS, REPRODUCED
from inboxd.errors import ConfigError, Problem

if TYPE_CHECKING:
    from sklearn.base import BaseEstimator

# The estimators `model.toml` may name (scikit-learn's classes: `estimator_class`).
ESTIMATORS = ("linear_svc", "logistic_regression", "sgd")
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


def estimator_class(kind: str) -> type[BaseEstimator]:
    """scikit-learn's class for an estimator kind; imports scikit-learn (training and checking only)."""
    from sklearn.linear_model import LogisticRegression, SGDClassifier  # noqa: PLC0415 - see `deep`
    from sklearn.svm import LinearSVC  # noqa: PLC0415

    classes: dict[str, type[BaseEstimator]] = {
        "linear_svc": LinearSVC,
        "logistic_regression": LogisticRegression,
        "sgd": SGDClassifier,
    }
    return classes[kind]


def _vectoriser() -> BaseEstimator:
    from sklearn.feature_extraction.text import TfidfVectorizer  # noqa: PLC0415 - see `deep`

    vectoriser: BaseEstimator = TfidfVectorizer()
    return vectoriser


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


def _check_reproduced(params: dict[str, Any], file: str, key: str, known: set[str] | None) -> list[Problem]:
    """What the daemon's own TF-IDF (`features.Terms`) cannot reproduce; `known`: the vectoriser's
    parameters, if scikit-learn was asked (a name outside them is reported as unknown already)."""
    problems = [
        Problem(file, f"{key}.{name}", f"not supported: inboxd's model reproduces {sorted(REPRODUCED)}")
        for name in sorted(set(params) - REPRODUCED)
        if known is None or name in known
    ]
    if params.get("analyzer", "word") not in ANALYZERS:
        problems.append(Problem(file, f"{key}.analyzer", f"must be one of {list(ANALYZERS)}"))
    if params.get("norm", "l2") not in NORMS:
        problems.append(Problem(file, f"{key}.norm", f"must be one of {list(NORMS)}"))
    return problems


def _number(raw: dict[str, Any], key: str, default: float) -> float | None:
    value = raw.get(key, default)
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return None
    return float(value)


def _parse_features(
    raw: Any, file: str, problems: list[Problem], deep: bool
) -> tuple[dict[str, dict[str, Any]], dict[str, str]]:
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
        known: set[str] | None = None
        if deep:
            problems += _check_params(_vectoriser(), vectoriser, file, f"features.{name}")
            known = set(_vectoriser().get_params())
        problems += _check_reproduced(vectoriser, file, f"features.{name}", known)
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


def parse_settings(
    raw: dict[str, Any], file: str, example_files: Iterable[str] | None = None, *, deep: bool = True
) -> ModelSettings:
    """Validate `model.toml`; raise ConfigError listing every problem.

    `example_files` (names in examples/) lets `example_weights` be checked against them.
    `deep`: also ask scikit-learn whether the parameters are its own and valid. It costs
    importing scikit-learn (~100 MiB of RSS); a daemon that loads a stored model skips it,
    because the model is used only if these settings are the ones it was trained with,
    and training checked them deeply.
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
    features, reads = _parse_features(raw.get("features"), file, problems, deep)
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
        if deep:
            problems += _check_params(estimator_class(str(kind))(), params, file, "estimator.params")
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


def settings_of(assets: Assets, *, deep: bool = True) -> ModelSettings:
    """The validated `model.toml` of these assets (`deep`: see `parse_settings`)."""
    return parse_settings(
        assets.model_settings, str(assets.root / "model.toml"), [p.name for p in assets.example_files], deep=deep
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
