"""Hidden tests of Part 1: log_prob, the log-likelihood of formula (2), in nats.

They run the student's base-class ``log_prob`` on the FVSBN given in the notebook (its forward is
the worked example), so they test ``log_prob`` alone.
"""

import math

import pytest
import torch
from ar_helpers import TINY

from gradelib.checks import (
    CheckFailure,
    assert_close,
    assert_module_gradcheck,
    assert_normalised,
    assert_responds,
    assert_shape,
)
from gradelib.checks.weights import copy_weights, randomize_parameters, set_parameters
from gradelib.sandbox.expr import MODEL, method

HINT = (
    "log_prob should return, for each image, the sum over its pixels of x log sigmoid(l) + (1 - x) log(1 - sigmoid(l)) "
    "(formula (2)), in nats, e.g. minus F.binary_cross_entropy_with_logits(logits, x, reduction='none') summed over "
    "every dimension but the batch."
)


def _diagnose(found: torch.Tensor, expected: torch.Tensor, D: int, default: str = HINT, logits=None, images=None) -> str:
    """Name the likely mistake from how the student's values relate to the expected ones."""
    f, e = found.detach().double().cpu().flatten(), expected.detach().double().cpu().flatten()
    if f.shape != e.shape or not torch.isfinite(f).all():
        return default
    candidates = {}
    if logits is not None:
        l, x = logits.detach().double().cpu(), images.detach().double().cpu()
        twice = -torch.nn.functional.binary_cross_entropy_with_logits(torch.sigmoid(l), x, reduction="none")
        candidates["the sigmoid is applied twice: F.binary_cross_entropy_with_logits takes the logits themselves, "
                   "not sigmoid(logits)"] = twice.flatten(start_dim=1).sum(dim=1)
    candidates.update({
        "the values have the wrong sign: log p(x) is at most 0; minus the binary cross-entropy is the log-likelihood": -e,
        "the values are in bits (log base 2), not nats: use natural logarithms": e / math.log(2.0),
        "the values are an average over pixels: sum the D pixel terms instead": e / D,
        "the values are an average over the batch: return one value per image": e.mean().expand_as(e),
    })
    for reason, candidate in candidates.items():
        if torch.allclose(f, candidate, rtol=1e-3, atol=1e-3):
            return f"It looks like {reason}."
    return default


@pytest.mark.points(2)
def test_log_prob_matches_reference(submission, reference, device):
    """Does log_prob give the log-likelihood of formula (2), in nats, on an FVSBN with fixed weights?"""
    image_shape = (4, 5)
    expected_model = reference.FVSBN(image_shape=image_shape)
    with torch.no_grad():
        expected_model.weight.normal_(0.0, 1.0)
        expected_model.bias.normal_(0.0, 1.0)
    model = copy_weights(submission.FVSBN(image_shape=image_shape), expected_model, what="FVSBN").to(device)
    expected_model = expected_model.to(device)
    images = torch.randint(0, 2, (8, 1, *image_shape), device=device).float()
    found = model.log_prob(images)
    expected = expected_model.log_prob(images)
    found = assert_shape(found, (8,), what="log_prob of 8 images of shape (1, 4, 5)", hint="return one value per image: sum over the pixels, not over the batch.")
    hint = _diagnose(found, expected, 20, logits=expected_model(images), images=images)
    assert_close(found, expected, what="log_prob of 8 images under an FVSBN with fixed weights (nats)", hint=hint)


@pytest.mark.points(1)
def test_log_prob_of_fair_coins(submission, device):
    """With all weights zero (every pixel a fair coin), is log p(x) = -D ln 2 for every image?"""
    model = submission.FVSBN(image_shape=(3, 4)).to(device)
    images = torch.randint(0, 2, (5, 1, 3, 4), device=device).float()
    assert_responds(model, method(MODEL, "log_prob", images), what="log_prob")  # a constant is not a fair coin
    set_parameters(model, what="FVSBN", weight=torch.zeros(12, 12), bias=torch.zeros(12))
    found = assert_shape(model.log_prob(images), (5,), what="log_prob of 5 images of shape (1, 3, 4)")
    expected = torch.full((5,), -12 * math.log(2.0))
    assert_close(found, expected, what="log_prob of 5 images when every pixel is a fair coin (D = 12 pixels)",
                 hint=_diagnose(found, expected, 12))


@pytest.mark.points(1)
def test_log_prob_is_stable_for_large_logits(submission, device):
    """Is log_prob finite and correct when the logits are large (confident predictions)?"""
    model = submission.FVSBN(image_shape=(2, 3)).to(device)
    images = torch.tensor([[1.0, 0.0, 1.0, 0.0, 1.0, 1.0]], device=device).reshape(1, 1, 2, 3)
    set_parameters(model, what="FVSBN", weight=torch.zeros(6, 6),
                   bias=torch.tensor([200.0, 200.0, -200.0, -200.0, 30.0, 30.0]))
    found = assert_shape(model.log_prob(images), (1,), what="log_prob of one image")
    # pixels 1 and 2 are mispredicted with logits +-200 (-200 nats each); the others are predicted confidently.
    expected = torch.tensor([-400.0 - 2 * math.log1p(math.exp(-30.0))])
    if not torch.isfinite(found).all():
        raise CheckFailure(
            f"log_prob returned {found.item()} for an image whose logits are +-200 (confident predictions, two of them "
            "wrong); the exact value is -400 nats. Computing log(sigmoid(l)) or log(1 - sigmoid(l)) directly gives "
            "log(0) = -inf in float32 for large |l|: use F.binary_cross_entropy_with_logits (or F.logsigmoid), which "
            "is computed stably."
        )
    stable = "Use F.binary_cross_entropy_with_logits, which stays exact for large logits (log(sigmoid(l)) does not)."
    assert_close(found, expected, what="log_prob of an image with logits of +-200 (nats)", rtol=1e-4, atol=1e-3,
                 hint=_diagnose(found, expected, 6, default=stable))


@pytest.mark.points(1)
def test_log_prob_is_normalised(submission):
    """Do the probabilities exp(log_prob) of all 64 binary 2x3 images sum to one (FVSBN with random weights)?"""
    model = randomize_parameters(submission.FVSBN(image_shape=TINY), what="FVSBN", weight=2.0, bias=1.0).double()
    assert_normalised(model.log_prob, TINY, what="exp(log_prob) of the FVSBN", hint=HINT)


@pytest.mark.points(1)
def test_log_prob_gradients(submission):
    """Are the gradients of log_prob with respect to the weights right (float64 gradcheck)?"""
    model = randomize_parameters(submission.FVSBN(image_shape=TINY), what="FVSBN")
    images = torch.randint(0, 2, (4, 1, *TINY)).double()
    assert_module_gradcheck(model, method(MODEL, "log_prob", images), what="log_prob of 4 images",
                            hint="Compute log_prob from the logits with differentiable torch operations only.")
