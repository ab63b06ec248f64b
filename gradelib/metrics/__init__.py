"""Metrics of the course: NLL in nats and bits per dimension, and FID/KID/IS on digit features.

- :mod:`gradelib.metrics.nll`: ``nats_to_bits_per_dim``, ``bits_per_dim_to_nats``, ``mean_nll_nats``.
- :mod:`gradelib.metrics.digit_classifier`: the shipped LeNet-style classifier.
- :mod:`gradelib.metrics.fidelity`: the ``"digit-classifier"`` feature extractor for torch-fidelity
  (registered when that module is imported) and ``compute_fid_kid``.
- :mod:`gradelib.metrics.torchmetrics_features`: ``DigitFeatures`` for torchmetrics' FID/KID.

The torch-fidelity and torchmetrics parts are imported lazily (on first attribute access), so
``import gradelib.metrics`` stays light.
"""

from __future__ import annotations

import importlib
from typing import Any

from gradelib.metrics.digit_classifier import (
    FEATURE_DIM,
    DigitClassifier,
    accuracy,
    load_digit_classifier,
    load_digit_classifier_record,
)
from gradelib.metrics.nll import bits_per_dim_to_nats, mean_nll_nats, nats_to_bits_per_dim

_LAZY = {
    "DigitClassifierFeatureExtractor": "gradelib.metrics.fidelity",
    "FEATURE_EXTRACTOR_NAME": "gradelib.metrics.fidelity",
    "KEY_FID": "gradelib.metrics.fidelity",
    "KEY_KID_MEAN": "gradelib.metrics.fidelity",
    "KEY_KID_STD": "gradelib.metrics.fidelity",
    "compute_fid_kid": "gradelib.metrics.fidelity",
    "register_digit_classifier": "gradelib.metrics.fidelity",
    "DigitFeatures": "gradelib.metrics.torchmetrics_features",
}

__all__ = [
    "FEATURE_DIM",
    "DigitClassifier",
    "accuracy",
    "bits_per_dim_to_nats",
    "load_digit_classifier",
    "load_digit_classifier_record",
    "mean_nll_nats",
    "nats_to_bits_per_dim",
    *_LAZY,
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'gradelib.metrics' has no attribute {name!r}")
