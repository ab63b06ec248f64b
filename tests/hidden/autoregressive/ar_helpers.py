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

from gradelib.checks import CheckFailure, all_binary_images, bernoulli_log_prob, model_log_prob
from gradelib.sandbox.expr import MODEL, call
from gradelib.sandbox.probes import load_tensors, named_tensors, parameter_shapes

#: A 2x3 image has 64 binary outcomes: small enough to enumerate, big enough to have structure.
TINY = (2, 3)


def _names_hint(what: str, missing, extra) -> str:
    return (f"{what}'s parameters do not have the names given in the skeleton (the tests copy weights into "
            f"your model by name): missing {missing or 'none'}, unexpected {extra or 'none'}. Keep the names, "
            "shapes and layer types of the skeleton's __init__ and its TODO.")


def copy_weights(student, reference: nn.Module, *, what: str, shape_hint: str = ""):
    """Copy the reference's parameters (and same-named buffers) into the student's model (wherever it lives).

    Raises:
        CheckFailure: the parameter names or shapes differ from the skeleton's.
    """
    mine = parameter_shapes(student)
    theirs = {name: list(value.shape) for name, value in reference.named_parameters()}
    if set(mine) != set(theirs):
        raise CheckFailure(_names_hint(what, sorted(set(theirs) - set(mine)), sorted(set(mine) - set(theirs))))
    for name, shape in theirs.items():
        if list(mine[name]) != shape:
            raise CheckFailure(
                f"{what}'s parameter `{name}` has shape {tuple(mine[name])}; the skeleton gives it shape "
                f"{tuple(shape)}. Keep the layers and shapes described in the skeleton." + (f" {shape_hint}" if shape_hint else "")
            )
    load_tensors(student, {name: value.cpu() for name, value in named_tensors(reference).items()})
    return student


def set_parameters(model, *, what: str, **values: Tensor):
    """Give the model's named parameters these values (the names of the skeleton)."""
    copied = load_tensors(model, values)
    if set(copied) != set(values):
        shapes = parameter_shapes(model)
        missing = sorted(set(values) - set(copied))
        raise CheckFailure(_names_hint(what, [f"{n} {tuple(values[n].shape)}" for n in missing],
                                       [f"{n} {tuple(s)}" for n, s in shapes.items() if n not in values]))
    return model


def randomize(model, *, what: str, std: float = 1.0, mean: float = 0.0, **stds: float):
    """Draw every parameter from N(mean, std^2) here (seeded by the test) and set it in the model; ``stds`` per name."""
    shapes = parameter_shapes(model)
    values = {name: mean + stds.get(name, std) * torch.randn(shape) for name, shape in shapes.items()}
    return set_parameters(model, what=what, **values)


def logits_of(model, images: Tensor, *, what: str) -> Tensor:
    """The model's logits for ``images`` (N, 1, H, W), checked to have the same shape."""
    logits = model(images)
    if type(logits) is not Tensor or logits.shape != images.shape:
        found = tuple(logits.shape) if isinstance(logits, Tensor) else type(logits).__name__
        raise CheckFailure(
            f"{what} should return logits of shape {tuple(images.shape)} for images of that shape, "
            f"one logit per pixel; found {found}."
        )
    return logits


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
