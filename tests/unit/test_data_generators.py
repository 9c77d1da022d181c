"""The generators of the benchmark data sets reproduce the committed files byte for byte.

The extraction corpus (benchmarks/data/extraction, made by its `gen` package from the scenario
texts in gen/data/*.toml) and the own phishing-report set (benchmarks/data/phishing/own) are
committed together with their generators; a change to either that alters the output shows here.
"""

from __future__ import annotations

import filecmp
import importlib
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT

EXTRACTION = ROOT / "benchmarks" / "data" / "extraction"
PHISHING = ROOT / "benchmarks" / "data" / "phishing" / "own"


def _same_files(expected: Path, actual: Path, pattern: str) -> None:
    names = sorted(p.name for p in expected.glob(pattern))
    assert names and names == sorted(p.name for p in actual.glob(pattern))
    _, mismatch, errors = filecmp.cmpfiles(expected, actual, names, shallow=False)
    assert not mismatch and not errors, (mismatch, errors)


def test_extraction_generator_reproduces_the_committed_corpus(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "benchmarks.data.extraction.gen", "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "wrote 182 messages" in result.stdout
    _same_files(EXTRACTION / "mails", tmp_path / "mails", "*.eml")
    assert (tmp_path / "labels.jsonl").read_bytes() == (EXTRACTION / "labels.jsonl").read_bytes()


def test_extraction_generator_starts_afresh_on_every_run(tmp_path: Path) -> None:
    # Its random state and its set of used values are module globals: a second run in the
    # same process must not continue from where the first stopped.
    build = importlib.import_module("benchmarks.data.extraction.gen.build")
    assert build.generate(tmp_path / "one") == build.generate(tmp_path / "two") == 182
    _same_files(tmp_path / "one" / "mails", tmp_path / "two" / "mails", "*.eml")
    assert (tmp_path / "one" / "labels.jsonl").read_bytes() == (tmp_path / "two" / "labels.jsonl").read_bytes()


def test_mistyped_addresses_fail_their_checksum() -> None:
    chain = importlib.import_module("benchmarks.data.extraction.gen.chain")
    # BIP-173/350 vectors: v0 bech32 and v1 bech32m are valid; v1 with a bech32 checksum is not.
    assert chain.address_valid("bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4")
    assert chain.address_valid("bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0")
    assert not chain.address_valid("bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vq5zuyut")
    for kind in ("btc1", "btc3", "bc1q", "bc1p", "evm", "tron"):
        make, _ = chain.ADDR_GEN[kind]
        good = make()
        bad, _ = chain.mistype(good)
        assert chain.address_valid(good) and not chain.address_valid(bad), (kind, good, bad)


def test_phishing_generator_reproduces_the_committed_set(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(PHISHING / "generate.py"), "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    _same_files(PHISHING, tmp_path, "*.eml")
    assert (tmp_path / "labels.csv").read_bytes() == (PHISHING / "labels.csv").read_bytes()
