"""Hidden tests of Part 1: sample, sequential sampling in raster order (formula (4)).

They run the student's base-class ``sample`` on the FVSBN given in the notebook, with sharp,
strongly coupled weights, and compare the samples with the exact probabilities of every 2x3
image computed from the reference, so they test ``sample`` alone.
"""

import pytest
import torch
from ar_helpers import TINY, exact_log_probs, sharp_fvsbn

from gradelib.checks import CheckFailure, assert_runs_on_meta, assert_samples_match, assert_shape, outcome_index
from gradelib.checks.weights import copy_weights
from gradelib.sandbox.expr import MODEL, method

NUM_SAMPLES = 4000
ALPHA = 1e-3


@pytest.mark.points(1)
def test_sample_shape_and_values(submission, device):
    """Does sample(n) return n binary images of shape (n, 1, H, W) on the model's device?"""
    model = submission.FVSBN(image_shape=(3, 4)).to(device)
    samples = assert_shape(model.sample(7), (7, 1, 3, 4), what="sample(7) of a model of 3x4 images",
                           hint="return a batch of images (N, 1, H, W).")
    if samples.device.type != device.type:
        raise CheckFailure(f"sample returned images on device {samples.device}, but the model is on {device}: "
                           "create the images with device=self.device.")
    if not torch.is_floating_point(samples):
        raise CheckFailure(f"sample returned a tensor of dtype {samples.dtype}; float images with values 0 and 1 are expected "
                           "(the same dtype as the training images).")
    values = set(samples.unique().tolist())
    if not values <= {0.0, 1.0}:
        raise CheckFailure(f"sample returned values {sorted(values)[:5]}; binary images (0 and 1 only) are expected. "
                           "Draw each pixel with torch.bernoulli(torch.sigmoid(logit)); do not return probabilities.")
    if samples.unique().numel() < 2:
        raise CheckFailure(f"sample(7) returned {samples.numel()} pixels that are all {samples.flatten()[0].item():g}: "
                           "each pixel must be drawn from its Bernoulli distribution (torch.bernoulli), so a model "
                           "with these weights draws both values.")
    if samples.requires_grad:
        raise CheckFailure("sample returned a tensor that requires grad: sampling should run without building a graph "
                           "(keep the @torch.no_grad() decorator).")


@pytest.mark.points(3)
def test_samples_follow_the_model(submission, reference, device):
    """Do samples follow the model's own probabilities (chi-square test over all 64 binary 2x3 images)?"""
    expected_model = sharp_fvsbn(reference)
    model = copy_weights(submission.FVSBN(image_shape=TINY), expected_model, what="FVSBN").to(device)
    samples = assert_shape(model.sample(NUM_SAMPLES), (NUM_SAMPLES, 1, *TINY), what=f"sample({NUM_SAMPLES})")
    if not set(samples.unique().tolist()) <= {0.0, 1.0}:
        raise CheckFailure("sample returned values other than 0 and 1; binary images are expected.")
    probs = exact_log_probs(expected_model, TINY).exp()
    assert_samples_match(
        outcome_index(samples), probs, alpha=ALPHA, image_shape=TINY,
        what=f"{NUM_SAMPLES} samples of a 2x3 FVSBN with strongly coupled pixels",
        hint="Each pixel must be drawn from p(x_i | x_<i) given the pixels drawn before it (formula (4)): run the model "
             "again after each pixel is drawn (D forward passes), read the logit of pixel (r, c) only, and visit the "
             "pixels row by row, left to right. Drawing all pixels from one forward pass ignores earlier pixels.",
    )


@pytest.mark.points(1)
def test_sample_runs_on_any_device(submission):
    """Does sample create its tensors on the model's device (so that it runs on a GPU)?"""
    model = submission.FVSBN(image_shape=(2, 3))
    assert_runs_on_meta(model, method(MODEL, "sample", 3), what="sample",
                        hint="In sample, create the images with device=self.device.")
