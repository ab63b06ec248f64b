"""Hidden tests of Part 5: PixelCNN's layers and forward.

PixelCNN's logits are scored with the grader's own Bernoulli log-likelihood, so these tests do
not depend on the student's ``log_prob``.
"""

import pytest
import torch
from ar_helpers import grader_log_prob, log_prob_expression, logits_of

from gradelib.checks import (
    CheckFailure,
    assert_autoregressive,
    assert_close,
    assert_module_gradcheck,
    assert_normalised,
    assert_runs_on_meta,
    left_and_up,
)
from gradelib.checks.weights import copy_weights, set_parameters
from gradelib.sandbox.expr import DEVICE, MODEL, call, method
from gradelib.sandbox.probes import parameter_shapes, to_device

LAYERS_HINT = (
    "The first layer (input_conv) must be type A, every later layer type B; forward applies input_conv, a ReLU, "
    "each hidden conv followed by a ReLU, then output_conv."
)


def _pixelcnn(module, image_shape, **kwargs):
    return module.PixelCNN(image_shape=image_shape, **kwargs)


def _refuse_clipped_logits(module, image_shape, device) -> None:
    """A ReLU after output_conv makes every logit >= 0 (and kills the gradient of the negative ones): say so.

    Measured on a fresh PixelCNN whose output bias is -1, so that a correct forward gives negative logits.
    """
    model = _pixelcnn(module, image_shape, hidden_channels=8, num_hidden_layers=2, kernel_size=5)
    if "output_conv.bias" in parameter_shapes(model):
        set_parameters(model, what="PixelCNN", **{"output_conv.bias": torch.full((1,), -1.0)})
    images = torch.randint(0, 2, (4, 1, *image_shape), device=device).float()
    logits = logits_of(model.to(device), images, what="PixelCNN's forward")
    if not bool((logits < 0).any()):
        raise CheckFailure(
            f"PixelCNN's logits of {images.shape[0]} random images are never negative, even with output_conv's bias "
            "set to -1: a ReLU (or another clipping) after output_conv cuts them at 0, so no pixel can be more likely "
            "0 than 1, and the negative ones pass no gradient. A logit must take any real value: forward ends with "
            "output_conv, with no ReLU after it."
        )


@pytest.mark.points(3)
def test_pixelcnn_is_autoregressive(submission, device):
    """Does each PixelCNN logit depend on its left and upper neighbours, and never on itself or later pixels?"""
    _refuse_clipped_logits(submission, (6, 6), device)
    model = _pixelcnn(submission, (6, 6), hidden_channels=8, num_hidden_layers=2, kernel_size=5).to(device)
    assert_autoregressive(
        model, (6, 6), what="PixelCNN's logits", required=left_and_up((6, 6)), device=device,
        hint_future="Check the mask types: the first layer reads the image and must be type A (centre excluded); "
                    "check also the centre row and column of the masks (kernel_size // 2).",
        hint_missing="A type-A first layer followed by type-B layers sees the left and upper neighbours; type-A "
                     "masks on later layers, or a mask that zeroes too much, lose them. " + LAYERS_HINT,
    )


@pytest.mark.points(2)
def test_pixelcnn_is_normalised(submission):
    """Do PixelCNN's probabilities of all 512 binary 3x3 images sum to one?"""
    model = _pixelcnn(submission, (3, 3), hidden_channels=6, num_hidden_layers=1, kernel_size=3).double()
    assert_normalised(lambda x: grader_log_prob(model, x, what="PixelCNN's forward"), (3, 3), what="PixelCNN's p(x)",
                      hint="The conditionals multiply to a distribution only if each logit uses earlier pixels only. "
                           + LAYERS_HINT)


@pytest.mark.points(2)
def test_pixelcnn_logits_match_reference(submission, reference, device):
    """Does PixelCNN's forward give the reference's logits on fixed weights (first kernel 3, hidden kernels 5)?"""
    kwargs = dict(hidden_channels=5, num_hidden_layers=2, kernel_size=3, hidden_kernel_size=5)
    expected_model = _pixelcnn(reference, (4, 5), **kwargs).to(device)
    model = copy_weights(_pixelcnn(submission, (4, 5), **kwargs), expected_model, what="PixelCNN",
                         shape_hint="This PixelCNN was built with kernel_size=3 and hidden_kernel_size=5: the first layer "
                                    "uses kernel_size, every hidden layer hidden_kernel_size (not a fixed number).").to(device)
    images = torch.randint(0, 2, (3, 1, 4, 5), device=device).float()
    found = logits_of(model, images, what="PixelCNN's forward")
    expected = expected_model(images)
    hint = LAYERS_HINT + " The given first line maps the input to {-1, +1}; keep it."
    if bool((found >= 0).all()) and bool((expected < 0).any()):
        hint = ("Your logits are never negative: a ReLU after output_conv clips them; forward ends with output_conv. "
                + hint)
    assert_close(found, expected, what="PixelCNN's logits of 3 images of shape (1, 4, 5) on fixed weights", hint=hint)


@pytest.mark.points(1)
def test_pixelcnn_gradients(submission):
    """Are the gradients of PixelCNN's log-likelihood with respect to its weights right (float64 gradcheck)?"""
    model = _pixelcnn(submission, (2, 3), hidden_channels=3, num_hidden_layers=1, kernel_size=3)
    images = torch.randint(0, 2, (2, 1, 2, 3)).double()
    assert_module_gradcheck(model, log_prob_expression(images, what="PixelCNN's forward"),
                            what="PixelCNN's log-likelihood of 2 images",
                            hint="Use the masked layers' outputs directly, with differentiable torch operations.")


@pytest.mark.points(1)
def test_pixelcnn_runs_on_any_device(submission):
    """Does PixelCNN's forward run on the device of its input (so that it runs on a GPU)?"""
    model = _pixelcnn(submission, (4, 4), hidden_channels=4, num_hidden_layers=1, kernel_size=3)
    assert_runs_on_meta(model, method(MODEL, "__call__", call(to_device, torch.zeros(2, 1, 4, 4), DEVICE)),
                        what="PixelCNN.forward")
