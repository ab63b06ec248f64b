"""Shared helpers of the autoregressive hidden suite (imported by the test files as a sibling module).

The student's objects live in the submission process (see gradelib.sandbox): the tests build them
through the ``submission`` proxy, copy the reference's weights into them by name when a test compares
values, and score a model's logits with the grader's own Bernoulli log-likelihood here, so that each
group of tests depends only on the part of the notebook it grades.
"""

from __future__ import annotations

import copy

import torch
from torch import Tensor, nn

from gradelib.checks import all_binary_images, bernoulli_log_prob, model_log_prob
from gradelib.checks.likelihood import logits_of
from gradelib.checks.weights import set_parameters
from gradelib.sandbox.expr import MODEL, call

#: A 2x3 image has 64 binary outcomes: small enough to enumerate, big enough to have structure.
TINY = (2, 3)


def grader_log_prob(model, images: Tensor, *, what: str) -> Tensor:
    """log p(x) in nats of each image, from the model's logits and the grader's own likelihood: (N,)."""
    return bernoulli_log_prob(logits_of(model, images, what=what), images)


def log_prob_expression(images: Tensor, *, what: str):
    """The grader's log p(x) of ``images`` under MODEL, as an expression a probe evaluates where the model lives."""
    return call(model_log_prob, MODEL, images, what=what)


def sharp_fvsbn(module, image_shape: tuple[int, int] = TINY, *, weight_scale: float = 4.0, bias_scale: float = 1.0):
    """An FVSBN of ``module`` (student or reference) whose conditionals are sharp and strongly coupled."""
    model = module.FVSBN(image_shape=image_shape)
    D = image_shape[0] * image_shape[1]
    return set_parameters(model, what="FVSBN", weight=weight_scale * torch.randn(D, D), bias=bias_scale * torch.randn(D))


def exact_log_probs(reference_model: nn.Module, image_shape: tuple[int, int]) -> Tensor:
    """log p(x) of all 2^D binary images under a reference model, float64: (2^D,)."""
    model = copy.deepcopy(reference_model).double()
    images = all_binary_images(image_shape, device=next(model.parameters()).device, dtype=torch.float64)
    with torch.no_grad():
        return grader_log_prob(model, images, what="the reference").cpu()
