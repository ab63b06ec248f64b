"""scikit-learn's 8x8 handwritten digits (1,797 images), binarised once with a fixed seed.

Grey levels are the 0..16 counts divided by 16, binarised with
:func:`gradelib.data.binarize.binarize_once` (seed :data:`DIGITS8X8_BINARIZE_SEED`) over all
1,797 images in scikit-learn's order, then split by a fixed permutation (seed
:data:`DIGITS8X8_SPLIT_SEED`) into train/val/test of :data:`DIGITS8X8_SPLIT_SIZES`.
Nothing is downloaded: the data ship with scikit-learn.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import torch
from torch import Tensor

from gradelib.data.binarize import binarize_once, split_indices
from gradelib.data.splits import SPLITS, check_split

__all__ = [
    "DIGITS8X8_BINARIZE_SEED",
    "DIGITS8X8_SPLIT_SEED",
    "DIGITS8X8_SPLIT_SIZES",
    "DIGITS8X8_IMAGE_SHAPE",
    "load_binarized_digits8x8",
]

DIGITS8X8_BINARIZE_SEED = 0
DIGITS8X8_SPLIT_SEED = 1
#: Sizes of train, val, test (sum 1,797).
DIGITS8X8_SPLIT_SIZES: dict[str, int] = {"train": 1197, "val": 300, "test": 300}
#: (C, H, W) of one image.
DIGITS8X8_IMAGE_SHAPE: tuple[int, int, int] = (1, 8, 8)


@lru_cache(maxsize=1)
def _binarized_splits() -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Binarise all 1,797 images once and split them; cached for the process."""
    from sklearn.datasets import load_digits  # imported here: sklearn is slow to import

    digits = load_digits()
    grey = digits.images.astype(np.float64) / 16.0  # (1797, 8, 8) in [0, 1]
    binary = binarize_once(grey, seed=DIGITS8X8_BINARIZE_SEED)[:, None]  # (1797, 1, 8, 8)
    labels = digits.target.astype(np.int64)  # (1797,)
    sizes = tuple(DIGITS8X8_SPLIT_SIZES[s] for s in SPLITS)
    parts = split_indices(len(labels), sizes, seed=DIGITS8X8_SPLIT_SEED)
    return {s: (binary[idx], labels[idx]) for s, idx in zip(SPLITS, parts, strict=True)}


def load_binarized_digits8x8(split: str) -> tuple[Tensor, Tensor]:
    """Load one split of the binarised 8x8 digits.

    Inputs:
        split: "train" (1,197 images), "val" (300) or "test" (300).

    Returns:
        images: (N, 1, 8, 8) float32 tensor, values in {0, 1}.
        labels: (N,) int64 tensor, digit classes 0..9.
    The same values on every call and every machine (fresh tensors each call).
    """
    images, labels = _binarized_splits()[check_split(split)]
    return torch.from_numpy(images.copy()), torch.from_numpy(labels.copy())
