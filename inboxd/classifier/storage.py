"""A trained model on disk: stored with skops (no pickle), refused when stale or untrusted.

A model is stored together with the fingerprint of the examples and settings it came
from (`expected_meta`); a model that does not match the current assets is refused
rather than silently used. What is stored is the plain `Model`: arrays, strings and
numbers, its vocabularies packed as arrays (skops writes a dict entry by entry). A stored
model is read and audited in a short-lived child process, which hands back only those
parts (`model_child`): the daemon never imports scikit-learn to score a mail.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import gc
from importlib.metadata import version
from pathlib import Path
from typing import Any

import numpy as np

from inboxd.assets import Assets
from inboxd.classifier.features import ANALYZERS, NORMS, Terms
from inboxd.classifier.model import Classifier, Model
from inboxd.classifier.settings import ModelSettings, settings_of
from inboxd.errors import ConfigError, Problem
from inboxd.model_child import ModelRead

FORMAT_VERSION = 4  # 3: vocabularies as arrays beside the pipeline; 4: plain arrays, no pipeline (`save_model`)


def expected_meta(assets: Assets, settings: ModelSettings) -> dict[str, Any]:
    return {
        "format": FORMAT_VERSION,
        "sklearn_version": version("scikit-learn"),  # read without importing it
        "assets_fingerprint": assets.fingerprint(),
        "settings_digest": settings.digest(),
    }


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


def _stored_terms(terms: Terms) -> dict[str, Any]:
    return {
        "name": terms.name,
        "reads": terms.reads,
        "analyzer": terms.analyzer,
        "ngram_range": list(terms.ngram_range),
        "lowercase": terms.lowercase,
        "token_pattern": terms.token_pattern,
        "binary": terms.binary,
        "sublinear_tf": terms.sublinear_tf,
        "norm": terms.norm or "",
        "idf": np.zeros(0) if terms.idf is None else terms.idf,
        "use_idf": terms.idf is not None,
        "vocabulary": _pack_vocabulary(terms.vocabulary),
    }


def _read_terms(stored: dict[str, Any]) -> Terms:
    low, high = (int(n) for n in stored["ngram_range"])
    analyzer, norm = str(stored["analyzer"]), str(stored["norm"]) or None
    if analyzer not in ANALYZERS or (norm is not None and norm not in NORMS) or not 1 <= low <= high:
        raise ValueError(f"unknown analyzer {analyzer!r}, norm {norm!r} or n-gram range {low, high}")
    vocabulary = _unpack_vocabulary(stored["vocabulary"])
    idf = np.asarray(stored["idf"], dtype=np.float64) if stored["use_idf"] else None
    if idf is not None and idf.shape != (len(vocabulary),):
        raise ValueError(f"{len(vocabulary)} terms but {idf.shape} idf values")
    return Terms(
        name=str(stored["name"]),
        reads=int(stored["reads"]),
        analyzer=analyzer,
        ngram_range=(low, high),
        lowercase=bool(stored["lowercase"]),
        token_pattern=str(stored["token_pattern"]),
        binary=bool(stored["binary"]),
        sublinear_tf=bool(stored["sublinear_tf"]),
        norm=norm,
        vocabulary=vocabulary,
        idf=idf,
    )


def save_model(model: Model, path: Path) -> None:
    """Write the model (plain arrays, strings and numbers) with skops, atomically."""
    import skops.io  # noqa: PLC0415 - see _read_stored

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    stored = {
        "labels": list(model.labels),
        "probability": model.probability or "",
        "weights": model.weights,
        "intercepts": model.intercepts,
        "terms": [_stored_terms(t) for t in model.terms],
    }
    skops.io.dump({"meta": model.meta, "model": stored}, tmp)
    tmp.replace(path)  # atomic: a crash never leaves half a model


def _read_stored(path: str) -> tuple[str, str, dict[str, Any], dict[str, Any] | None]:
    """Read and audit a stored model: (problem, detail, meta, model parts); problem "" when it was read.

    Runs in a child process (`model_child`), or here when none could be started. skops
    is imported only here and when saving: to audit a file it imports the whole of
    scikit-learn, which a daemon would then keep for its whole life. What comes back is
    numpy arrays, strings and numbers only (`_model_of` checks them).
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
    parts = stored.get("model")
    return "", "", stored.get("meta", {}), parts if isinstance(parts, dict) else None


def _model_of(parts: dict[str, Any], meta: dict[str, Any]) -> Model:
    """The `Model` of a stored model's parts; ValueError (or KeyError, TypeError) if they do not fit."""
    probability = str(parts["probability"]) or None
    weights = np.asarray(parts["weights"])
    if weights.dtype != np.float16 or weights.ndim != 2:
        raise ValueError(f"weights of {weights.dtype} in {weights.ndim} dimensions")
    terms = [_read_terms(t) for t in parts["terms"]]
    labels = [str(label) for label in parts["labels"]]
    return Model(terms, weights, np.asarray(parts["intercepts"]), labels, probability, meta)


def load_model(path: Path, expected: dict[str, Any], reading: ModelRead | None = None) -> Model:
    """Load a stored model; ConfigError if it is untrusted or does not match the assets.

    `reading`: the child process already reading `path` (`model_child`); one is started if not.
    """
    where = str(path)
    stored = (reading or ModelRead(path)).result()
    problem, detail, meta, parts = stored if stored is not None else _read_stored(str(path))
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
    if problem or parts is None:
        raise ConfigError([Problem(where, "", f"{detail or 'no model in the file'}: run `inboxd train`")])
    try:
        model = _model_of(parts, meta)
    except (AttributeError, KeyError, TypeError, ValueError, UnicodeDecodeError) as exc:
        raise ConfigError([Problem(where, "", f"damaged model ({exc!r}): run `inboxd train`")]) from exc
    _return_freed_memory()
    return model


def _return_freed_memory() -> None:
    """Give back to the system what reading the model freed.

    The pickled model from the child, or skops's own buffers when the file
    was read here; glibc keeps freed pages for later, so the daemon would hold them for
    its whole life.
    """
    gc.collect()
    with contextlib.suppress(OSError, AttributeError):  # not glibc: the pages are reused instead
        ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim(0)


def load_classifier(
    assets: Assets, model_path: Path, train_if_stale: bool = False, reading: ModelRead | None = None
) -> Classifier:
    """The classifier for these assets: the stored model, or (if allowed) one trained now."""
    # Checked without scikit-learn: the model is used only if trained with these very settings.
    settings = settings_of(assets, deep=False)
    try:
        model = load_model(model_path, expected_meta(assets, settings), reading)
    except ConfigError:
        if not train_if_stale:
            raise
        from inboxd.classifier.training import train  # noqa: PLC0415 - imports scikit-learn

        settings = settings_of(assets)
        model = train(assets, settings)
    return Classifier(assets, settings, model)
