"""Give a student's model known weights, by the parameter names of the skeleton (wherever the model lives).

Tests that compare values copy the reference's weights into the student's model, or set them::

    model = copy_weights(submission.NADE(image_shape=(4, 5), hidden_size=7), reference_model, what="NADE")
    set_parameters(model, what="FVSBN", weight=torch.zeros(12, 12), bias=torch.zeros(12))
    randomize_parameters(model, what="FVSBN", weight=2.0, bias=1.0)   # N(0, std^2) drawn here, seeded by the test

A model whose parameters do not have the skeleton's names or shapes fails with a message saying which.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from gradelib.checks.failures import CheckFailure
from gradelib.sandbox.probes import load_tensors, named_tensors, parameter_shapes

__all__ = ["copy_weights", "set_parameters", "randomize_parameters"]


def _names_message(what: str, missing, extra) -> str:
    return (f"{what}'s parameters do not have the names given in the skeleton (the tests copy weights into "
            f"your model by name): missing {missing or 'none'}, unexpected {extra or 'none'}. Keep the names, "
            "shapes and layer types of the skeleton's __init__ and its TODO.")


def copy_weights(student, reference: nn.Module, *, what: str, shape_hint: str = ""):
    """Copy the reference's parameters (and same-named buffers) into the student's model; return the model.

    Raises:
        CheckFailure: the parameter names or shapes differ from the skeleton's (``shape_hint`` adds a likely cause).
    """
    mine = parameter_shapes(student)
    theirs = {name: list(value.shape) for name, value in reference.named_parameters()}
    if set(mine) != set(theirs):
        raise CheckFailure(_names_message(what, sorted(set(theirs) - set(mine)), sorted(set(mine) - set(theirs))))
    for name, shape in theirs.items():
        if list(mine[name]) != shape:
            raise CheckFailure(
                f"{what}'s parameter `{name}` has shape {tuple(mine[name])}; the skeleton gives it shape "
                f"{tuple(shape)}. Keep the layers and shapes described in the skeleton."
                + (f" {shape_hint}" if shape_hint else "")
            )
    load_tensors(student, {name: value.cpu() for name, value in named_tensors(reference).items()})
    return student


def set_parameters(model, *, what: str, **values: Tensor):
    """Give the model's named parameters these values (the names of the skeleton); return the model."""
    copied = load_tensors(model, values)
    if set(copied) != set(values):
        shapes = parameter_shapes(model)
        missing = sorted(set(values) - set(copied))
        raise CheckFailure(_names_message(what, [f"{n} {tuple(values[n].shape)}" for n in missing],
                                          [f"{n} {tuple(s)}" for n, s in shapes.items() if n not in values]))
    return model


def randomize_parameters(model, *, what: str, std: float = 1.0, mean: float = 0.0, **stds: float):
    """Draw every parameter from N(mean, std^2) here (seeded by the test; ``stds`` per name) and set it in the model."""
    shapes = parameter_shapes(model)
    values = {name: mean + stds.get(name, std) * torch.randn(shape) for name, shape in shapes.items()}
    return set_parameters(model, what=what, **values)
