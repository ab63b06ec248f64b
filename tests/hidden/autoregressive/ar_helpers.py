"""Shared helpers of the autoregressive hidden suite (imported by the test files as a sibling module).

The tests build the student's classes and the reference's classes with the same arguments, copy
the reference's weights into the student's model by name when a test compares values, and score
a model's logits with the grader's own Bernoulli log-likelihood, so that each group of tests
depends only on the part of the notebook it grades.
"""

from __future__ import annotations

import copy

import torch
from torch import Tensor, nn

from gradelib.checks import CheckFailure, all_binary_images, bernoulli_log_prob

#: A 2x3 image has 64 binary outcomes: small enough to enumerate, big enough to have structure.
TINY = (2, 3)


def copy_weights(student: nn.Module, reference: nn.Module, *, what: str) -> nn.Module:
    """Copy the reference's parameters (and same-named buffers) into the student's model.

    Raises:
        CheckFailure: the parameter names or shapes differ from the skeleton's.
    """
    mine = dict(student.named_parameters())
    theirs = dict(reference.named_parameters())
    if set(mine) != set(theirs):
        missing = sorted(set(theirs) - set(mine))
        extra = sorted(set(mine) - set(theirs))
        raise CheckFailure(
            f"{what}'s parameters do not have the names given in the skeleton (the tests copy weights into "
            f"your model by name): missing {missing or 'none'}, unexpected {extra or 'none'}. Keep the names, "
            "shapes and layer types of the skeleton's __init__ and its TODO."
        )
    for name, value in theirs.items():
        if mine[name].shape != value.shape:
            raise CheckFailure(
                f"{what}'s parameter `{name}` has shape {tuple(mine[name].shape)}; the skeleton gives it shape "
                f"{tuple(value.shape)}. Keep the layers and shapes described in the skeleton."
            )
    student_buffers = dict(student.named_buffers())
    with torch.no_grad():
        for name, value in theirs.items():
            mine[name].copy_(value)
        for name, value in reference.named_buffers():
            if name in student_buffers and student_buffers[name].shape == value.shape:
                student_buffers[name].copy_(value)
    return student


def logits_of(model: nn.Module, images: Tensor, *, what: str) -> Tensor:
    """The model's logits for ``images`` (N, 1, H, W), checked to have the same shape."""
    logits = model(images)
    if not isinstance(logits, Tensor) or logits.shape != images.shape:
        found = tuple(logits.shape) if isinstance(logits, Tensor) else type(logits).__name__
        raise CheckFailure(
            f"{what} should return logits of shape {tuple(images.shape)} for images of that shape, "
            f"one logit per pixel; found {found}."
        )
    return logits


def grader_log_prob(model: nn.Module, images: Tensor, *, what: str) -> Tensor:
    """log p(x) in nats of each image, from the model's logits and the grader's own likelihood: (N,)."""
    return bernoulli_log_prob(logits_of(model, images, what=what), images)


def sharp_fvsbn(module, image_shape: tuple[int, int] = TINY, *, weight_scale: float = 4.0, bias_scale: float = 1.0):
    """An FVSBN of ``module`` (student or reference) whose conditionals are sharp and strongly coupled."""
    model = module.FVSBN(image_shape=image_shape)
    D = image_shape[0] * image_shape[1]
    with torch.no_grad():
        model.weight.copy_(weight_scale * torch.randn(D, D))
        model.bias.copy_(bias_scale * torch.randn(D))
    return model


def exact_log_probs(reference_model: nn.Module, image_shape: tuple[int, int]) -> Tensor:
    """log p(x) of all 2^D binary images under a reference model, float64: (2^D,)."""
    model = copy.deepcopy(reference_model).double()
    images = all_binary_images(image_shape, device=next(model.parameters()).device, dtype=torch.float64)
    with torch.no_grad():
        return grader_log_prob(model, images, what="the reference").cpu()
