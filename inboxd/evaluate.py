"""How good the classifier is, measured: scores, the confidence floor's effect, comparisons.

Pure: it takes labelled examples and the classifier's decisions about them (from
`classify`, which owns training and cross-validation) and computes per-category
precision, recall and F1, macro-F1, accuracy, the confusion matrix, coverage and
accuracy per confidence floor, the most confident mistakes, how honest the confidences
are (a reliability table and the expected calibration error), and — for two versions
of the assets — the mails whose category changed. `report` draws it as HTML.

Macro-F1 averages the categories that occur in the data scored: a category the data
has no example of (complaints in Banking77) cannot be measured; predicting it is
still an error, counted against the true category's recall and listed under
`predicted_outside_data`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from inboxd.assets import FALLBACK, Example
from inboxd.values import Classification

# Floors drawn in the curve; the current floor is always added.
CURVE_FLOORS = tuple(round(0.05 * i, 2) for i in range(20))
# The suggested floor is the highest whose macro-F1 stays this close to the best one:
# send as many uncertain mails to a human as costs (almost) nothing on the examples.
SUGGESTION_TOLERANCE = 0.005
WORST_SHOWN = 25
# Reliability: ten equal-width bins of confidence; the thresholds of "right how often at ≥ t".
CALIBRATION_BINS = 10
CONFIDENCE_THRESHOLDS = (0.5, 0.6, 0.7, 0.8, 0.9, 0.95)


@dataclass(frozen=True, slots=True)
class CategoryScore:
    category: str
    precision: float
    recall: float
    f1: float
    support: int


@dataclass(frozen=True, slots=True)
class FloorPoint:
    floor: float
    coverage: float  # share of mails decided by a rule or above the floor (the rest go to `other`)
    accuracy_covered: float  # accuracy among those
    precision: float  # macro precision of the final categories
    recall: float  # macro recall of the final categories
    macro_f1: float
    accuracy: float


@dataclass(frozen=True, slots=True)
class ConfidenceBin:
    """Model decisions whose confidence is in [low, high): how sure it said, how often right."""

    low: float
    high: float
    n: int
    mean_confidence: float
    accuracy: float


@dataclass(frozen=True, slots=True)
class AtConfidence:
    """Model decisions at confidence ≥ `threshold`: their share of all decisions, and how often right."""

    threshold: float
    share: float
    accuracy: float
    n: int


@dataclass(frozen=True, slots=True)
class Scored:
    example: Example
    decision: Classification

    @property
    def correct(self) -> bool:
        return self.decision.category == self.example.category


@dataclass(frozen=True, slots=True)
class Evaluation:
    method: str
    floor: float
    categories: tuple[str, ...]  # rows and columns of the confusion matrix
    per_category: tuple[CategoryScore, ...]
    macro_f1: float
    accuracy: float
    confusion: tuple[tuple[int, ...], ...]  # [truth][final category]
    at_floor: FloorPoint
    curve: tuple[FloorPoint, ...]
    suggested_floor: float
    worst: tuple[Scored, ...]  # wrong decisions, most confident first
    by_source: dict[str, tuple[float, float, int]]  # example file -> (macro-F1, accuracy, n)
    predicted_outside_data: dict[str, int]
    scored: tuple[Scored, ...]
    # The grouping cross-validation held out whole (`writer`, `source`), and the same
    # figures per group: how the model does on a writer it never saw.
    group_by: str | None = None
    by_group: dict[str, tuple[float, float, int]] = field(default_factory=dict)
    # Calibration of the model's decisions (rules excluded: they are certain by definition).
    reliability: tuple[ConfidenceBin, ...] = ()
    ece: float = 0.0
    at_confidence: tuple[AtConfidence, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "n": len(self.scored),
            "macro_f1": round(self.macro_f1, 4),
            "accuracy": round(self.accuracy, 4),
            "per_category": {
                s.category: {
                    "precision": round(s.precision, 4),
                    "recall": round(s.recall, 4),
                    "f1": round(s.f1, 4),
                    "support": s.support,
                }
                for s in self.per_category
            },
            "confusion": {
                "labels": list(self.categories),
                "matrix": [list(row) for row in self.confusion],
            },
            "floor": self.floor,
            "at_floor": _point_json(self.at_floor),
            "suggested_floor": self.suggested_floor,
            "curve": [_point_json(p) for p in self.curve],
            "by_source": {
                name: {"macro_f1": round(f1, 4), "accuracy": round(acc, 4), "n": n}
                for name, (f1, acc, n) in self.by_source.items()
            },
            "predicted_outside_data": self.predicted_outside_data,
            "calibration": {
                "expected_calibration_error": round(self.ece, 4),
                "bins": [
                    {
                        "low": b.low,
                        "high": b.high,
                        "n": b.n,
                        "mean_confidence": round(b.mean_confidence, 4),
                        "accuracy": round(b.accuracy, 4),
                    }
                    for b in self.reliability
                ],
                "at_confidence": [
                    {"threshold": a.threshold, "share": round(a.share, 4), "accuracy": round(a.accuracy, 4), "n": a.n}
                    for a in self.at_confidence
                ],
            },
            "worst": [_scored_json(s) for s in self.worst],
        } | (
            {
                "group_by": self.group_by,
                "by_group": {
                    name: {"macro_f1": round(f1, 4), "accuracy": round(acc, 4), "n": n}
                    for name, (f1, acc, n) in self.by_group.items()
                },
            }
            if self.group_by is not None
            else {}
        )


def _point_json(point: FloorPoint) -> dict[str, float]:
    return {k: round(getattr(point, k), 4) for k in FloorPoint.__slots__}


def _scored_json(s: Scored) -> dict[str, Any]:
    d = s.decision
    return {
        "text": s.example.text,
        "source": s.example.source,
        "truth": s.example.category,
        "category": d.category,
        "predicted": d.predicted,
        "confidence": d.confidence,
        "rule": d.rule,
        "runner_up": d.runner_up,
    }


def _ratio(a: float, b: float) -> float:
    return a / b if b else 0.0


def category_scores(truth: Sequence[str], final: Sequence[str], categories: Sequence[str]) -> list[CategoryScore]:
    pairs = Counter(zip(truth, final, strict=True))
    scores = []
    for c in categories:
        tp = pairs[(c, c)]
        predicted = sum(n for (_, p), n in pairs.items() if p == c)
        support = sum(n for (t, _), n in pairs.items() if t == c)
        precision, recall = _ratio(tp, predicted), _ratio(tp, support)
        scores.append(CategoryScore(c, precision, recall, _ratio(2 * precision * recall, precision + recall), support))
    return scores


def macro(scores: Sequence[CategoryScore]) -> tuple[float, float, float]:
    """Macro precision, recall and F1 over the categories that occur in the data."""
    present = [s for s in scores if s.support > 0]
    n = len(present)
    return (
        _ratio(sum(s.precision for s in present), n),
        _ratio(sum(s.recall for s in present), n),
        _ratio(sum(s.f1 for s in present), n),
    )


def at_floor(decision: Classification, floor: float) -> str:
    """The final category this decision would have under another confidence floor."""
    if decision.rule is not None or decision.confidence >= floor:
        return decision.predicted
    return FALLBACK


def floor_point(
    truth: Sequence[str], decisions: Sequence[Classification], floor: float, categories: Sequence[str]
) -> FloorPoint:
    final = [at_floor(d, floor) for d in decisions]
    covered = [d.rule is not None or d.confidence >= floor for d in decisions]
    right = [t == f for t, f in zip(truth, final, strict=True)]
    n_covered = sum(covered)
    precision, recall, f1 = macro(category_scores(truth, final, categories))
    return FloorPoint(
        floor=floor,
        coverage=_ratio(n_covered, len(decisions)),
        accuracy_covered=_ratio(sum(r for r, c in zip(right, covered, strict=True) if c), n_covered),
        precision=precision,
        recall=recall,
        macro_f1=f1,
        accuracy=_ratio(sum(right), len(right)),
    )


def calibration(
    truth: Sequence[str], decisions: Sequence[Classification]
) -> tuple[tuple[ConfidenceBin, ...], float, tuple[AtConfidence, ...]]:
    """Reliability bins, expected calibration error and accuracy at each confidence threshold.

    Over the model's decisions (a rule's are certain by definition), each judged by the
    category the model predicted, before the floor: the floor is what uses the confidence,
    so the confidence itself must be honest. ECE is the bins' |accuracy - confidence|
    weighted by their share (Naeini et al. 2015); 0 is perfectly honest.
    """
    pairs = [(d.confidence, d.predicted == t) for t, d in zip(truth, decisions, strict=True) if d.rule is None]
    bins: list[ConfidenceBin] = []
    ece = 0.0
    for k in range(CALIBRATION_BINS):
        low, high = k / CALIBRATION_BINS, (k + 1) / CALIBRATION_BINS
        inside = [(c, r) for c, r in pairs if low <= c < high or (k == CALIBRATION_BINS - 1 and c == 1.0)]
        if not inside:
            continue
        mean = sum(c for c, _ in inside) / len(inside)
        accuracy = sum(r for _, r in inside) / len(inside)
        bins.append(ConfidenceBin(round(low, 2), round(high, 2), len(inside), mean, accuracy))
        ece += len(inside) / len(pairs) * abs(accuracy - mean)
    at = []
    for threshold in CONFIDENCE_THRESHOLDS:
        above = [r for c, r in pairs if c >= threshold]
        at.append(AtConfidence(threshold, _ratio(len(above), len(pairs)), _ratio(sum(above), len(above)), len(above)))
    return tuple(bins), ece, tuple(at)


def suggest_floor(curve: Sequence[FloorPoint]) -> float:
    best = max(p.macro_f1 for p in curve)
    return max(p.floor for p in curve if p.macro_f1 >= best - SUGGESTION_TOLERANCE)


def evaluate(
    examples: Sequence[Example],
    decisions: Sequence[Classification],
    categories: Sequence[str],
    floor: float,
    method: str,
    group_by: str | None = None,
) -> Evaluation:
    """Score the decisions (made at `floor`) about these labelled examples.

    `group_by` (`writer`, `source`): also the figures of each group (`Example.group`).
    """
    if len(examples) != len(decisions):
        raise ValueError("one decision per example")
    truth = [e.category for e in examples]
    final = [d.category for d in decisions]
    names = tuple(categories)
    scores = category_scores(truth, final, names)
    _, _, macro_f1 = macro(scores)
    index = {c: i for i, c in enumerate(names)}
    matrix = [[0] * len(names) for _ in names]
    for t, f in zip(truth, final, strict=True):
        matrix[index[t]][index[f]] += 1
    floors = sorted({*CURVE_FLOORS, floor})
    curve = tuple(floor_point(truth, decisions, f, names) for f in floors)
    scored = tuple(Scored(e, d) for e, d in zip(examples, decisions, strict=True))
    worst = sorted((s for s in scored if not s.correct), key=lambda s: -s.decision.confidence)[:WORST_SHOWN]
    by_source = _by_group(scored, "source", names)
    by_group = _by_group(scored, group_by, names) if group_by is not None else {}
    present = set(truth)
    outside = Counter(f for f in final if f not in present)
    reliability, ece, at_confidence = calibration(truth, decisions)
    return Evaluation(
        method=method,
        floor=floor,
        categories=names,
        per_category=tuple(scores),
        macro_f1=macro_f1,
        accuracy=_ratio(sum(t == f for t, f in zip(truth, final, strict=True)), len(truth)),
        confusion=tuple(tuple(row) for row in matrix),
        at_floor=next(p for p in curve if p.floor == floor),
        curve=curve,
        suggested_floor=suggest_floor(curve),
        worst=tuple(worst),
        by_source=by_source,
        predicted_outside_data=dict(sorted(outside.items())),
        scored=scored,
        group_by=group_by,
        by_group=by_group,
        reliability=reliability,
        ece=ece,
        at_confidence=at_confidence,
    )


def _by_group(scored: Sequence[Scored], by: str, names: Sequence[str]) -> dict[str, tuple[float, float, int]]:
    """Macro-F1 (over the categories the group has), accuracy and size of each group."""
    groups: dict[str, list[Scored]] = {}
    for s in scored:
        groups.setdefault(s.example.group(by), []).append(s)
    figures = {}
    for name, group in sorted(groups.items()):
        truth, final = [s.example.category for s in group], [s.decision.category for s in group]
        _, _, f1 = macro(category_scores(truth, final, names))
        figures[name] = (f1, _ratio(sum(s.correct for s in group), len(group)), len(group))
    return figures


@dataclass(frozen=True, slots=True)
class Change:
    example: Example
    old: Classification
    new: Classification

    @property
    def effect(self) -> str:
        truth = self.example.category
        if self.new.category == truth:
            return "fixed"
        if self.old.category == truth:
            return "broken"
        return "still wrong"


@dataclass(frozen=True, slots=True)
class Comparison:
    old: Evaluation
    new: Evaluation
    changes: tuple[Change, ...]

    def to_json(self) -> dict[str, Any]:
        counts = Counter(c.effect for c in self.changes)
        return {
            "old": {k: v for k, v in self.old.to_json().items() if k not in ("worst", "curve")},
            "changed": len(self.changes),
            "fixed": counts["fixed"],
            "broken": counts["broken"],
            "still_wrong": counts["still wrong"],
            "changes": [
                {
                    "text": c.example.text,
                    "source": c.example.source,
                    "truth": c.example.category,
                    "old": c.old.category,
                    "new": c.new.category,
                    "old_rule": c.old.rule,
                    "new_rule": c.new.rule,
                    "effect": c.effect,
                }
                for c in self.changes
            ],
        }


def compare(old: Evaluation, new: Evaluation) -> Comparison:
    """The two versions' scores on the same data, and the mails whose category changed."""
    if [s.example for s in old.scored] != [s.example for s in new.scored]:
        raise ValueError("a comparison needs both versions scored on the same examples")
    changes = tuple(
        Change(o.example, o.decision, n.decision)
        for o, n in zip(old.scored, new.scored, strict=True)
        if o.decision.category != n.decision.category
    )
    return Comparison(old, new, changes)
