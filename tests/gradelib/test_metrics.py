"""Tests of gradelib.metrics: NLL units, the shipped digit classifier, FID/KID through
torch-fidelity and torchmetrics."""

from __future__ import annotations

import importlib
import math

import pytest
import torch

from gradelib.data import load_binarized_mnist, load_mnist_grey
from gradelib.metrics import (
    accuracy,
    bits_per_dim_to_nats,
    load_digit_classifier,
    load_digit_classifier_record,
    mean_nll_nats,
    nats_to_bits_per_dim,
)
from gradelib.metrics.digit_classifier import FEATURE_DIM, WEIGHTS_PATH
from gradelib.metrics.preprocess import to_uint8_rgb, uint8_to_classifier_input

NOISE_LEVELS = (0.1, 0.3, 0.6)
N_IMAGES = 500


# ----------------------------------------------------------------------------- NLL units


def test_nats_bits_round_trip():
    """Do nats -> bits per dim -> nats return the input, for floats and tensors?"""
    assert bits_per_dim_to_nats(nats_to_bits_per_dim(88.3, 784), 784) == pytest.approx(88.3, rel=1e-12)
    t = torch.tensor([80.0, 100.0], dtype=torch.float64)
    assert torch.allclose(bits_per_dim_to_nats(nats_to_bits_per_dim(t, 784), 784), t)


def test_one_bit_per_dimension_is_num_dims_ln2_nats():
    """Is an NLL of 784 ln 2 nats on a 784-pixel image exactly 1 bit per dimension?"""
    assert nats_to_bits_per_dim(784 * math.log(2), 784) == pytest.approx(1.0, rel=1e-12)
    with pytest.raises(ValueError, match="num_dims"):
        nats_to_bits_per_dim(1.0, 0)


def test_mean_nll_nats_of_uniform_bernoulli_is_num_dims_ln2():
    """Does mean_nll_nats average -log p per image over a loader, with gradients off?"""
    images = torch.randint(0, 2, (10, 1, 4, 4)).float()
    loader = [(images[:6], torch.zeros(6)), (images[6:], torch.zeros(4))]

    def log_prob(x):
        assert not torch.is_grad_enabled(), "mean_nll_nats must run without gradients"
        return torch.full((x.shape[0],), -16 * math.log(2))

    assert mean_nll_nats(log_prob, loader) == pytest.approx(16 * math.log(2), rel=1e-6)
    weighted = mean_nll_nats(lambda x: -x.flatten(1).sum(1), [images[:3], images[3:]])
    assert weighted == pytest.approx(float(images.sum()) / 10, rel=1e-12)


def test_mean_nll_nats_rejects_wrong_shapes():
    """Is an error raised when log_prob_fn returns one value per pixel instead of per image?"""
    with pytest.raises(ValueError, match="one log-likelihood per image"):
        mean_nll_nats(lambda x: x, [torch.zeros(2, 1, 2, 2)])


# ----------------------------------------------------------------------------- classifier


def test_weights_file_is_small():
    """Is the shipped weights file under 2 MB?"""
    assert WEIGHTS_PATH.stat().st_size < 2 * 1024 * 1024


def test_recorded_accuracy_matches_a_fresh_evaluation():
    """Does the shipped classifier reach its recorded (>= 95%) accuracy on the held-out split?"""
    record = load_digit_classifier_record()
    for key in ("seed", "epochs", "data", "date", "torch_version"):
        assert key in record, f"training record lacks {key!r}"
    model = load_digit_classifier()
    grey, labels = load_mnist_grey("test")
    binary, _ = load_binarized_mnist("test")
    fresh = {"accuracy_grey": accuracy(model, grey, labels), "accuracy_binarized": accuracy(model, binary, labels)}
    for key, value in fresh.items():
        assert value >= 0.95, f"{key} is {value:.3f}"
        assert abs(value - record["test"][key]) <= 0.005, f"{key}: fresh {value}, recorded {record['test'][key]}"


def test_classifier_is_frozen_and_in_eval_mode():
    """Is the loaded classifier in eval mode with gradients off, giving (N, 128) features?"""
    model = load_digit_classifier()
    assert not model.training
    assert not any(p.requires_grad for p in model.parameters())
    assert model.features(torch.zeros(2, 1, 28, 28)).shape == (2, FEATURE_DIM)


# ----------------------------------------------------------------------------- preprocessing


def test_uint8_round_trip_and_resizing():
    """Do float images survive uint8 RGB conversion, and are other sizes resized to 28x28?"""
    grey = torch.rand(4, 1, 28, 28)
    rgb = to_uint8_rgb(grey)
    assert rgb.shape == (4, 3, 28, 28) and rgb.dtype == torch.uint8
    assert torch.allclose(uint8_to_classifier_input(rgb), grey, atol=0.5 / 255 + 1e-6)
    big = uint8_to_classifier_input(torch.randint(0, 256, (2, 3, 299, 299), dtype=torch.uint8))
    assert big.shape == (2, 1, 28, 28) and big.min() >= 0 and big.max() <= 1
    with pytest.raises(TypeError, match="uint8"):
        uint8_to_classifier_input(grey)


# ----------------------------------------------------------------------------- FID / KID


@pytest.fixture(scope="module")
def image_sets() -> dict[str, torch.Tensor]:
    """Real grey digits: two disjoint halves of 500, and noisy copies of the second half."""
    grey, _ = load_mnist_grey("train")
    real, other = grey[:N_IMAGES], grey[N_IMAGES : 2 * N_IMAGES]
    generator = torch.Generator().manual_seed(0)
    noise = torch.randn(other.shape, generator=generator)
    sets = {"real": real, "other": other}
    for level in NOISE_LEVELS:
        sets[f"noise{level}"] = (other + level * noise).clamp(0, 1)
    return sets


@pytest.fixture(scope="module")
def fid_kid(image_sets) -> dict[str, dict[str, float]]:
    """FID/KID of every set against the real half, through torch-fidelity."""
    from gradelib.metrics.fidelity import compute_fid_kid

    return {name: compute_fid_kid(image_sets["real"], images) for name, images in image_sets.items()}


def test_extractor_is_registered_idempotently():
    """Is "digit-classifier" registered with torch-fidelity, and is registering again harmless?"""
    from torch_fidelity.registry import FEATURE_EXTRACTORS_REGISTRY

    import gradelib.metrics.fidelity as fidelity

    fidelity.register_digit_classifier()
    reloaded = importlib.reload(fidelity)
    assert FEATURE_EXTRACTORS_REGISTRY["digit-classifier"] is reloaded.DigitClassifierFeatureExtractor


def test_extractor_features_match_the_classifier():
    """Do the torch-fidelity features of uint8 28x28 digits equal the classifier's features?"""
    from gradelib.metrics.fidelity import DigitClassifierFeatureExtractor

    extractor = DigitClassifierFeatureExtractor("digit-classifier", ["features", "logits", "logits_unbiased"])
    grey, _ = load_mnist_grey("val")
    rgb = to_uint8_rgb(grey[:8])
    features, logits, unbiased = extractor(rgb)
    assert features.shape == (8, FEATURE_DIM) and logits.shape == unbiased.shape == (8, 10)
    assert features.dtype == torch.float64
    model = load_digit_classifier()
    expected = model.features(uint8_to_classifier_input(rgb)).double()
    assert torch.allclose(features, expected)
    assert torch.allclose(logits, model(uint8_to_classifier_input(rgb)).double(), atol=1e-5)
    assert torch.allclose(logits - unbiased, model.fc2.bias.double().expand(8, 10), atol=1e-5)


def test_fid_is_near_zero_for_identical_sets(image_sets):
    """Is FID of a set against itself zero (up to round-off)?"""
    from gradelib.metrics.fidelity import KEY_FID, compute_fid_kid

    same = compute_fid_kid(image_sets["real"][:200], image_sets["real"][:200], kid_subsets=2)
    assert abs(same[KEY_FID]) < 1e-2


def test_fid_and_kid_grow_with_corruption(fid_kid):
    """Is FID/KID small for two halves of real digits and larger, monotonically, with noise?"""
    from gradelib.metrics.fidelity import KEY_FID, KEY_KID_MEAN

    order = ["other"] + [f"noise{level}" for level in NOISE_LEVELS]
    fids = [fid_kid[name][KEY_FID] for name in order]
    kids = [fid_kid[name][KEY_KID_MEAN] for name in order]
    assert fids == sorted(fids) and len(set(fids)) == len(fids), (
        f"FID not increasing: {dict(zip(order, fids, strict=True))}"
    )
    assert kids == sorted(kids), f"KID not increasing: {dict(zip(order, kids, strict=True))}"
    assert fids[-1] > 10 * fids[0], f"heavy noise should be far from real digits: {dict(zip(order, fids, strict=True))}"


def test_torchmetrics_agrees_with_torch_fidelity(image_sets, fid_kid):
    """Does torchmetrics' FID with DigitFeatures give torch-fidelity's number on the same images?"""
    from torchmetrics.image.fid import FrechetInceptionDistance

    from gradelib.metrics import DigitFeatures
    from gradelib.metrics.fidelity import KEY_FID

    for name in ("other", "noise0.3"):
        metric = FrechetInceptionDistance(feature=DigitFeatures())
        metric.update(to_uint8_rgb(image_sets["real"]), real=True)
        metric.update(to_uint8_rgb(image_sets[name]), real=False)
        ours, theirs = float(metric.compute().double()), fid_kid[name][KEY_FID]
        assert abs(ours - theirs) <= max(0.01 * abs(theirs), 1e-2), (
            f"{name}: torchmetrics {ours}, torch-fidelity {theirs}"
        )


def test_digit_features_accept_the_torchmetrics_probe():
    """Does DigitFeatures take torchmetrics' 299x299 uint8 dummy image when num_features is absent?"""
    from torchmetrics.image.fid import FrechetInceptionDistance

    from gradelib.metrics import DigitFeatures

    features = DigitFeatures()
    assert features(torch.randint(0, 256, (2, 3, 299, 299), dtype=torch.uint8)).shape == (2, FEATURE_DIM)
    del features.num_features  # force torchmetrics to probe with its dummy image
    metric = FrechetInceptionDistance(feature=features)
    assert metric.real_features_sum.shape == (FEATURE_DIM,)
    features.train()
    assert not features.classifier.training, "the classifier must stay in eval mode"


def test_inception_score_of_real_digits_is_high():
    """Is the Inception Score of real test digits (logits of the classifier) high, near 10 classes?"""
    import torch_fidelity

    from gradelib.metrics.fidelity import UInt8ImageDataset

    grey, _ = load_mnist_grey("test")
    metrics = torch_fidelity.calculate_metrics(
        input1=UInt8ImageDataset(grey), feature_extractor="digit-classifier", isc=True,
        cuda=False, verbose=False, save_cpu_ram=True, cache=False,
    )
    assert metrics["inception_score_mean"] > 8.0
