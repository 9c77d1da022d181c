"""The live model, a candidate trained in the background, promote and roll back.

Three files side by side: the live model (`classifier.model_path`, which every running
`inboxd run` watches and reloads when it changes), the candidate (`*.candidate.npz`) and
the previous live model (`*.previous.npz`). Promote keeps the live model as the previous
one and moves the candidate in its place; roll back swaps the live and the previous model
(so a second roll back undoes the first). Each move is an atomic rename: a daemon reading
the live file sees the old model or the new one, never half of either.

A model is named by the first 12 hex digits of its file's SHA-256: the id every page shows.

"Train and compare" trains the candidate from `classifiers/` as it is now (corrections
included) in a thread, then scores the live model and the candidate on the same mail: the
operators' corrections (macro-F1, per category, confusion matrices, via `inboxd.evaluate`)
and the recent decisions whose text is kept — every one whose category would change, as
fixed or broken where an operator said what it should be.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from inboxd.assets import CORRECTIONS, Assets, Example, load_assets, read_examples
from inboxd.classifier import Classifier, load_classifier, save_model, settings_of
from inboxd.classifier.training import cross_validated, train
from inboxd.errors import ConfigError, InboxdError
from inboxd.evaluate import Comparison, Evaluation, compare, evaluate

log = logging.getLogger("inboxd.console")


@dataclass(frozen=True, slots=True)
class ModelFiles:
    live: Path

    @property
    def candidate(self) -> Path:
        return self.live.with_name(f"{self.live.stem}.candidate{self.live.suffix}")

    @property
    def previous(self) -> Path:
        return self.live.with_name(f"{self.live.stem}.previous{self.live.suffix}")


_ids: dict[Path, tuple[tuple[int, int, int], str]] = {}
_ids_lock = threading.Lock()


def model_id(path: Path) -> str | None:
    """The model's id (its file's digest, cached while the file is unchanged); None without a file."""
    try:
        st = path.stat()
    except OSError:
        return None
    stamp = (st.st_mtime_ns, st.st_size, st.st_ino)
    with _ids_lock:
        cached = _ids.get(path)
        if cached is not None and cached[0] == stamp:
            return cached[1]
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    value = digest.hexdigest()[:12]
    with _ids_lock:
        _ids[path] = (stamp, value)
    return value


def _replace_keeping(source: Path, live: Path, keep_as: Path) -> None:
    """`source` becomes `live`; the live file is kept as `keep_as` (each step an atomic rename)."""
    if live.exists():
        tmp = keep_as.with_name(keep_as.name + ".tmp")
        shutil.copy2(live, tmp)
        os.replace(tmp, keep_as)
    os.replace(source, live)


def promote(files: ModelFiles) -> str:
    """The candidate becomes the live model; the live one is kept as the previous. Returns the new id."""
    if not files.candidate.exists():
        raise InboxdError("there is no candidate model: train one first")
    _replace_keeping(files.candidate, files.live, files.previous)
    return model_id(files.live) or ""


def roll_back(files: ModelFiles) -> str:
    """The previous model becomes the live one again (the live one becomes the previous). Returns its id."""
    if not files.previous.exists():
        raise InboxdError("there is no previous model to roll back to")
    moving = files.previous.with_name(files.previous.name + ".back")
    os.replace(files.previous, moving)
    _replace_keeping(moving, files.live, files.previous)
    return model_id(files.live) or ""


class LiveModel:
    """The live classifier as the console uses it (explanations, comparisons), reloaded when its file changes.

    A missing or stale model is not fatal here: the console is where an operator fixes that.
    """

    def __init__(self, classifier_dir: Path, model_path: Path):
        self.dir = classifier_dir
        self.path = model_path
        self._lock = threading.Lock()
        self._stamp: tuple[int, int, int] | None = None
        self._classifier: Classifier | None = None
        self.problem = ""

    def _file_stamp(self) -> tuple[int, int, int] | None:
        try:
            st = self.path.stat()
        except OSError:
            return None
        return (st.st_mtime_ns, st.st_size, st.st_ino)

    def get(self) -> Classifier | None:
        with self._lock:
            stamp = self._file_stamp()
            if stamp != self._stamp or (self._classifier is None and not self.problem):
                self._stamp = stamp
                try:
                    self._classifier = load_classifier(load_assets(self.dir), self.path)
                    self.problem = ""
                except ConfigError as exc:
                    self._classifier = None
                    self.problem = "; ".join(p.reason for p in exc.problems)
            return self._classifier

    def invalidate(self) -> None:
        with self._lock:
            self._stamp = None
            self.problem = ""


@dataclass(frozen=True, slots=True)
class Changed:
    """A recent decision the candidate would decide differently."""

    row: int
    ticket: str | None
    text: str
    old: str
    new: str
    truth: str | None  # what an operator corrected it to, if anyone did

    @property
    def effect(self) -> str:
        if self.truth is None:
            return "changed"
        if self.new == self.truth:
            return "fixed"
        if self.old == self.truth:
            return "broken"
        return "still wrong"


@dataclass
class CandidateReport:
    candidate_id: str
    live_id: str | None
    examples: int
    train_seconds: float
    corrections: Comparison | None  # both models on the corrections, if there are any
    changed: tuple[Changed, ...]  # recent decisions whose category would change
    scored_recent: int
    # Asked for: k-fold cross-validation on every example, the examples without the corrections
    # (old) against with them (new), on the same folds (as `inboxd evaluate --compare`).
    cross_validated: Comparison | None = None

    def counts(self) -> dict[str, int]:
        """What would change among the recent decisions (fixed and broken where an operator said what is right)."""
        out = {"fixed": 0, "broken": 0, "changed": 0, "still wrong": 0}
        for c in self.changed:
            out[c.effect] += 1
        return out

    def correction_counts(self) -> dict[str, int]:
        """What would change among the corrections (each one's truth is known)."""
        out = {"fixed": 0, "broken": 0, "still wrong": 0}
        for ch in self.corrections.changes if self.corrections is not None else ():
            out[ch.effect] += 1
        return out


@dataclass
class Job:
    """The state of "train and compare", read by the pages while the thread works."""

    state: str = "idle"  # idle | running | done | failed
    stage: str = ""
    progress: float = 0.0
    started: float = 0.0
    finished: float = 0.0
    error: str = ""
    who: str = ""
    report: CandidateReport | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def snapshot(self) -> dict[str, Any]:
        with self.lock:
            return {
                "state": self.state,
                "stage": self.stage,
                "progress": round(self.progress, 3),
                "seconds": round((self.finished or time.time()) - self.started, 1) if self.started else 0.0,
                "error": self.error,
            }


def _score(examples: Sequence[Example], classifier: Classifier, names: Sequence[str], method: str) -> Evaluation:
    return evaluate(examples, classifier.classify([e.text for e in examples]), names, classifier.floor, method)


class Candidates:
    """Trains one candidate at a time, in a thread, and keeps the last report."""

    def __init__(self, live: LiveModel, files: ModelFiles):
        self.live = live
        self.files = files
        self.job = Job()

    def start(self, who: str, recent: Callable[[], list[dict[str, Any]]], folds: int = 0) -> bool:
        """Start training; False if a training is already running. `recent`: the kept decisions to compare on;
        `folds` > 1: also cross-validate, with and without the corrections."""
        with self.job.lock:
            if self.job.state == "running":
                return False
            self.job = Job(state="running", stage="reading the examples", started=time.time(), who=who)
        thread = threading.Thread(target=self._run, args=(self.job, recent, folds), name="candidate", daemon=True)
        thread.start()
        return True

    def _stage(self, job: Job, stage: str, progress: float) -> None:
        with job.lock:
            job.stage, job.progress = stage, progress

    def _run(self, job: Job, recent: Callable[[], list[dict[str, Any]]], folds: int) -> None:
        try:
            report = self._train_and_compare(job, recent, folds)
        except Exception as exc:  # the operator must see why, and the console must go on
            log.exception("training the candidate failed")
            with job.lock:
                job.state, job.error, job.finished = "failed", f"{type(exc).__name__}: {exc}", time.time()
            return
        with job.lock:
            job.report, job.state, job.stage, job.progress, job.finished = report, "done", "done", 1.0, time.time()

    def _train_and_compare(self, job: Job, recent: Callable[[], list[dict[str, Any]]], folds: int) -> CandidateReport:
        assets: Assets = load_assets(self.live.dir)
        settings = settings_of(assets)
        self._stage(job, f"training on {sum(1 for _ in assets.examples())} examples", 0.1)
        model = train(assets, settings)
        save_model(model, self.files.candidate)
        candidate = Classifier(assets, settings, model)
        old = self.live.get()
        self._stage(job, "scoring the corrections with both models", 0.7)
        comparison = None
        corrections = assets.root / "examples" / CORRECTIONS
        if old is not None and corrections.exists():
            examples = list(read_examples(corrections, assets.category_names))
            if examples:
                names = tuple(dict.fromkeys(assets.category_names + old.assets.category_names))
                comparison = compare(
                    _score(examples, old, names, "the live model on the corrections"),
                    _score(examples, candidate, names, "the candidate on the corrections"),
                )
        self._stage(job, "deciding recent mail with both models", 0.85)
        rows = recent()
        changed: list[Changed] = []
        if old is not None and rows:
            texts = [str(r["model_text"]) for r in rows]
            before, after = old.classify(texts), candidate.classify(texts)
            for r, text, o, n in zip(rows, texts, before, after, strict=True):
                if o.category != n.category:
                    truth = r.get("corrected_category")
                    changed.append(Changed(int(r["id"]), r.get("ticket_ref"), text, o.category, n.category, truth))
        cv = None
        if folds > 1:
            self._stage(job, f"{folds}-fold cross-validation, without and with the corrections", 0.9)
            cv = _cross_validated(assets, folds)
        return CandidateReport(
            cross_validated=cv,
            candidate_id=model_id(self.files.candidate) or "",
            live_id=model_id(self.files.live),
            examples=int(model.meta["examples"]),
            train_seconds=float(model.meta["train_seconds"]),
            corrections=comparison,
            changed=tuple(changed),
            scored_recent=len(rows),
        )


def _cross_validated(assets: Assets, folds: int) -> Comparison:
    """Every example scored by models that never saw it: trained without the corrections (old) and with them (new)."""
    without = replace(assets, example_files=tuple(p for p in assets.example_files if p.name != CORRECTIONS))
    floor, names = settings_of(assets).confidence_floor, assets.category_names
    examples, new = cross_validated(assets, folds)
    _, old = cross_validated(assets, folds, scored_by=without)
    method = f"{folds}-fold cross-validation"
    return compare(
        evaluate(examples, old, names, floor, f"{method}, without the corrections"),
        evaluate(examples, new, names, floor, f"{method}, with the corrections"),
    )
