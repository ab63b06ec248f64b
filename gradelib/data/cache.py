"""On-disk cache of a dataset's prepared splits: ``<data root>/cache/<spec.cache_file>``.

The cache holds, per split, the raw images (compacted to uint8 when that is lossless), the
binarised bits (``np.packbits``) and the labels, plus a fingerprint of everything that
determines them (the spec's scaling, seeds and sizes, and the version of the raw source). A
file whose fingerprint differs, or that cannot be read, is ignored and rewritten; a folder that
cannot be written is skipped. Writes go to a temporary file renamed into place, so concurrent
processes never read half a file. The cache only saves time: its content equals a fresh build.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from pathlib import Path

import numpy as np

from gradelib.data.spec import DatasetSpec

__all__ = ["CACHE_FORMAT", "SplitArrays", "cache_path", "fingerprint", "read_cache", "write_cache"]

#: Version of the file layout below; bump it when the layout or the pipeline changes.
CACHE_FORMAT = 1


@dataclasses.dataclass(frozen=True)
class SplitArrays:
    """One prepared split, before conversion to tensors.

    Attributes:
        raw: (N, C, H, W) images in the raw scale (0..spec.grey_max), uint8 or the reader's dtype.
        bits: (N, C, H, W) uint8 in {0, 1}, the one-off binarisation.
        labels: (N,) int64.
    """

    raw: np.ndarray
    bits: np.ndarray
    labels: np.ndarray


def cache_path(spec: DatasetSpec, root: Path) -> Path:
    """Where the cache of ``spec`` lives under the data root ``root``."""
    return root / "cache" / spec.cache_file


def fingerprint(spec: DatasetSpec, root: Path) -> str:
    """sha256 of the cache format, the spec's pipeline fields and the raw source's version."""
    fields = {
        "format": CACHE_FORMAT,
        "name": spec.name,
        "image_shape": list(spec.image_shape),
        "grey_max": spec.grey_max,
        "grey_dtype": spec.grey_dtype,
        "parts": [dataclasses.asdict(part) for part in spec.parts],
        "source": spec.source_version(root),
    }
    return hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).hexdigest()


def read_cache(path: Path, expected_fingerprint: str) -> dict[str, SplitArrays] | None:
    """The cached splits, or None when the file is absent, unreadable or stale."""
    if not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as f:
            if str(f["fingerprint"]) != expected_fingerprint:
                return None
            splits = {}
            for split in [str(s) for s in f["splits"]]:
                raw = f[f"{split}.raw"]
                bits = np.unpackbits(f[f"{split}.bits"], count=raw.size).reshape(raw.shape)
                splits[split] = SplitArrays(raw=raw, bits=bits, labels=f[f"{split}.labels"])
            return splits
    except Exception:  # noqa: BLE001 - any unreadable cache is rebuilt
        return None


def write_cache(path: Path, expected_fingerprint: str, splits: dict[str, SplitArrays]) -> None:
    """Write the splits atomically; silently skip when the folder cannot be written."""
    arrays: dict[str, np.ndarray] = {
        "fingerprint": np.array(expected_fingerprint),
        "splits": np.array(list(splits)),
    }
    for split, arr in splits.items():
        arrays[f"{split}.raw"] = arr.raw
        arrays[f"{split}.bits"] = np.packbits(arr.bits, axis=None)
        arrays[f"{split}.labels"] = arr.labels
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tmp.open("wb") as f:
            np.savez(f, **arrays)
        tmp.replace(path)
    except OSError:
        tmp.unlink(missing_ok=True)
