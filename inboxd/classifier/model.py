"""A fitted model and the classifier around it: named rules first, then the model, then the floor.

The model reads the subject and the customer's new words, clipped, with Traditional
Chinese converted to Simplified (and, for feature sets that ask for it, the pinyin of the
Chinese: see `language`), as `model_input` lays them out. Its features are a union of
TF-IDF vectorisers (word n-grams for English, character n-grams for Chinese, which has
no spaces, pinyin words for homophone typos) under a linear classifier.

Examples may carry an intent, a finer label inside their category (Banking77's 77
intents); the model then learns intents and a category scores as its best intent
(margins) or the sum of its intents (probabilities). Margins become confidences by a
softmax over the categories (`confidences`), sharpened by a scale: fixed in `model.toml`
or fitted at training and stored with the model (`training.fit_scale`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from inboxd.assets import FALLBACK, Assets
from inboxd.classifier.features import Terms
from inboxd.classifier.settings import READS, ModelSettings
from inboxd.language import pinyin, to_simplified
from inboxd.values import Classification


def model_input(texts: Sequence[str], settings: ModelSettings) -> np.ndarray:
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


@dataclass(frozen=True, slots=True)
class Explanation:
    classification: Classification
    features: tuple[tuple[str, float], ...]  # (feature, weight toward the category), strongest first
    probabilities: tuple[tuple[str, float], ...]
    intent: str | None = None  # the finer label inside the category that scored best, if any


def _category_of(label: str) -> str:
    return label.split("/", 1)[0]


# How a label's margins become probabilities, as the fitted estimator would compute them:
# None (margins, LinearSVC), "softmax" (multinomial logistic regression), "ovr_sigmoid"
# (a sigmoid per label, normalised: SGD's log loss, two-label logistic regression),
# "modified_huber" (SGD's: clipped margins, normalised).
PROBABILITIES = (None, "softmax", "ovr_sigmoid", "modified_huber")
# Features per slice of `Model.margins`: a row's features are summed a slice at a time (which
# sets the result's last bits: kept as it was).
_SLICE = 16_384
# Features per group of whole rows in a slice: 4,096 × 113 labels × 4 bytes = 1.8 MiB.
_GROUP = 4_096
# Distinct features converted to float32 at a time: their indices are 1,024 × 113 × 8 bytes = 0.9 MiB.
_CONVERTED = 1_024
# Every float16 as float32, by its bits (256 KiB): numpy converts float16 element by element
# without SIMD, and converting a batch's gathered weights cost more than multiplying them. The
# table holds numpy's own conversion, so a weight reads as the same float32 either way.
_HALF_TO_SINGLE = np.arange(1 << 16, dtype=np.uint32).astype(np.uint16).view(np.float16).astype(np.float32)


class Model:
    """A fitted linear model over TF-IDF features, as plain arrays, with the metadata that says
    what it was trained from.

    `weights` is features × labels, row-major: scoring a mail gathers the rows of its few
    hundred features, so the product costs what the mail has, not the model's size, and
    needs neither scikit-learn nor SciPy (`features`). A two-label model is stored as two
    opposite columns, so every kind of estimator reads the same way.

    The weights are float16 (in memory and on disk: 20 MB, not 41, for 112 labels × 91,547
    features), summed in float32. Measured on 5,849 of the examples against float32: no
    category or intent changed, margins moved by 4e-4 and confidences by 1.1e-4 at most
    (42 of them in the fourth decimal that `classify --json` prints).
    """

    def __init__(
        self,
        terms: Sequence[Terms],
        weights: np.ndarray,
        intercepts: np.ndarray,
        labels: Sequence[str],
        probability: str | None,
        meta: dict[str, Any],
    ):
        if probability not in PROBABILITIES:
            raise ValueError(f"unknown probability kind {probability!r}")
        width = sum(len(t.vocabulary) for t in terms)
        if weights.shape != (width, len(labels)) or intercepts.shape != (len(labels),):
            raise ValueError(
                f"weights {weights.shape} and intercepts {intercepts.shape} do not fit "
                f"{width} features and {len(labels)} labels"
            )
        self.terms = tuple(terms)
        self.weights = np.ascontiguousarray(weights, dtype=np.float16)
        self._weight_bits = self.weights.view(np.uint16)  # the same memory, indexes into _HALF_TO_SINGLE
        self.intercepts = np.asarray(intercepts, dtype=np.float32)
        self.probability = probability
        self.meta = meta
        self.labels: tuple[str, ...] = tuple(labels)
        self.classes: tuple[str, ...] = tuple(sorted({_category_of(label) for label in self.labels}))
        self._members = [
            np.array([i for i, label in enumerate(self.labels) if _category_of(label) == c]) for c in self.classes
        ]
        offsets = np.cumsum([0, *(len(t.vocabulary) for t in self.terms)])
        self._offsets = [int(o) for o in offsets[:-1]]

    def features(self, prepared: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Rows of `model_input` as TF-IDF features: row, column of `weights` and value, by row."""
        parts = [t.rows([str(text) for text in prepared[:, t.reads]]) for t in self.terms]
        rows = np.concatenate([r for r, _, _ in parts])
        columns = np.concatenate([c + offset for (_, c, _), offset in zip(parts, self._offsets, strict=True)])
        values = np.concatenate([v for _, _, v in parts])
        order = np.argsort(rows, kind="stable")
        return rows[order], columns[order], values[order]

    def margins(self, prepared: np.ndarray) -> np.ndarray:
        """Per label: the linear model's margin (float64, one row per row of `prepared`).

        The weights of a batch's features are gathered a slice at a time, and a slice's
        features × labels in groups of whole rows: a group's products and a slice's distinct
        weights are the only temporaries, ~2 MiB each whatever the batch (a whole slice at once
        took ~15 MiB at the daemon's peak). A slice's distinct features are converted to
        float32 once (a batch's mails share most of their terms: about a quarter are
        distinct), then spread to every feature that has them; the products and their sums are
        the ones `weights[c] * v` would give, summed a row of a slice at a time as before.
        """
        out = np.tile(self.intercepts.astype(np.float64), (len(prepared), 1))
        rows, columns, values = self.features(prepared)
        labels = len(self.labels)
        for start in range(0, len(rows), _SLICE):
            r, c, v = rows[start : start + _SLICE], columns[start : start + _SLICE], values[start : start + _SLICE]
            distinct, where = np.unique(c, return_inverse=True)
            table = np.empty((len(distinct), labels), dtype=np.float32)
            for at in range(0, len(distinct), _CONVERTED):  # its indices as intp: 8 bytes a weight
                np.take(
                    _HALF_TO_SINGLE, self._weight_bits[distinct[at : at + _CONVERTED]], out=table[at : at + _CONVERTED]
                )
            bounds = np.flatnonzero(np.r_[True, r[1:] != r[:-1], True])  # where each row starts, then the end
            first = 0
            while first < len(bounds) - 1:
                # As many whole rows as fit a group (at least one, however long).
                last = max(first + 1, int(np.searchsorted(bounds, bounds[first] + _GROUP, side="right")) - 1)
                a, b = int(bounds[first]), int(bounds[last])
                products = table[where[a:b]]
                products *= v[a:b, None]
                out[r[bounds[first:last]]] += np.add.reduceat(products, bounds[first:last] - a, axis=0)
                first = last
        return out

    def label_scores(self, prepared: np.ndarray) -> tuple[np.ndarray, bool]:
        """Per label (intent): probabilities if the estimator has them (True), else margins (False)."""
        margins = self.margins(prepared)
        if self.probability is None:
            return margins, False
        if self.probability == "softmax":
            z = np.exp(margins - margins.max(axis=1, keepdims=True))
            return z / z.sum(axis=1, keepdims=True), True
        if self.probability == "ovr_sigmoid":
            p = 1.0 / (1.0 + np.exp(-margins))
        else:  # modified_huber
            p = (np.clip(margins, -1.0, 1.0) + 1.0) / 2.0
        total = p.sum(axis=1, keepdims=True)
        none = total[:, 0] == 0  # every label at zero: uniform, as scikit-learn does
        p[none], total[none] = 1.0, p.shape[1]
        return p / total, True

    def feature_names(self) -> list[str]:
        """Every column's name, as scikit-learn names them: `set__term`."""
        return [f"{t.name}__{term}" for t in self.terms for term in t.names()]

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


def classifications_from(
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
        prepared = model_input(texts, self.settings)
        hits = self.rule_hits(texts, prepared)
        need_model = [i for i, hit in enumerate(hits) if hit is None]
        probs, intents = (
            self.model.scored(prepared[need_model], self.settings.confidence_scale)
            if need_model
            else (np.zeros((0, len(self.model.classes))), [])
        )
        return classifications_from(hits, probs, self.model.classes, self.floor, intents)

    def explain(self, text: str, top: int = 12) -> Explanation:
        """The classification and the n-grams that pushed the mail toward its category."""
        result = self.classify([text])[0]
        prepared = model_input([text], self.settings)
        _, columns, values = self.model.features(prepared)
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
            weights = values * self.model.weights[columns, best]
            names = self.model.feature_names()
            for i in np.argsort(weights)[::-1][:top]:
                if weights[i] > 0:
                    features.append((names[int(columns[i])], round(float(weights[i]), 4)))
        ranked = sorted(zip(self.model.classes, (float(p) for p in probs), strict=True), key=lambda t: -t[1])
        return Explanation(result, tuple(features), tuple((c, round(p, 4)) for c, p in ranked), intent)
