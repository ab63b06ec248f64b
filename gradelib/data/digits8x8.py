"""Loader of scikit-learn's 8x8 digits, binarised once (the ``digits8x8`` spec of the catalog).

Grey levels are the 0..16 counts divided by 16, binarised once over all 1,797 images in
scikit-learn's order (seed :data:`DIGITS8X8_BINARIZE_SEED`), then split by a fixed permutation
(seed :data:`DIGITS8X8_SPLIT_SEED`) into train/val/test of :data:`DIGITS8X8_SPLIT_SIZES`.
Nothing is downloaded: the data ship with scikit-learn.
"""

from __future__ import annotations

from torch import Tensor

from gradelib.data.catalog import (
    DIGITS8X8,
    DIGITS8X8_BINARIZE_SEED,
    DIGITS8X8_IMAGE_SHAPE,
    DIGITS8X8_SPLIT_SEED,
    DIGITS8X8_SPLIT_SIZES,
)
from gradelib.data.pipeline import load_split

__all__ = [
    "DIGITS8X8_BINARIZE_SEED",
    "DIGITS8X8_SPLIT_SEED",
    "DIGITS8X8_SPLIT_SIZES",
    "DIGITS8X8_IMAGE_SHAPE",
    "load_binarized_digits8x8",
]


def load_binarized_digits8x8(split: str) -> tuple[Tensor, Tensor]:
    """Load one split of the binarised 8x8 digits.

    Inputs:
        split: "train" (1,197 images), "val" (300) or "test" (300).

    Returns:
        images: (N, 1, 8, 8) float32 tensor, values in {0, 1}.
        labels: (N,) int64 tensor, digit classes 0..9.
    The same values on every call and every machine (fresh tensors each call).
    """
    return load_split(DIGITS8X8, split, binarized=True)
