"""Hidden tests of Part 3: NADE's forward (formulas (7) and (8)).

NADE's logits are scored with the grader's own Bernoulli log-likelihood, so these tests do not
depend on the student's ``log_prob``.
"""

import pytest
import torch
from ar_helpers import TINY, grader_log_prob, log_prob_expression, logits_of

from gradelib.checks import (
    assert_autoregressive,
    assert_close,
    assert_module_gradcheck,
    assert_normalised,
    assert_responds,
    assert_runs_on_meta,
    assert_work_scales,
    count_work,
)
from gradelib.checks.weights import copy_weights, randomize_parameters
from gradelib.sandbox.expr import DEVICE, MODEL, call, method
from gradelib.sandbox.probes import to_device

FORMULA_HINT = (
    "Check formula (7): a_i = c + sum over j < i of W[:, j] x_j (pixel i sees the pixels before it, not itself), "
    "h_i = sigmoid(a_i), logit_i = b_i + V[i, :] h_i (row i of V)."
)


def _nade(module, image_shape, hidden_size, scale=1.0):
    return randomize_parameters(module.NADE(image_shape=image_shape, hidden_size=hidden_size), what="NADE", std=scale)


@pytest.mark.points(3)
def test_nade_logits_match_reference(submission, reference, device):
    """Does NADE's forward give the logits of formula (7) on fixed weights?"""
    expected_model = _nade(reference, (4, 5), hidden_size=7).to(device)
    model = copy_weights(submission.NADE(image_shape=(4, 5), hidden_size=7), expected_model, what="NADE").to(device)
    images = torch.randint(0, 2, (6, 1, 4, 5), device=device).float()
    found = logits_of(model, images, what="NADE's forward")
    assert_close(found, expected_model(images), what="NADE's logits of 6 images of shape (1, 4, 5) on fixed weights",
                 hint=FORMULA_HINT)


@pytest.mark.points(3)
def test_nade_is_autoregressive(submission, device):
    """Does each NADE logit depend on every earlier pixel and on no later pixel, nor on the pixel itself?"""
    model = _nade(submission, (4, 5), hidden_size=7).to(device)
    assert_autoregressive(
        model, (4, 5), what="NADE's logits", required="all_earlier", device=device,
        hint_future="Shift the running sum by one pixel: position i must hold the sum over j < i (pixel 1 sees only c); "
                    "torch.cumsum gives the sums over j <= i.",
        hint_missing="Every logit should see every earlier pixel through the running sum of formula (8): check the "
                     "shift (by exactly one pixel) and the axis of torch.cumsum (the pixel axis).",
    )


@pytest.mark.points(2)
def test_nade_is_normalised(submission):
    """Do NADE's probabilities of all 64 binary 2x3 images sum to one?"""
    model = _nade(submission, TINY, hidden_size=5, scale=2.0).double()
    assert_normalised(lambda x: grader_log_prob(model, x, what="NADE's forward"), TINY, what="NADE's p(x)",
                      hint="The conditionals multiply to a distribution only if each logit uses earlier pixels only. "
                           + FORMULA_HINT)


@pytest.mark.points(1)
def test_nade_gradients(submission):
    """Are the gradients of NADE's log-likelihood with respect to W, c, V and b right (float64 gradcheck)?"""
    model = _nade(submission, TINY, hidden_size=3)
    images = torch.randint(0, 2, (3, 1, *TINY)).double()
    assert_module_gradcheck(model, log_prob_expression(images, what="NADE's forward"),
                            what="NADE's log-likelihood of 3 images",
                            hint="Write forward with differentiable torch operations on the parameters themselves.")


@pytest.mark.points(2)
def test_nade_cost_is_linear_in_pixels(submission):
    """Does NADE's forward cost O(DH) per image (the running sum), not O(D^2 H)?"""
    work = {}
    for side in (8, 16):
        model = submission.NADE(image_shape=(side, side), hidden_size=16)
        images = torch.randint(0, 2, (4, 1, side, side)).float()
        assert_responds(model, method(MODEL, "__call__", images), what="NADE's forward")
        work[side * side] = count_work(method(model, "__call__", images))
    assert_work_scales(
        work, max_exponent=1.4, what="NADE's forward", size_name="D",
        hint="Formula (8) computes all pre-activations with a running sum (torch.cumsum over the pixel axis), in O(DH); "
             "recomputing the sum over j < i for every pixel i, or multiplying by a (D, D) mask, costs O(D^2 H).",
    )


@pytest.mark.points(1)
def test_nade_runs_on_any_device(submission):
    """Does NADE's forward create its tensors on the device of its input (so that it runs on a GPU)?"""
    model = submission.NADE(image_shape=(3, 4), hidden_size=5)
    assert_runs_on_meta(model, method(MODEL, "__call__", call(to_device, torch.zeros(2, 1, 3, 4), DEVICE)),
                        what="NADE.forward")
