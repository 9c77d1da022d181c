"""The repo's classifier trained once for a benchmark or test bed, and reused while it is current."""

from __future__ import annotations

from pathlib import Path

from inboxd.assets import load_assets
from inboxd.classifier import load_classifier, parse_settings, save_model
from inboxd.classifier.training import train
from inboxd.errors import ConfigError


def trained_model(cache: Path, classifiers: Path) -> Path:
    """`cache`/model.npz for the assets in `classifiers`: trained when missing or stale."""
    assets = load_assets(classifiers)
    path = cache / "model.npz"
    try:
        load_classifier(assets, path)
    except ConfigError:  # missing, or trained from other examples or settings
        cache.mkdir(parents=True, exist_ok=True)
        save_model(train(assets, parse_settings(assets.model_settings, "model.toml")), path)
    return path
