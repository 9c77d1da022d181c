"""A small copy of classifiers/ (the repo's categories, rules and settings, 96 short examples)
for tests that train models: it trains in well under a second."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from tests.conftest import ROOT

EXAMPLES = ROOT / "tests" / "fixtures" / "classifier"


def make_tiny_classifiers(directory: Path) -> Path:
    """Write the repo's categories.toml, rules.toml and model.toml and the tiny examples to `directory`."""
    (directory / "examples").mkdir(parents=True)
    for name in ("categories.toml", "rules.toml"):
        shutil.copy(ROOT / "classifiers" / name, directory / name)
    settings = (ROOT / "classifiers" / "model.toml").read_text(encoding="utf-8")
    # The repo's weights name its own example files; weigh the tiny ones instead.
    settings = re.sub(r'(?m)^"[^"]+\.csv" = .*\n', "", settings)
    settings = settings.replace("[example_weights]\n", '[example_weights]\n"tiny_zh.csv" = 2.0\n"tiny_en.csv" = 2.0\n')
    assert '"tiny_zh.csv"' in settings
    (directory / "model.toml").write_text(settings, encoding="utf-8")
    for path in EXAMPLES.glob("*.csv"):
        shutil.copy(path, directory / "examples" / path.name)
    return directory
