"""The classifier: settings checked against scikit-learn, intents, rules → model → floor,
storage that refuses stale models, explanations, and Chinese normalisation."""

from __future__ import annotations

import json
import pickle
import re
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from inboxd.assets import load_assets
from inboxd.classifier import (
    Classifier,
    expected_meta,
    load_classifier,
    load_model,
    parse_settings,
    save_model,
    settings_of,
    storage,
    training,
)
from inboxd.classifier.model import confidences, model_input
from inboxd.classifier.training import build_pipeline, cross_validated, model_of, train, train_classifier
from inboxd.errors import ConfigError
from tests.tiny_classifier import make_tiny_classifiers

GOOD: dict[str, Any] = {
    "confidence_floor": 0.4,
    "features": {"word": {"analyzer": "word"}, "py": {"reads": "pinyin", "analyzer": "word"}},
    "estimator": {"kind": "linear_svc", "params": {"C": 0.5}},
}


def problems(raw: dict[str, Any], files: list[str] | None = None) -> list[str]:
    with pytest.raises(ConfigError) as info:
        parse_settings(raw, "model.toml", files)
    return [str(p) for p in info.value.problems]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Classifier:
    return train_classifier(load_assets(make_tiny_classifiers(tmp_path_factory.mktemp("tiny"))))


def test_valid_settings_parse() -> None:
    settings = parse_settings(GOOD, "model.toml")
    assert settings.reads == {"word": "text", "py": "pinyin"}
    assert settings.estimator_kind == "linear_svc"


def test_every_settings_typo_is_named() -> None:
    raw = {
        "confidence_flor": 0.4,
        "confidence_scale": 0,
        "features": {"word": {"analyser": "word"}, "py": {"reads": "zhuyin"}},
        "estimator": {"kind": "linear_svc", "params": {"c": 1.0}},
        "example_weights": {"nope.csv": 2.0, "tiny_en.csv": -1},
    }
    found = problems(raw, ["tiny_en.csv"])
    assert "model.toml: confidence_flor: unknown key" in found
    assert any(p.startswith("model.toml: confidence_scale:") for p in found)
    assert "model.toml: features.word.analyser: unknown parameter of TfidfVectorizer" in found
    assert "model.toml: features.py.reads: must be one of ['text', 'pinyin']" in found
    assert "model.toml: estimator.params.c: unknown parameter of LinearSVC" in found
    assert any(p.startswith("model.toml: example_weights.nope.csv: no such example file") for p in found)
    assert "model.toml: example_weights.tiny_en.csv: must be a number above 0" in found


def test_invalid_parameter_value_is_an_error() -> None:
    raw = GOOD | {"estimator": {"kind": "linear_svc", "params": {"C": -1.0}}}
    assert any("estimator.params: invalid value" in p and "'C'" in p for p in problems(raw))


def test_intent_column_becomes_the_label(tmp_path: Path) -> None:
    root = make_tiny_classifiers(tmp_path)
    (root / "examples" / "intents.csv").write_text(
        "text,category,intent\ncard never arrived,other,card_arrival\nwithdrawal pending,deposit_withdrawal,\n"
    )
    examples = {e.text: e for e in load_assets(root).examples()}
    assert examples["card never arrived"].label == "other/card_arrival"
    assert examples["withdrawal pending"].label == "deposit_withdrawal"


def test_unknown_categories_listed_once_with_their_lines(tmp_path: Path) -> None:
    root = make_tiny_classifiers(tmp_path)
    (root / "examples" / "bad.csv").write_text("text,category\na,acount\nb,acount\nc,other\nd,billing\n")
    with pytest.raises(ConfigError) as info:
        load_assets(root)
    found = [str(p) for p in info.value.problems]
    assert len(found) == 2
    assert found[0].startswith(f"{root / 'examples' / 'bad.csv'}: lines 2, 3: unknown category 'acount'")
    assert found[1].startswith(f"{root / 'examples' / 'bad.csv'}: line 5: unknown category 'billing'")


def test_model_learns_both_languages_and_batches_agree(tiny: Classifier) -> None:
    texts = ["my withdrawal is still pending", "充值USDT还没有到账", "how do I set up a recurring buy?"]
    batch = tiny.classify(texts)
    assert [c.predicted for c in batch] == ["deposit_withdrawal", "deposit_withdrawal", "platform_usage"]
    assert [tiny.classify([t])[0] for t in texts] == batch
    for c in batch:
        assert 0 < c.runner_up_confidence <= c.confidence <= 1
        assert c.runner_up != c.predicted


def test_traditional_chinese_reads_as_simplified(tiny: Classifier) -> None:
    simplified, traditional = tiny.classify(["提现失败但币已经扣了", "提現失敗但幣已經扣了"])
    assert traditional == simplified


def test_rules_decide_before_the_model_in_either_script(tiny: Classifier) -> None:
    for text in ("my account was hacked, please help", "我的帳戶被盜了", "我的账户被盗了"):
        c = tiny.classify([text])[0]
        assert (c.category, c.rule, c.confidence) == ("account", "account-takeover", 1.0)


def test_below_the_floor_goes_to_other(tmp_path: Path) -> None:
    root = make_tiny_classifiers(tmp_path)
    settings = root / "model.toml"
    settings.write_text(settings.read_text().replace("confidence_floor = 0.35", "confidence_floor = 0.99"))
    classifier = train_classifier(load_assets(root))
    c = classifier.classify(["please look at this"])[0]
    assert c.confidence < 0.99
    assert c.category == "other" and c.predicted != "" and c.rule is None


def test_explanation_names_features_and_runner_up(tiny: Classifier) -> None:
    expl = tiny.explain("my withdrawal failed but the coins left my account")
    assert expl.classification.predicted == "deposit_withdrawal"
    names = [f for f, _ in expl.features]
    assert any(n.startswith("word__") and "withdrawal" in n for n in names)
    assert all(w > 0 for _, w in expl.features)
    assert [w for _, w in expl.features] == sorted((w for _, w in expl.features), reverse=True)
    assert expl.probabilities[0][0] == "deposit_withdrawal"
    assert expl.classification.runner_up == expl.probabilities[1][0]


def test_pinyin_features_explain_a_homophone_typo(tiny: Classifier) -> None:
    # 登陆 (land) typed for 登录 (log in) by a pinyin input method: same syllables.
    expl = tiny.explain("登陆不了账户")
    assert expl.classification.predicted == "account"
    assert any(f.startswith("pinyin__") for f, _ in expl.features)


def test_saved_model_loads_and_refuses_when_stale(tmp_path: Path) -> None:
    root = make_tiny_classifiers(tmp_path / "c")
    assets = load_assets(root)
    settings = settings_of(assets)
    path = tmp_path / "model.npz"
    save_model(train(assets, settings), path)
    loaded = load_model(path, expected_meta(assets, settings))
    assert loaded.classes == tuple(sorted(assets.category_names))

    # The floor applies when deciding: changing it does not make the model stale.
    toml = root / "model.toml"
    toml.write_text(toml.read_text().replace("confidence_floor = 0.35", "confidence_floor = 0.5"))
    assert load_classifier(load_assets(root), path).floor == 0.5

    toml.write_text(toml.read_text().replace("C = 0.5", "C = 0.8"))
    with pytest.raises(ConfigError, match=r"stale model \(model.toml changed since it was trained\)"):
        load_classifier(load_assets(root), path)
    with (root / "examples" / "tiny_en.csv").open("a") as handle:
        handle.write("where is my deposit,deposit_withdrawal\n")
    with pytest.raises(ConfigError, match="the examples or categories changed"):
        load_classifier(load_assets(root), path)
    retrained = load_classifier(load_assets(root), path, train_if_stale=True)
    assert retrained.model.meta["examples"] == 97


def test_a_saved_model_decides_exactly_as_the_trained_one(tmp_path: Path) -> None:
    assets = load_assets(make_tiny_classifiers(tmp_path / "c"))
    settings = settings_of(assets)
    trained = train(assets, settings)
    path = tmp_path / "model.npz"
    save_model(trained, path)
    loaded = load_model(path, expected_meta(assets, settings))
    for stored, fitted in zip(loaded.terms, trained.terms, strict=True):
        assert stored == fitted and stored.vocabulary == fitted.vocabulary
        assert stored.idf is not None and fitted.idf is not None and np.array_equal(stored.idf, fitted.idf)
    assert np.array_equal(loaded.weights, trained.weights) and loaded.labels == trained.labels
    texts = ["我的提现一直没到账", "cannot log in after password reset", "充值 USDT 没有到账 txid abc", ""]
    prepared = model_input(texts, settings)
    assert np.array_equal(loaded.probabilities(prepared, 4.0), trained.probabilities(prepared, 4.0))
    # Saving set the vocabularies aside only while writing: the trained model still works.
    assert trained.probabilities(prepared, 4.0).shape == (len(texts), len(trained.classes))


def test_a_model_without_its_vocabularies_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assets = load_assets(make_tiny_classifiers(tmp_path / "c"))
    settings = settings_of(assets)
    path = tmp_path / "model.npz"

    terms_arrays = storage._terms_arrays
    empty = {"utf8": np.zeros(0, np.uint8), "ends": np.zeros(0, np.int64)}
    monkeypatch.setattr(
        storage,
        "_terms_arrays",
        lambda i, terms: terms_arrays(i, terms) | {f"terms{i}.{k}": a for k, a in empty.items()},
    )
    save_model(train(assets, settings), path)
    with pytest.raises(ConfigError, match="damaged model"):
        load_model(path, expected_meta(assets, settings))


def test_a_model_is_read_in_this_process_without_scikit_learn(tmp_path: Path) -> None:
    """scikit-learn and SciPy cost a process ~100 MiB that the daemon would keep, and it reads
    a model and scores mail without either."""
    root = make_tiny_classifiers(tmp_path / "c")
    assets = load_assets(root)
    save_model(train(assets, settings_of(assets)), tmp_path / "model.npz")
    code = (
        "import sys; from pathlib import Path; from inboxd.assets import load_assets; "
        "from inboxd.classifier import load_classifier; "
        f"c = load_classifier(load_assets(Path({str(root)!r})), Path({str(tmp_path / 'model.npz')!r})); "
        "c.classify(['my withdrawal is pending']); "
        "print(len(c.model.classes), sorted(m for m in sys.modules if m.startswith(('skops', 'sklearn', 'scipy'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == [str(len(assets.category_names)), "[]"]


def test_a_damaged_or_missing_model_is_a_clear_error(tmp_path: Path) -> None:
    assets = load_assets(make_tiny_classifiers(tmp_path / "c"))
    with pytest.raises(ConfigError, match="no trained model: run `inboxd train`"):
        load_classifier(assets, tmp_path / "missing.npz")
    for name, content in [("bad.npz", b"PK\x03\x04 not a zip"), ("empty.npz", b""), ("text.npz", b"weights\n")]:
        (tmp_path / name).write_bytes(content)
        with pytest.raises(ConfigError, match=rf"{tmp_path / name}: not a readable model \(not an .npz file"):
            load_classifier(assets, tmp_path / name)
    np.save(tmp_path / "one.npy", np.zeros(3))
    with pytest.raises(ConfigError, match=r"not a readable model \(a single array"):
        load_classifier(assets, tmp_path / "one.npy")


class _Payload:
    """Pickled, it would create a file when unpickled: a model file must never run code."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self) -> tuple[Any, ...]:
        return (Path.touch, (self.marker,))


@pytest.fixture(scope="module")
def stored(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, dict[str, Any], dict[str, np.ndarray]]:
    """The tiny assets, their expected meta and the members of a model saved from them."""
    root = tmp_path_factory.mktemp("stored")
    assets = load_assets(make_tiny_classifiers(root / "c"))
    settings = settings_of(assets)
    save_model(train(assets, settings), root / "model.npz")
    with np.load(root / "model.npz", allow_pickle=False) as npz:
        members = {name: npz[name] for name in npz.files}
    return assets, expected_meta(assets, settings), members


def _header(members: dict[str, np.ndarray]) -> dict[str, Any]:
    header: dict[str, Any] = json.loads(members["header"].tobytes())
    return header


def _with_header(members: dict[str, np.ndarray], header: dict[str, Any]) -> dict[str, np.ndarray]:
    return members | {"header": np.frombuffer(json.dumps(header).encode(), np.uint8)}


def test_a_model_file_with_pickled_objects_is_refused_and_never_run(
    tmp_path: Path, stored: tuple[Any, dict[str, Any], dict[str, np.ndarray]]
) -> None:
    _, expected, members = stored
    marker = tmp_path / "ran"
    path = tmp_path / "model.npz"
    # An object array: numpy can store it only as a pickle.
    with path.open("wb") as handle:
        np.savez(handle, **(members | {"weights": np.array([_Payload(marker)], dtype=object)}))
    with pytest.raises(ConfigError, match=rf"{path}: not a readable model \(member 'weights': Object arrays cannot"):
        load_model(path, expected)
    # A pickle in place of a member's .npy file.
    raw = pickle.dumps(_Payload(marker))
    with zipfile.ZipFile(path, "w") as archive:
        for name, array in members.items():
            if name == "weights":
                archive.writestr("weights.npy", raw)
            else:
                with archive.open(f"{name}.npy", "w") as member:
                    np.lib.format.write_array(member, array, allow_pickle=False)
    with pytest.raises(ConfigError, match=r"not a readable model \(member 'weights' is not a .npy array"):
        load_model(path, expected)
    # A whole file that is a pickle.
    path.write_bytes(raw)
    with pytest.raises(ConfigError, match=r"not a readable model \(not an .npz file: .*pickle"):
        load_model(path, expected)
    assert not marker.exists()


@pytest.mark.parametrize(
    ("change", "error"),
    [
        (lambda m: {k: a for k, a in m.items() if k != "weights"}, "KeyError('weights')"),
        (lambda m: {k: a for k, a in m.items() if k != "terms0.idf"}, "KeyError('terms0.idf')"),
        (lambda m: m | {"weights": m["weights"].astype(np.float32)}, "weights is float32 in 2 dimensions"),
        (lambda m: m | {"weights": m["weights"][:-1]}, "do not fit"),
        (lambda m: m | {"intercepts": m["intercepts"][None, :]}, "intercepts is float32 in 2 dimensions"),
        (lambda m: m | {"terms0.ends": m["terms0.ends"][:-1]}, "term ends that do not fit"),
        (lambda m: m | {"terms0.ends": m["terms0.ends"].astype(np.int32)}, "terms0.ends is int32"),
        (lambda m: m | {"terms0.idf": m["terms0.idf"][:-1]}, "idf values"),
        (lambda m: _with_header(m, _header(m) | {"model": []}), "not a JSON object"),
        (lambda m: _with_header(m, {**_header(m), "model": {**_header(m)["model"], "labels": [1]}}), "labels"),
        (
            lambda m: _with_header(
                m,
                {
                    **_header(m),
                    "model": {**_header(m)["model"], "terms": [{**_header(m)["model"]["terms"][0], "binary": "no"}]},
                },
            ),
            "binary is str, not bool",
        ),
        (
            lambda m: _with_header(
                m,
                {
                    **_header(m),
                    "model": {**_header(m)["model"], "terms": [{**_header(m)["model"]["terms"][0], "reads": 2}]},
                },
            ),
            "reads column 2 of 2",
        ),
    ],
)
def test_a_model_with_a_missing_or_misshapen_member_is_refused(
    tmp_path: Path,
    stored: tuple[Any, dict[str, Any], dict[str, np.ndarray]],
    change: Callable[[dict[str, np.ndarray]], dict[str, np.ndarray]],
    error: str,
) -> None:
    _, expected, members = stored
    path = tmp_path / "model.npz"
    with path.open("wb") as handle:
        np.savez(handle, **change(dict(members)))
    with pytest.raises(ConfigError, match=rf"{path}: damaged model \(.*{re.escape(error)}.*\): run `inboxd train`"):
        load_model(path, expected)


def test_a_truncated_or_unheaded_model_is_unreadable(
    tmp_path: Path, stored: tuple[Any, dict[str, Any], dict[str, np.ndarray]]
) -> None:
    _, expected, members = stored
    path = tmp_path / "model.npz"
    with path.open("wb") as handle:
        np.savez(handle, **members)
    whole = path.read_bytes()
    assert load_model(path, expected).meta == expected | load_model(path, expected).meta
    path.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(ConfigError, match=rf"{path}: not a readable model \(not an .npz file"):
        load_model(path, expected)
    for header, error in [(b"{not json", "header: "), (b"[" * 100_000, "header: "), (b"[]", "a header without meta")]:
        with path.open("wb") as handle:
            np.savez(handle, **(members | {"header": np.frombuffer(header, np.uint8)}))
        with pytest.raises(ConfigError, match=f"not a readable model \\({re.escape(error)}"):
            load_model(path, expected)
    with path.open("wb") as handle:
        np.savez(handle, **{k: a for k, a in members.items() if k != "header"})
    with pytest.raises(ConfigError, match=r"not a readable model \(no 'header' member"):
        load_model(path, expected)
    with path.open("wb") as handle:
        np.savez_compressed(handle, **members)
    with pytest.raises(ConfigError, match=r"not a readable model \(compressed members"):
        load_model(path, expected)


def test_a_model_of_the_skops_format_is_stale(
    tmp_path: Path, stored: tuple[Any, dict[str, Any], dict[str, np.ndarray]]
) -> None:
    """A model stored by inboxd before format 5 (a skops zip) asks to be trained again."""
    _, expected, _ = stored
    path = tmp_path / "model.npz"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("schema.json", '{"__class__": "dict"}')
    with pytest.raises(
        ConfigError, match=r"stale model \(stored by a different inboxd model format\): run `inboxd train`"
    ):
        load_model(path, expected)


def test_cross_validation_scores_every_example_with_a_model_that_never_saw_it(tmp_path: Path) -> None:
    assets = load_assets(make_tiny_classifiers(tmp_path))
    examples, decisions = cross_validated(assets, folds=4)
    assert len(examples) == len(decisions) == 96
    assert {e.category for e in examples} == set(assets.category_names)
    assert any(d.rule == "account-takeover" for d in decisions)
    right = sum(d.category == e.category for e, d in zip(examples, decisions, strict=True))
    assert right > 40  # far above chance (1 in 6) even with 70 training texts per fold
    with pytest.raises(ConfigError, match="needs at least 20 examples per category"):
        cross_validated(assets, folds=20)


def test_fit_scale_recovers_the_temperature_that_made_the_labels() -> None:
    rng = np.random.default_rng(7)
    scores = rng.normal(size=(4000, 5))
    probs = confidences(scores, False, 3.0)
    truth = np.array([rng.choice(5, p=p) for p in probs])
    assert training.fit_scale(scores, truth, False) == pytest.approx(3.0, rel=0.1)
    # Overconfident margins (labels drawn from a flatter distribution) get a smaller scale.
    flat = confidences(scores, False, 0.5)
    truth_flat = np.array([rng.choice(5, p=p) for p in flat])
    assert training.fit_scale(scores, truth_flat, False) == pytest.approx(0.5, rel=0.2)


def test_a_fitted_scale_is_stored_with_the_model_and_used(tmp_path: Path) -> None:
    assets = load_assets(make_tiny_classifiers(tmp_path / "c"))
    settings = settings_of(assets)
    assert settings.confidence_scale is None  # the repo's model.toml says "fitted"
    model = train(assets, settings)
    scale = model.fitted_scale
    assert scale is not None and 0.1 <= scale <= 100.0
    assert "writers" in model.meta["calibration"]
    prepared = model_input(["我的提币一直没到账", "how do I reset my password"], settings)
    assert np.allclose(model.probabilities(prepared, None), model.probabilities(prepared, scale))
    path = tmp_path / "model.npz"
    save_model(model, path)
    loaded = load_model(path, expected_meta(assets, settings))
    assert loaded.fitted_scale == scale


def test_the_scale_is_fitted_or_a_number() -> None:
    assert parse_settings({**GOOD, "confidence_scale": "fitted"}, "model.toml").confidence_scale is None
    assert parse_settings({**GOOD, "confidence_scale": 2.5}, "model.toml").confidence_scale == 2.5
    assert any("confidence_scale" in p and "fitted" in p for p in problems({**GOOD, "confidence_scale": "auto"}))
    assert any("calibration_folds" in p for p in problems({**GOOD, "calibration_folds": 1}))


def test_calibration_folds_hold_out_writers_and_deal_out_a_big_one() -> None:
    from inboxd.assets import Example

    examples = [Example(f"b{i}", "other", "banking.csv:1", writer="banking") for i in range(90)] + [
        Example(f"w{i}", "account", "w.csv:1", writer=f"w{i % 3}") for i in range(30)
    ]
    groups = training._calibration_groups(examples, 3)
    assert {g for g in groups if g.startswith("banking#")} == {"banking#0", "banking#1", "banking#2"}
    assert set(groups[90:]) == {"w0", "w1", "w2"}  # small writers are held out whole


TEXTS = [
    "my withdrawal is still pending",
    "充值USDT还没有到账，请帮忙查一下 txid abc123",
    "How   do I reset\tmy password?? PASSWORD reset",
    "登陆不了账户",
    "a",
    "",
    "Überweisung — café naïve 提現失敗",
]


@pytest.mark.parametrize(
    ("features", "estimator"),
    [
        ({}, {"kind": "linear_svc", "params": {"C": 0.5}}),
        ({}, {"kind": "logistic_regression", "params": {"C": 5.0, "max_iter": 500}}),
        ({}, {"kind": "sgd", "params": {"loss": "log_loss", "random_state": 0}}),
        ({}, {"kind": "sgd", "params": {"loss": "modified_huber", "random_state": 0}}),
        (
            {
                "char": {"analyzer": "char", "ngram_range": [2, 3], "binary": True, "norm": "l1"},
                "word": {"analyzer": "word", "ngram_range": [2, 3], "use_idf": False, "lowercase": False},
            },
            {"kind": "linear_svc"},
        ),
    ],
)
def test_the_plain_model_scores_as_the_fitted_pipeline(
    tmp_path: Path, features: dict[str, Any], estimator: dict[str, Any]
) -> None:
    """The daemon scores with `features.Terms` and an array of weights, not with scikit-learn."""
    assets = load_assets(make_tiny_classifiers(tmp_path))
    settings = settings_of(assets)
    if features or estimator:
        raw = dict(assets.model_settings)
        raw["features"] = {**raw["features"], **features}
        raw["estimator"] = estimator
        settings = parse_settings(raw, "model.toml")
    examples = list(assets.examples())
    prepared = model_input([e.text for e in examples] + TEXTS, settings)
    pipeline = build_pipeline(settings).fit(
        model_input([e.text for e in examples], settings), [e.label for e in examples]
    )
    model = model_of(pipeline, settings, {})
    scores, are_probabilities = model.label_scores(prepared)
    expected = pipeline.predict_proba(prepared) if are_probabilities else pipeline.decision_function(prepared)
    assert are_probabilities == (estimator["kind"] != "linear_svc")
    # The plain model's weights are float16 (`model.Model`): the same winner, scores within 1e-3.
    assert np.allclose(scores, expected, atol=1e-3)
    assert np.array_equal(scores.argmax(axis=1), expected.argmax(axis=1))


def test_a_two_label_model_scores_both_labels(tmp_path: Path) -> None:
    assets = load_assets(make_tiny_classifiers(tmp_path))
    settings = settings_of(assets)
    examples = [e for e in assets.examples() if e.category in ("account", "deposit_withdrawal")]
    prepared = model_input([e.text for e in examples], settings)
    pipeline = build_pipeline(settings).fit(prepared, [e.category for e in examples])
    margins, _ = model_of(pipeline, settings, {}).label_scores(prepared)
    expected = pipeline.decision_function(prepared)
    assert np.allclose(margins, np.column_stack([-expected, expected]), atol=1e-3)


def test_vectoriser_settings_the_plain_model_cannot_reproduce_are_refused() -> None:
    raw = GOOD | {"features": {"word": {"analyzer": "word", "stop_words": "english", "norm": "max"}}}
    found = problems(raw)
    assert any(p.startswith("model.toml: features.word.stop_words: not supported") for p in found)
    # Without scikit-learn (a daemon loading its model) the same keys are refused.
    with pytest.raises(ConfigError, match="stop_words: not supported"):
        parse_settings(raw, "model.toml", deep=False)
