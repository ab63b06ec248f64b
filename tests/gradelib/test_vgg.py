"""Tests of gradelib.metrics.vgg (VGG-19's features, offline first) and gradelib.data.style_images."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from gradelib.data.style_images import CONTENT_IMAGES, STYLE_IMAGES, content_crops, load_image
from gradelib.metrics import vgg as vgg_module
from gradelib.metrics.vgg import (
    DEFAULT_NUM_MODULES,
    WEIGHTS_FILE,
    VGGWeightsUnavailableError,
    load_vgg19_features,
)


@pytest.fixture
def offline(tmp_path, monkeypatch):
    """No ImageNet weights anywhere, and any download attempt fails the test."""
    monkeypatch.setenv("GRADELIB_DATA_ROOT", str(tmp_path / "data"))
    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path / "hub"))

    def no_download(*args, **kwargs):
        raise AssertionError("the loader tried to download")

    monkeypatch.setattr(torch.hub, "load_state_dict_from_url", no_download)
    monkeypatch.setattr(vgg_module, "_BUILT", {})
    return tmp_path


def test_is_the_structure_torchvisions_vgg19():
    """Are the modules, their order and their parameter shapes those of torchvision's vgg19().features[:30]?"""
    import torchvision

    with torch.device("meta"):
        reference = torchvision.models.vgg19(weights=None).features[:DEFAULT_NUM_MODULES]
    net = load_vgg19_features("random")
    assert [type(m) for m in net] == [type(m) for m in reference]
    assert {k: v.shape for k, v in net.state_dict().items()} == {k: v.shape for k, v in reference.state_dict().items()}
    assert not any(m.inplace for m in net if isinstance(m, nn.ReLU)), "a kept activation must not be overwritten"
    assert len(load_vgg19_features("random", num_modules=37)) == 37


def test_are_random_weights_seeded_and_each_call_a_fresh_trainable_copy():
    """Does the same seed give the same weights, another seed others, and is each call an independent trainable copy?"""
    a, b, c = load_vgg19_features("random"), load_vgg19_features("random"), load_vgg19_features("random", seed=1)
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters(), strict=True))
    assert not torch.equal(a[0].weight, c[0].weight)
    assert all(p.requires_grad for p in a.parameters()) and a.training
    with torch.no_grad():
        a[0].weight.zero_()
    a.requires_grad_(False)
    fresh = load_vgg19_features("random")
    assert torch.equal(fresh[0].weight, b[0].weight) and fresh[0].weight.requires_grad
    assert not a.pretrained and "random" in a.source


def test_do_random_features_keep_their_scale():
    """Do the activations keep an order of magnitude from the first to the last layer (fan-in initialisation)?"""
    net = load_vgg19_features("random")
    x = torch.randn(1, 3, 32, 32)
    with torch.no_grad():
        first, last = net[:2](x), net(x)
    ratio = float(last.pow(2).mean() / first.pow(2).mean())
    assert 0.05 < ratio < 20, ratio


def test_does_imagenet_fail_at_once_offline_with_what_to_do(offline):
    """Offline and without the file, does "imagenet" fail at once, naming the file, the folders and the fallback
    (never downloading)?"""
    with pytest.raises(VGGWeightsUnavailableError) as error:
        load_vgg19_features("imagenet")
    message = str(error.value)
    assert WEIGHTS_FILE in message and str(offline / "data" / "vgg19") in message
    assert "download=True" in message and "load_vgg19_features('random')" in message


def test_does_download_probe_the_network_first(offline, monkeypatch):
    """With download=True and no network, does the loader fail after a short probe instead of hanging?"""
    import gradelib.data.mnist_full as mnist_full

    monkeypatch.setattr(mnist_full, "_network_reachable", lambda host, port, timeout: False)
    with pytest.raises(VGGWeightsUnavailableError, match="unreachable"):
        load_vgg19_features("imagenet", download=True)


def test_does_auto_fall_back_to_random_weights_offline(offline):
    """Does "auto" give the seeded random network when no ImageNet weights are on disk (and never download)?"""
    net = load_vgg19_features("auto")
    assert not net.pretrained
    assert torch.equal(net[0].weight, load_vgg19_features("random")[0].weight)


def test_are_weights_on_disk_read_by_index(offline):
    """With torchvision's file under <data root>/vgg19/, do "auto" and "imagenet" load it, classifier keys ignored?"""
    source = load_vgg19_features("random", seed=7, num_modules=37)
    state = {f"features.{key}": value for key, value in source.state_dict().items()}
    state["classifier.0.weight"] = torch.zeros(2, 2)
    folder = offline / "data" / "vgg19"
    folder.mkdir(parents=True)
    torch.save(state, folder / WEIGHTS_FILE)
    for weights in ("auto", "imagenet"):
        net = load_vgg19_features(weights)
        assert net.pretrained and str(folder) in net.source
        assert torch.equal(net[28].weight, source[28].weight)


def test_is_a_foreign_file_refused(offline):
    """Is a file that is not VGG-19's state_dict refused with a clear error?"""
    path = offline / "other.pth"
    torch.save({"features.0.weight": torch.zeros(1)}, path)
    with pytest.raises(VGGWeightsUnavailableError, match="not torchvision's VGG-19"):
        load_vgg19_features("imagenet", weights_file=path)
    with pytest.raises(ValueError):
        load_vgg19_features("resnet")


@pytest.mark.parametrize("name", CONTENT_IMAGES + STYLE_IMAGES)
def test_style_images(name):
    """Is every content and style image an RGB square in [0, 1], read offline, a new tensor at each call?"""
    image = load_image(name, 24)
    assert image.shape == (1, 3, 24, 24) and image.dtype == torch.float32
    assert float(image.min()) >= 0 and float(image.max()) <= 1 and float(image.std()) > 0.02
    image.zero_()
    assert float(load_image(name, 24).abs().sum()) > 0


def test_content_crops_are_seeded():
    """Do content_crops give (n, 3, size, size) crops in [0, 1], the same for the same seed?"""
    a, b, c = content_crops(5, 16, seed=3), content_crops(5, 16, seed=3), content_crops(5, 16, seed=4)
    assert a.shape == (5, 3, 16, 16) and torch.equal(a, b) and not torch.equal(a, c)
    assert float(a.min()) >= 0 and float(a.max()) <= 1
