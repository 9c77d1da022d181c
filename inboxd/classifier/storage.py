"""A trained model on disk: a numpy .npz of plain arrays (no pickle), refused when stale or damaged.

A model is stored together with the fingerprint of the examples and settings it came
from (`expected_meta`); a model that does not match the current assets is refused
rather than silently used. What is stored is the plain `Model`: its arrays as named
members of an uncompressed .npz (`np.savez`), its vocabularies packed as arrays, and its
metadata and small settings as one JSON document stored as bytes (`HEADER`). It is read
with `allow_pickle=False`, so a model file can never run code, and every member is
checked for its dtype and shape before it is used. Reading needs numpy only: the daemon
never imports scikit-learn to load or score a model.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import gc
import json
import zipfile
from importlib.metadata import version
from pathlib import Path
from typing import Any

import numpy as np

from inboxd.assets import Assets
from inboxd.classifier.features import ANALYZERS, NORMS, Terms
from inboxd.classifier.model import Classifier, Model
from inboxd.classifier.settings import READS, ModelSettings, settings_of
from inboxd.classifier.vocabulary import Vocabulary
from inboxd.errors import ConfigError, Problem

# 3: vocabularies as arrays beside the pipeline; 4: plain arrays, no pipeline; 5: .npz, not skops
FORMAT_VERSION = 5
HEADER = "header"  # the member holding the JSON document: {"meta": ..., "model": ...}


def expected_meta(assets: Assets, settings: ModelSettings) -> dict[str, Any]:
    return {
        "format": FORMAT_VERSION,
        "sklearn_version": version("scikit-learn"),  # read without importing it
        "assets_fingerprint": assets.fingerprint(),
        "settings_digest": settings.digest(),
    }


def _terms_settings(terms: Terms) -> dict[str, Any]:
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
        "use_idf": terms.idf is not None,
    }


def _terms_arrays(i: int, terms: Terms) -> dict[str, np.ndarray]:
    # The vocabulary as it is kept in memory (`Vocabulary`): ~150,000 terms as two arrays, not a
    # dict (which skops, the format before 5, wrote entry by entry as a 34 MB JSON schema).
    # Bytes and offsets (not a fixed-width string array, which would drop a trailing NUL) give
    # back every term exactly.
    arrays = {f"terms{i}.utf8": terms.vocabulary.utf8, f"terms{i}.ends": terms.vocabulary.ends}
    if terms.idf is not None:
        arrays[f"terms{i}.idf"] = np.asarray(terms.idf, dtype=np.float64)
    return arrays


def _field(stored: dict[str, Any], key: str, kind: type) -> Any:
    """`stored[key]`, which must be a `kind` (JSON gives bool where int is asked: refused)."""
    value = stored[key]
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise TypeError(f"{key} is {type(value).__name__}, not {kind.__name__}")
    return value


def _array(arrays: dict[str, np.ndarray], name: str, dtype: type, ndim: int) -> np.ndarray:
    """The member `name`, which must be an array of exactly this dtype and number of dimensions."""
    array = arrays[name]
    if array.dtype != dtype or array.ndim != ndim:
        raise ValueError(f"{name} is {array.dtype} in {array.ndim} dimensions, not {np.dtype(dtype)} in {ndim}")
    return array


def _read_terms(i: int, stored: Any, arrays: dict[str, np.ndarray]) -> Terms:
    if not isinstance(stored, dict):
        raise TypeError(f"feature set {i} is not a JSON object")
    ngram_range = _field(stored, "ngram_range", list)
    low, high = (n if isinstance(n, int) and not isinstance(n, bool) else -1 for n in ngram_range)
    analyzer, norm = _field(stored, "analyzer", str), _field(stored, "norm", str) or None
    if analyzer not in ANALYZERS or (norm is not None and norm not in NORMS) or not 1 <= low <= high:
        raise ValueError(f"unknown analyzer {analyzer!r}, norm {norm!r} or n-gram range {ngram_range}")
    reads = _field(stored, "reads", int)
    if not 0 <= reads < len(READS):  # a column of `model_input`: out of range, every mail would fail
        raise ValueError(f"reads column {reads} of {len(READS)}")
    vocabulary = Vocabulary(
        _array(arrays, f"terms{i}.utf8", np.uint8, 1), _array(arrays, f"terms{i}.ends", np.int64, 1)
    )
    idf = _array(arrays, f"terms{i}.idf", np.float64, 1) if _field(stored, "use_idf", bool) else None
    if idf is not None and idf.shape != (len(vocabulary),):
        raise ValueError(f"{len(vocabulary)} terms but {idf.shape} idf values")
    return Terms(
        name=_field(stored, "name", str),
        reads=reads,
        analyzer=analyzer,
        ngram_range=(low, high),
        lowercase=_field(stored, "lowercase", bool),
        token_pattern=_field(stored, "token_pattern", str),
        binary=_field(stored, "binary", bool),
        sublinear_tf=_field(stored, "sublinear_tf", bool),
        norm=norm,
        vocabulary=vocabulary,
        idf=idf,
    )


def save_model(model: Model, path: Path) -> None:
    """Write the model as an uncompressed .npz of plain arrays (never a pickle), atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    header = {
        "meta": model.meta,
        "model": {
            "labels": list(model.labels),
            "probability": model.probability or "",
            "terms": [_terms_settings(t) for t in model.terms],
        },
    }
    arrays: dict[str, np.ndarray] = {"weights": model.weights, "intercepts": model.intercepts}
    for i, terms in enumerate(model.terms):
        arrays |= _terms_arrays(i, terms)
    arrays[HEADER] = np.frombuffer(json.dumps(header, allow_nan=False).encode("utf-8"), dtype=np.uint8)
    # A file object, not a name: np.savez would add ".npz" to a name that lacks it.
    with tmp.open("wb") as handle:
        np.savez(handle, allow_pickle=False, **arrays)  # an array of Python objects: ValueError
    tmp.replace(path)  # atomic: a crash never leaves half a model


class _Unreadable(Exception):
    """A model file that is not an .npz of inboxd's (or has a member numpy would need pickle for)."""


class _OtherFormat(_Unreadable):
    """A model file of an older inboxd format (skops, before format 5)."""


def _read_file(path: Path) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """The header (meta and model settings) and the arrays of a stored model.

    FileNotFoundError if there is none; _Unreadable if it is not an .npz of plain arrays
    with a header. `allow_pickle=False`: numpy refuses an array of Python objects, which it
    could only unpickle; a member that is not a .npy file is refused here.
    """
    with path.open("rb") as handle:
        try:
            npz = np.load(handle, allow_pickle=False)
        except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
            raise _Unreadable(f"not an .npz file: {exc}") from exc
        if not isinstance(npz, np.lib.npyio.NpzFile):
            raise _Unreadable("a single array, not an .npz file")
        with npz:
            assert npz.zip is not None  # open until the with ends
            names = npz.zip.namelist()
            if HEADER + ".npy" not in names:
                if "schema.json" in names:
                    raise _OtherFormat("skops")
                raise _Unreadable(f"no {HEADER!r} member")
            # Stored members only: reading one is then bounded by the file's size (no zip bomb).
            if any(info.compress_type != zipfile.ZIP_STORED for info in npz.zip.infolist()):
                raise _Unreadable("compressed members")
            arrays: dict[str, np.ndarray] = {}
            try:
                for name in npz.files:
                    member = npz[name]
                    if not isinstance(member, np.ndarray):  # numpy hands back the bytes of a non-.npy member
                        raise _Unreadable(f"member {name!r} is not a .npy array")
                    arrays[name] = member
            except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
                raise _Unreadable(f"member {name!r}: {exc}") from exc
    try:
        header = json.loads(_array(arrays, HEADER, np.uint8, 1).tobytes().decode("utf-8"))
    except (ValueError, RecursionError) as exc:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise _Unreadable(f"header: {exc}") from exc
    if not isinstance(header, dict) or not isinstance(header.get("meta"), dict):
        raise _Unreadable("a header without meta")
    return header, arrays


def _model_of(stored: Any, arrays: dict[str, np.ndarray], meta: dict[str, Any]) -> Model:
    """The `Model` of the header's settings and the arrays; ValueError (or KeyError, TypeError) if they do not fit."""
    if not isinstance(stored, dict):
        raise TypeError("model settings that are not a JSON object")
    terms = [_read_terms(i, t, arrays) for i, t in enumerate(_field(stored, "terms", list))]
    labels = _field(stored, "labels", list)
    if not all(isinstance(label, str) for label in labels):
        raise TypeError("labels that are not all strings")
    weights = _array(arrays, "weights", np.float16, 2)
    intercepts = _array(arrays, "intercepts", np.float32, 1)
    return Model(terms, weights, intercepts, labels, _field(stored, "probability", str) or None, meta)


def load_model(path: Path, expected: dict[str, Any]) -> Model:
    """Load a stored model; ConfigError if it is missing, damaged or does not match the assets."""
    where = str(path)
    try:
        header, arrays = _read_file(path)
    except FileNotFoundError:
        raise ConfigError([Problem(where, "", "no trained model: run `inboxd train`")]) from None
    except _OtherFormat:
        header, arrays = {"meta": {}}, {}  # stale by its format: said below
    except (_Unreadable, OSError) as exc:
        raise ConfigError([Problem(where, "", f"not a readable model ({exc}): run `inboxd train`")]) from exc
    meta = header["meta"]
    differing = [k for k, v in expected.items() if meta.get(k) != v]
    if "format" in differing:
        differing = ["format"]  # the rest of an older format's meta is not there to compare
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
    try:
        model = _model_of(header.get("model"), arrays, meta)
    except (KeyError, TypeError, ValueError, UnicodeDecodeError) as exc:
        raise ConfigError([Problem(where, "", f"damaged model ({exc!r}): run `inboxd train`")]) from exc
    del arrays, header
    _return_freed_memory()
    return model


def _return_freed_memory() -> None:
    """Give back to the system what reading the model freed.

    The zip's and numpy's read buffers and the vocabularies' packed bytes; glibc keeps
    freed pages for later, so the daemon would hold them for its whole life.
    """
    gc.collect()
    with contextlib.suppress(OSError, AttributeError):  # not glibc: the pages are reused instead
        ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim(0)


def load_classifier(assets: Assets, model_path: Path, train_if_stale: bool = False) -> Classifier:
    """The classifier for these assets: the stored model, or (if allowed) one trained now."""
    # Checked without scikit-learn: the model is used only if trained with these very settings.
    settings = settings_of(assets, deep=False)
    try:
        model = load_model(model_path, expected_meta(assets, settings))
    except ConfigError:
        if not train_if_stale:
            raise
        from inboxd.classifier.training import train  # noqa: PLC0415 - imports scikit-learn

        settings = settings_of(assets)
        model = train(assets, settings)
    return Classifier(assets, settings, model)
