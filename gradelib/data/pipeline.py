"""The one pipeline of every dataset: read raw -> grey in [0, 1] -> binarise once -> split -> cache.

For each part of a :class:`~gradelib.data.spec.DatasetSpec` (a file, or the whole dataset):

1. ``spec.read_raw(root)`` gives images (N, C, H, W) in 0..``grey_max`` and labels (N,);
2. grey = images.astype(spec.grey_dtype) / spec.grey_max, in [0, 1];
3. bits = :func:`~gradelib.data.binarize.binarize_once` (grey, part.binarize_seed), over all N
   images in stored order, so the same bits on every machine;
4. the part is cut into its splits by ``default_rng(part.split_seed).permutation(N)`` (or kept
   in stored order when ``split_seed`` is None);
5. the splits are kept for the process and cached on disk (:mod:`gradelib.data.cache`).

Grey and binarised versions of a split hold the same images in the same order.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np
import torch
from torch import Tensor

from gradelib.data.binarize import binarize_once, split_indices
from gradelib.data.cache import (
    SplitArrays,
    cache_path,
    fingerprint,
    read_cache,
    write_cache,
)
from gradelib.data.paths import default_data_root
from gradelib.data.spec import DatasetSpec, RawParts
from gradelib.data.splits import check_split

__all__ = ["resolve_root", "prepare", "build_splits", "dataset_splits", "to_grey", "load_split"]


def resolve_root(root: str | Path | None) -> Path:
    """The data root: ``root`` if given, else :func:`gradelib.data.paths.default_data_root`."""
    return default_data_root() if root is None else Path(root).expanduser()


def prepare(spec: DatasetSpec, root: str | Path | None = None, download: bool = False) -> None:
    """Make the raw data available (full datasets), or raise DatasetUnavailableError at once."""
    if spec.prepare is not None:
        spec.prepare(resolve_root(root), download)


def to_grey(spec: DatasetSpec, raw: np.ndarray) -> np.ndarray:
    """Grey levels of raw images: ``raw.astype(spec.grey_dtype) / spec.grey_max``, same shape, in [0, 1]."""
    return raw.astype(spec.grey_dtype) / spec.grey_max


def _compact(raw: np.ndarray) -> np.ndarray:
    """``raw`` as uint8 when that is lossless (integer grey levels 0..255), else unchanged."""
    if raw.dtype == np.uint8:
        return raw
    small = raw.astype(np.uint8)
    return small if np.array_equal(small, raw) else raw


def build_splits(spec: DatasetSpec, raw_parts: RawParts) -> dict[str, SplitArrays]:
    """Steps 2-4 of the pipeline on raw parts (no disk access).

    Inputs:
        spec: the dataset.
        raw_parts: {part: (images (N, C, H, W) in 0..grey_max, labels (N,))} from ``spec.read_raw``.

    Returns:
        {split: SplitArrays} for every split of the spec, in permuted order.
    """
    splits: dict[str, SplitArrays] = {}
    for part in spec.parts:
        images, labels = raw_parts[part.name]
        images, labels = np.asarray(images), np.asarray(labels, dtype=np.int64)
        if images.shape[1:] != spec.image_shape or len(images) != len(labels):
            raise ValueError(
                f"{spec.name}/{part.name}: expected images (N, {', '.join(map(str, spec.image_shape))}) "
                f"and N labels, got {images.shape} and {labels.shape}"
            )
        bits = binarize_once(to_grey(spec, images), seed=part.binarize_seed).astype(np.uint8)
        n = len(labels)
        sizes = part.sizes_for(n)
        if part.split_seed is None:
            parts_idx = [np.arange(n, dtype=np.int64)]
        else:
            parts_idx = split_indices(n, sizes, seed=part.split_seed)
        raw = _compact(images)
        for split, idx in zip(part.splits, parts_idx, strict=False):
            splits[split] = SplitArrays(raw=raw[idx], bits=bits[idx], labels=labels[idx])
    return splits


@lru_cache(maxsize=4)
def _cached_splits(spec: DatasetSpec, root: Path, use_disk: bool) -> dict[str, SplitArrays]:
    """Steps 1-5 for one (spec, root), kept for the process."""
    if not use_disk:
        return build_splits(spec, spec.read_raw(root))
    path, key = cache_path(spec, root), fingerprint(spec, root)
    splits = read_cache(path, key)
    if splits is None:
        splits = build_splits(spec, spec.read_raw(root))
        write_cache(path, key, splits)
    return splits


def dataset_splits(
    spec: DatasetSpec, root: str | Path | None = None, download: bool = False, use_disk: bool = True
) -> dict[str, SplitArrays]:
    """All prepared splits of a dataset (shared arrays: do not modify them).

    Inputs:
        spec: the dataset.
        root: data root (raw files of full datasets, and the cache); None means the default.
        download: allow fetching missing raw files (full datasets only).
        use_disk: read and write the on-disk cache.

    Raises:
        DatasetUnavailableError: the raw files are missing and cannot be fetched.
    """
    root_path = resolve_root(root)
    prepare(spec, root_path, download)
    return _cached_splits(spec, root_path, use_disk)


def load_split(
    spec: DatasetSpec,
    split: str,
    binarized: bool,
    root: str | Path | None = None,
    download: bool = False,
) -> tuple[Tensor, Tensor]:
    """One split as fresh tensors (safe to modify).

    Inputs:
        spec: the dataset.
        split: "train", "val" or "test".
        binarized: True for the one-off binarisation, False for grey levels.
        root: data root; None means the default.
        download: allow fetching missing raw files (full datasets only).

    Returns:
        images: (N, C, H, W) float32 tensor, in {0, 1} if ``binarized`` else grey levels in [0, 1].
        labels: (N,) int64 tensor.
    """
    arrays = dataset_splits(spec, root, download)[check_split(split)]
    images = arrays.bits.astype(np.float32) if binarized else to_grey(spec, arrays.raw).astype(np.float32)
    return torch.from_numpy(images), torch.from_numpy(arrays.labels.copy())
