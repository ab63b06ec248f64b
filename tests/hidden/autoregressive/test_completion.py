"""Hidden tests of Part 1: complete, image completion by sequential sampling (formula (5)).

They run the student's base-class ``complete`` on the FVSBN given in the notebook with sharp,
strongly coupled weights, and compare completions with the exact conditionals computed from the
reference.
"""

import pytest
import torch
from ar_helpers import TINY, sharp_fvsbn

from gradelib.checks import (
    CheckFailure,
    all_binary_images,
    assert_runs_on_meta,
    assert_samples_match,
    assert_shape,
    outcome_index,
    outcome_name,
)
from gradelib.checks.weights import copy_weights
from gradelib.sandbox.expr import DEVICE, MODEL, call, method
from gradelib.sandbox.probes import call_watching_inputs, to_device

NUM_SAMPLES = 4000
ALPHA = 1e-3
HINT = (
    "Visit the pixels in raster order; for each pixel that is not observed, run the model on the current image "
    "(observed pixels plus those drawn so far) and draw the pixel from sigmoid of its logit; leave observed pixels "
    "as they are (formula (5))."
)


def _complete(model, images, observed):
    result = call_watching_inputs(model, "complete", images, observed)
    completed = assert_shape(result["output"], tuple(images.shape), what="complete(images, observed_mask)")
    if 0 in result["changed"]:
        raise CheckFailure("complete changed the images passed to it: work on a copy (for instance "
                           "torch.where(observed_mask, images, torch.zeros_like(images))), never write into `images`.")
    return completed


def _completion_probs(expected_model, observed_values, observed, image_shape):
    """Exact distribution of formula (5) over the unobserved pixels, for one observed pattern.

    Returns the probabilities of all 2^|U| fillings (in outcome_index order of the unobserved pixels).
    """
    D = image_shape[0] * image_shape[1]
    unobserved = (~observed).flatten().nonzero().flatten().tolist()
    fillings = all_binary_images((1, len(unobserved)), dtype=torch.float64).reshape(-1, len(unobserved))
    images = observed_values.double().flatten().repeat(fillings.shape[0], 1)  # (2^U, D)
    images[:, unobserved] = fillings
    images = images.reshape(-1, 1, *image_shape)
    model = expected_model.double()
    with torch.no_grad():
        logits = model(images)  # (2^U, 1, H, W)
    terms = -torch.nn.functional.binary_cross_entropy_with_logits(logits, images, reduction="none").reshape(-1, D)
    log_q = terms[:, unobserved].sum(dim=1)  # only the drawn pixels are random
    return log_q.exp(), unobserved


@pytest.mark.points(2)
def test_completion_keeps_observed_pixels(submission, device):
    """Does complete keep every observed pixel, return binary images, and leave its input unchanged?"""
    model = submission.FVSBN(image_shape=(3, 4)).to(device)
    images = torch.randint(0, 2, (16, 1, 3, 4), device=device).float()
    observed = torch.rand(16, 1, 3, 4, device=device) < 0.5
    completed = _complete(model, images, observed)
    if not set(completed.unique().tolist()) <= {0.0, 1.0}:
        raise CheckFailure("complete returned values other than 0 and 1: draw each missing pixel with torch.bernoulli.")
    if completed[~observed].unique().numel() < 2:
        raise CheckFailure(
            f"complete filled all {int((~observed).sum())} unobserved pixels with the same value: they must be drawn "
            "from the model, one by one (formula (5)), so a model with these weights draws both values."
        )
    if not bool((completed[~observed] != images[~observed]).any()):
        raise CheckFailure(
            f"complete left all {int((~observed).sum())} unobserved pixels exactly as they were in its input: they must be "
            "drawn from the model, one by one (formula (5)), not copied from the input."
        )
    kept = completed[observed] == images[observed]
    if not kept.all():
        raise CheckFailure(
            f"complete changed {int((~kept).sum())} of {int(observed.sum())} observed pixels: every pixel where "
            "observed_mask is True must keep its value in the completed image; only the other pixels are drawn."
        )


@pytest.mark.points(3)
def test_completion_of_first_row_follows_the_conditional(submission, reference, device):
    """With the first row observed, do completions follow p(second row | first row) (chi-square test)?"""
    expected_model = sharp_fvsbn(reference)
    model = copy_weights(submission.FVSBN(image_shape=TINY), expected_model, what="FVSBN").to(device)
    first_row = torch.tensor([1.0, 0.0, 1.0])
    images = torch.zeros(NUM_SAMPLES, 1, *TINY)
    images[:, 0, 0] = first_row
    observed = torch.zeros(NUM_SAMPLES, 1, *TINY, dtype=torch.bool)
    observed[:, :, 0] = True
    completed = _complete(model, images.to(device), observed.to(device)).cpu()
    if not torch.equal(completed[:, 0, 0], images[:, 0, 0]):
        raise CheckFailure("complete changed the observed first row; observed pixels must keep their values.")
    probs, unobserved = _completion_probs(expected_model, images[0], observed[0], TINY)
    names = [f"second row {outcome_name(k, (1, 3))}" for k in range(probs.numel())]
    assert_samples_match(
        outcome_index(completed.reshape(NUM_SAMPLES, -1)[:, unobserved]), probs, alpha=ALPHA, names=names,
        what=f"{NUM_SAMPLES} completions of the first row 101 of a 2x3 FVSBN",
        hint=HINT,
    )


@pytest.mark.points(2)
def test_completion_with_scattered_observed_pixels(submission, reference, device):
    """With scattered observed pixels, is each missing pixel drawn given the observed and drawn pixels before it?"""
    expected_model = sharp_fvsbn(reference)
    model = copy_weights(submission.FVSBN(image_shape=TINY), expected_model, what="FVSBN").to(device)
    pattern = torch.tensor([0.0, 1.0, 0.0, 1.0, 0.0, 0.0]).reshape(1, *TINY)  # observed: (0, 1) = 1 and (1, 0) = 1
    observed_one = torch.tensor([False, True, False, True, False, False]).reshape(1, *TINY)
    images = pattern.expand(NUM_SAMPLES, 1, *TINY).clone()
    observed = observed_one.expand(NUM_SAMPLES, 1, *TINY).clone()
    completed = _complete(model, images.to(device), observed.to(device)).cpu()
    if not torch.equal(completed[observed], images[observed]):
        raise CheckFailure("complete changed observed pixels; observed pixels must keep their values.")
    probs, unobserved = _completion_probs(expected_model, pattern, observed_one, TINY)
    names = [f"pixels (0, 0), (0, 2), (1, 1), (1, 2) = {format(k, '04b')}" for k in range(probs.numel())]
    assert_samples_match(
        outcome_index(completed.reshape(NUM_SAMPLES, -1)[:, unobserved]), probs, alpha=ALPHA, names=names,
        what=f"{NUM_SAMPLES} completions of a 2x3 FVSBN with pixels (0, 1) and (1, 0) observed",
        hint=HINT + " Pixels before an observed pixel are drawn too, and a pixel after it sees its observed value.",
    )


@pytest.mark.points(1)
def test_completion_runs_on_any_device(submission):
    """Does complete create its tensors on the device of its inputs (so that it runs on a GPU)?"""
    model = submission.FVSBN(image_shape=(2, 3))
    images = call(to_device, torch.zeros(3, 1, 2, 3), DEVICE)
    observed = call(to_device, torch.zeros(3, 1, 2, 3, dtype=torch.bool), DEVICE)
    assert_runs_on_meta(model, method(MODEL, "complete", images, observed), what="complete", hint="In complete, create tensors from the input images "
                        "(torch.zeros_like(images), torch.where) or with device=images.device.")
