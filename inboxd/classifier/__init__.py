"""The classifier: category of a mail by named rules, then a trained model, then a confidence floor.

The only user of scikit-learn. `settings` validates `model.toml`; `features` and
`model` hold a fitted model as plain arrays and the `Classifier` (rules → model → floor);
`training` fits one and measures it by cross-validation; `storage` writes and reads it
(a numpy .npz, read without pickle). What is exported here loads a model and scores mail
without importing scikit-learn; training and cross-validation are imported from `training`.
"""

from inboxd.classifier.model import Classifier, Explanation, Model
from inboxd.classifier.settings import ModelSettings, parse_settings, settings_of, settings_problems
from inboxd.classifier.storage import expected_meta, load_classifier, load_model, save_model

__all__ = [
    "Classifier",
    "Explanation",
    "Model",
    "ModelSettings",
    "expected_meta",
    "load_classifier",
    "load_model",
    "parse_settings",
    "save_model",
    "settings_of",
    "settings_problems",
]
