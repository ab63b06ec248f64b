"""Tests of gradelib.data.paired_domains: the offline digit domains with a known true pairing, and the loader of
the published translation sets (offline: a clear error, at once)."""

from __future__ import annotations

import time

import pytest
import torch

from gradelib.data import DatasetUnavailableError
from gradelib.data.paired_domains import (
    TRANSLATION_SETS,
    PairedDigitDomainsDataModule,
    load_paired_domains,
    load_translation_set,
    render_style_b,
    stroke_channel,
    unpaired_training_domains,
)


def test_is_the_rendering_a_deterministic_function_of_the_digit():
    """Does the same digit (index) always get the same rendering, and do shapes and ranges hold?"""
    a, b, labels = load_paired_domains("test", image_size=16)
    assert a.shape == (500, 3, 16, 16) and b.shape == (500, 3, 16, 16) and labels.shape == (500,)
    assert a.min() >= -1 and a.max() <= 1 and b.min() >= -1 and b.max() <= 1
    assert torch.equal(a[:, 0], a[:, 1]) and torch.equal(a[:, 0], a[:, 2]), "domain A is grey: three equal channels"
    a2, b2, _ = load_paired_domains("test", image_size=16)
    assert torch.equal(a, a2) and torch.equal(b, b2)
    indices = torch.arange(200_000, 200_010)
    assert torch.equal(render_style_b(a[:10], indices), b[:10])


def test_does_the_red_channel_hold_the_strokes_alone():
    """Is B's red channel the (thickened) stroke, with no background texture in it?"""
    a, b, _ = load_paired_domains("val", image_size=16)
    strokes = stroke_channel(b)  # (N, 1, S, S) in [0, 1]
    background = (a[:, :1] == -1) & (torch.nn.functional.max_pool2d(a[:, :1], 3, 1, 1) == -1)
    assert strokes[background].abs().max() < 1e-6
    ink = (a[:, :1] + 1) / 2
    assert (strokes >= ink * 0.5 - 1e-6).all(), "the rendered stroke covers the original ink"


def test_do_the_unpaired_halves_share_no_digit():
    """Are the unpaired training domains drawn from disjoint halves of the training digits?"""
    a, b, a_index, b_index = unpaired_training_domains(image_size=16)
    assert a.shape == (2000, 3, 16, 16) and b.shape == (2000, 3, 16, 16)
    assert not set(a_index.tolist()) & set(b_index.tolist())
    all_a, all_b, _ = load_paired_domains("train", image_size=16)
    assert torch.equal(a, all_a[a_index]) and torch.equal(b, all_b[b_index])


def test_does_the_datamodule_give_paired_and_unpaired_batches_in_a_seeded_order():
    """Paired batches are true pairs; unpaired ones are not; the shuffled order depends only on the seed."""
    paired = PairedDigitDomainsDataModule(paired=True, batch_size=8, seed=3)
    paired.setup("fit")
    a, b = next(iter(paired.train_dataloader()))
    all_a, all_b, _ = load_paired_domains("train", image_size=16)
    k = int(((all_a - a[0]).abs().flatten(1).sum(1)).argmin())
    assert torch.equal(all_b[k], b[0]), "a paired batch holds each digit with its true rendering"
    again = PairedDigitDomainsDataModule(paired=True, batch_size=8, seed=3)
    again.setup("fit")
    assert torch.equal(next(iter(again.train_dataloader()))[0], a)
    unpaired = PairedDigitDomainsDataModule(paired=False, batch_size=8, seed=3, num_train=64)
    unpaired.setup("fit")
    assert len(unpaired.train_dataloader()) == 8
    a_test, b_test, labels = next(iter(unpaired.test_dataloader()))
    assert a_test.shape == (250, 3, 16, 16) and labels.shape == (250,)


def test_does_a_missing_published_set_fail_at_once_with_a_clear_message(tmp_path):
    """Offline (or without download), does the loader say what is missing, where and how to provide it?"""
    start = time.monotonic()
    with pytest.raises(DatasetUnavailableError) as info:
        load_translation_set("horse2zebra", root=tmp_path)
    message = str(info.value)
    assert "trainA" in message and str(tmp_path / "horse2zebra") in message and "download=True" in message
    with pytest.raises(DatasetUnavailableError, match="facades"):
        load_translation_set("facades", root=tmp_path)
    assert time.monotonic() - start < 5
    with pytest.raises(ValueError, match="unknown translation set"):
        load_translation_set("cats2dogs", root=tmp_path)
    assert {"horse2zebra", "monet2photo", "facades"} <= set(TRANSLATION_SETS)


def test_does_a_set_on_disk_load(tmp_path):
    """A tiny unpaired set and a tiny paired set written on disk load as tensors in [-1, 1]."""
    from PIL import Image

    for sub in ("trainA", "trainB", "testA", "testB"):
        (tmp_path / "horse2zebra" / sub).mkdir(parents=True)
        for i in range(2):
            Image.new("RGB", (20, 20), (255, 0, 0)).save(tmp_path / "horse2zebra" / sub / f"{i}.jpg")
    a, b = load_translation_set("horse2zebra", root=tmp_path, image_size=8)
    assert a.shape == (2, 3, 8, 8) and b.shape == (2, 3, 8, 8) and a.max() <= 1 and a.min() >= -1
    for sub in ("train", "val"):
        (tmp_path / "facades" / sub).mkdir(parents=True)
    pair = Image.new("RGB", (40, 20), (0, 0, 0))
    pair.paste((255, 255, 255), (20, 0, 40, 20))
    pair.save(tmp_path / "facades" / "train" / "1.png")
    a, b = load_translation_set("facades", root=tmp_path, image_size=8)
    assert a.shape == (1, 3, 8, 8) and torch.allclose(a, torch.full_like(a, -1))
    assert torch.allclose(b, torch.ones_like(b))
