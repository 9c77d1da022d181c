"""Examples files with a `writer` (and `language`) column: read, checked line by line, scored."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from inboxd.assets import load_assets, read_examples
from inboxd.classifier.training import _splits
from inboxd.errors import ConfigError
from tests.conftest import write_config
from tests.tiny_classifier import make_tiny_classifiers

CATS = ("account", "transaction", "deposit_withdrawal", "platform_usage", "complaint_suggestion", "other")


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def problems_of(path: Path) -> list[str]:
    with pytest.raises(ConfigError) as info:
        list(read_examples(path, CATS))
    return [str(p) for p in info.value.problems]


def test_writer_column_is_read_and_a_file_without_it_is_its_own_writer(tmp_path: Path) -> None:
    both = write(
        tmp_path / "zh_w1.csv",
        "text,category,intent,writer\n卡还没到,other,card_arrival,zh_w1\n登录不了,account,login_failed,\n",
    )
    rows = list(read_examples(both, CATS))
    assert [(e.intent, e.writer) for e in rows] == [("card_arrival", "zh_w1"), ("login_failed", "zh_w1")]
    plain = write(tmp_path / "crypto_zh.csv", "text,category\n提币没到账,deposit_withdrawal\n")
    (row,) = read_examples(plain, CATS)
    assert (row.writer, row.intent, row.label) == ("crypto_zh", "", "deposit_withdrawal")
    assert row.group("writer") == "crypto_zh" and row.group("source") == "crypto_zh.csv"


def test_optional_columns_in_any_order_language_checked_and_unused(tmp_path: Path) -> None:
    path = write(
        tmp_path / "eval.csv",
        "text,category,language,writer\nhow do I roast a chicken,other,en,eval_a\n怎么做红烧肉,other,zh,eval_b\n",
    )
    rows = list(read_examples(path, CATS))
    assert [e.writer for e in rows] == ["eval_a", "eval_b"]
    assert [e.label for e in rows] == ["other", "other"]
    swapped = write(tmp_path / "swapped.csv", "text,category,writer,intent\nlogin fails,account,w9,login_failed\n")
    (row,) = read_examples(swapped, CATS)
    assert (row.writer, row.intent) == ("w9", "login_failed")


@pytest.mark.parametrize(
    "header",
    [
        "category,text",
        "text,category,author",
        "text,category,writer,writer",
        "text",
        "text,intent,category",
    ],
)
def test_a_wrong_header_names_the_accepted_form(tmp_path: Path, header: str) -> None:
    path = write(tmp_path / "bad.csv", f"{header}\n")
    assert problems_of(path) == [
        f"{path}: line 1: the header must be: text,category[,intent][,writer][,language][,who][,when][,ticket]"
    ]


def test_bad_writer_language_and_width_are_named_by_line(tmp_path: Path) -> None:
    path = write(
        tmp_path / "bad.csv",
        "text,category,writer,language\n"
        "ok,account,w1,en\n"
        "bad writer,account,w 1,en\n"
        "bad language,account,w1,fr\n"
        "too few,account,w1\n"
        "unknown,acount,w1,zh\n",
    )
    assert problems_of(path) == [
        f"{path}: line 3: a writer is 1-64 letters, digits, '_', '.' or '-'",
        f"{path}: line 4: language must be one of ['en', 'zh']",
        f"{path}: line 5: expected 4 columns, found 3",
        f"{path}: line 6: unknown category 'acount'; known: {sorted(CATS)}",
    ]


def test_check_validates_a_writers_file_in_examples(tmp_path: Path) -> None:
    root = make_tiny_classifiers(tmp_path / "classifiers")
    write(root / "examples" / "zh_w9.csv", "text,category,intent,writer\n登录不了,account,login_failed,zh_w9\n")
    assert {e.writer for e in load_assets(root).examples()} == {"tiny_en", "tiny_zh", "zh_w9"}
    write(root / "examples" / "zh_w9.csv", "text,category,intent,writer\n登录不了,acount,login_failed,zh_w9\n")
    config = write_config(
        tmp_path / "cfg", model_path=tmp_path / "model.npz", sections={"classifier": {"dir": str(root)}}
    )
    result = subprocess.run(
        [sys.executable, "-m", "inboxd", "--config", str(config), "check", "--no-model"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    assert f"{root / 'examples' / 'zh_w9.csv'}: line 2: unknown category 'acount'" in result.stderr


def test_evaluate_data_accepts_language_and_writer_columns(tmp_path: Path) -> None:
    root = make_tiny_classifiers(tmp_path / "classifiers")
    config = write_config(
        tmp_path / "cfg", model_path=tmp_path / "model.npz", sections={"classifier": {"dir": str(root)}}
    )
    data = write(
        tmp_path / "data.csv",
        "text,category,language,writer\nmy withdrawal is stuck,deposit_withdrawal,en,eval_a\n"
        "提币一直没到账,deposit_withdrawal,zh,eval_b\n",
    )
    result = subprocess.run(
        [sys.executable, "-m", "inboxd", "--config", str(config), "evaluate", "--data", str(data), "--json"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["n"] == 2


# -- cross-validation that holds out whole writers ------------------------------------------------


def parrot_classifiers(tmp_path: Path) -> Path:
    """The tiny examples plus two writers, each with words nobody else uses.

    A model that has seen a writer's own words scores that writer's rows right; one that
    has not cannot: so these rows tell whether a writer was held out whole.
    """
    root = make_tiny_classifiers(tmp_path / "classifiers")
    rows = ["text,category,intent,writer"]
    # Chinese too: a fold holding out tiny_zh must still leave Chinese for the pinyin features.
    # Their rows differ only by the writer's word: held out, a writer looks like the other.
    for writer, word, category in (
        ("parrot", "zorblax 鹦鹉", "transaction"),
        ("magpie", "flimwort 喜鹊", "platform_usage"),
    ):
        rows += [f"{word} {n} {word},{category},nonsense,{writer}" for n in range(8)]
    write(root / "examples" / "birds.csv", "\n".join(rows) + "\n")
    return root


def test_splits_never_put_a_writer_on_both_sides(tmp_path: Path) -> None:
    examples = list(load_assets(parrot_classifiers(tmp_path)).examples())
    writers = [e.group("writer") for e in examples]
    assert set(writers) == {"tiny_en", "tiny_zh", "parrot", "magpie"}
    for folds, expected in ((0, 4), (2, 2), (3, 3)):
        splits = list(_splits(examples, folds, seed=1, group_by="writer"))
        assert len(splits) == expected
        for train_idx, test_idx in splits:
            assert not {writers[i] for i in train_idx} & {writers[i] for i in test_idx}
        assert sorted(i for _, test in splits for i in test) == list(range(len(examples)))
    by_file = list(_splits(examples, 0, seed=1, group_by="source"))
    assert len(by_file) == 3  # tiny_en.csv, tiny_zh.csv, birds.csv
    with pytest.raises(ConfigError, match="by writer needs at least 5 writers; there are 4"):
        list(_splits(examples, 5, seed=1, group_by="writer"))


def evaluate_cli(root: Path, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    config = write_config(
        tmp_path / "cfg", model_path=tmp_path / "model.npz", sections={"classifier": {"dir": str(root)}}
    )
    return subprocess.run(
        [sys.executable, "-m", "inboxd", "--config", str(config), "evaluate", *args],
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_leave_one_writer_out_gives_figures_per_writer(tmp_path: Path) -> None:
    root = parrot_classifiers(tmp_path)
    held_out = evaluate_cli(root, tmp_path, "--cv", "all", "--group-by", "writer", "--json")
    assert held_out.returncode == 0, held_out.stderr
    data = json.loads(held_out.stdout)
    assert data["group_by"] == "writer"
    assert data["method"].startswith("leave-one-writer-out cross-validation")
    assert {name: g["n"] for name, g in data["by_group"].items()} == {
        "tiny_en": 48,
        "tiny_zh": 48,
        "parrot": 8,
        "magpie": 8,
    }
    # Held out whole, a writer's own words were never seen: its rows cannot be learnt.
    assert data["by_group"]["parrot"]["accuracy"] < 0.5
    mixed = evaluate_cli(root, tmp_path, "--cv", "4", "--json")
    assert mixed.returncode == 0, mixed.stderr
    mixed_data = json.loads(mixed.stdout)
    assert "by_group" not in mixed_data
    # Folds that split the writer let the model learn its words.
    assert mixed_data["by_source"]["birds.csv"]["accuracy"] == 1.0

    text = evaluate_cli(root, tmp_path, "--cv", "2", "--group-by", "writer")
    assert text.returncode == 0, text.stderr
    assert "per writer:" in text.stdout and "parrot: macro-F1" in text.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--cv", "all"), "needs --group-by"),
        (("--cv", "1"), "'1' is not 2 to 20, or 0 / all"),
        (("--cv", "five"), "'five' is not 2 to 20, or 0 / all"),
        (("--cv", "9", "--group-by", "writer"), "needs at least 9 writers; there are 2"),
    ],
)
def test_fold_counts_that_cannot_work_are_refused(tmp_path: Path, args: tuple[str, ...], message: str) -> None:
    result = evaluate_cli(make_tiny_classifiers(tmp_path / "classifiers"), tmp_path, *args)
    assert result.returncode == 2
    assert message in result.stderr
