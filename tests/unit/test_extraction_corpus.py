"""The labelled support mails: every customer secret is found and none is left after redaction.

The precision/recall figures of all extractors are printed by benchmarks/extraction.py;
this test holds the one requirement that is not a figure to trade off: secrets.
"""

from __future__ import annotations

import importlib.util
import sys

from tests.conftest import ROOT


def test_every_labelled_secret_is_redacted() -> None:
    spec = importlib.util.spec_from_file_location("extraction_benchmark", ROOT / "benchmarks" / "extraction.py")
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = bench  # its dataclasses look their module up there
    spec.loader.exec_module(bench)
    scores = bench.run(ROOT / "benchmarks" / "data" / "extraction", ROOT / "classifiers")
    assert scores["secrets"].tp >= 50
    assert scores["secrets"].fn == 0, scores["secrets"].errors
    assert scores["secret_leak"].fn == 0, scores["secret_leak"].errors
