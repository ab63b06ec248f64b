"""Where the course's datasets live on disk, and what the full datasets' files are.

The data root is chosen, in order, from:

1. the environment variable ``GRADELIB_DATA_ROOT`` when it is set;
2. ``<repo>/datasets`` when gradelib runs from a checkout of the course repository (recognised
   by ``<repo>/pyproject.toml`` and ``<repo>/datasets/manifest.json``);
3. ``~/.cache/gradelib/datasets`` otherwise (an installed, non-editable gradelib).

The expected raw files of full MNIST (names, sizes in bytes, md5 checksums) are read from
``<repo>/datasets/manifest.json`` when it exists, else from the copy in :data:`MNIST_RAW_FILES`
(a unit test keeps the two in agreement).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

__all__ = [
    "DATA_ROOT_ENV",
    "MNIST_RAW_FILES",
    "default_data_root",
    "repo_datasets_dir",
    "mnist_raw_files",
]

#: Environment variable that overrides the default data root.
DATA_ROOT_ENV = "GRADELIB_DATA_ROOT"

#: The four raw files of full MNIST as torchvision reads them from ``<root>/MNIST/raw/``:
#: uncompressed name -> size in bytes, md5 of the uncompressed file, md5 of the ``.gz`` archive.
MNIST_RAW_FILES: dict[str, dict[str, Any]] = {
    "train-images-idx3-ubyte": {
        "bytes": 47_040_016,
        "md5": "6bbc9ace898e44ae57da46a324031adb",
        "gz_md5": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
    },
    "train-labels-idx1-ubyte": {
        "bytes": 60_008,
        "md5": "a25bea736e30d166cdddb491f175f624",
        "gz_md5": "d53e105ee54ea40749a09fcbcd1e9432",
    },
    "t10k-images-idx3-ubyte": {
        "bytes": 7_840_016,
        "md5": "2646ac647ad5339dbf082846283269ea",
        "gz_md5": "9fb629c4189551a2d022fa330f9573f3",
    },
    "t10k-labels-idx1-ubyte": {
        "bytes": 10_008,
        "md5": "27ae3e4e09519cfbb04c329615203637",
        "gz_md5": "ec29112dd5afa0611ce80d1b7f02629c",
    },
}


def repo_datasets_dir() -> Path | None:
    """Return ``<repo>/datasets`` when gradelib runs from a repository checkout, else None."""
    repo = Path(__file__).resolve().parents[2]
    candidate = repo / "datasets"
    # Both markers are required: in site-packages, "datasets" is Hugging Face's package.
    if (repo / "pyproject.toml").is_file() and (candidate / "manifest.json").is_file():
        return candidate
    return None


def default_data_root() -> Path:
    """Return the folder that holds (or will hold) downloaded datasets.

    Returns:
        ``$GRADELIB_DATA_ROOT`` if set, else ``<repo>/datasets`` if it exists, else
        ``~/.cache/gradelib/datasets``. The folder is not created here.
    """
    env = os.environ.get(DATA_ROOT_ENV)
    if env:
        return Path(env).expanduser()
    repo_dir = repo_datasets_dir()
    if repo_dir is not None:
        return repo_dir
    return Path.home() / ".cache" / "gradelib" / "datasets"


def mnist_raw_files() -> dict[str, dict[str, Any]]:
    """Return the expected raw files of full MNIST: name -> {bytes, md5, gz_md5}.

    Read from ``<repo>/datasets/manifest.json`` (key ``"mnist"`` -> ``"raw_files"``) when it
    exists, else the built-in :data:`MNIST_RAW_FILES`.
    """
    repo_dir = repo_datasets_dir()
    if repo_dir is not None:
        manifest = repo_dir / "manifest.json"
        if manifest.is_file():
            with manifest.open(encoding="utf-8") as f:
                return dict(json.load(f)["mnist"]["raw_files"])
    return dict(MNIST_RAW_FILES)
