"""Honest points: a property that a constant output satisfies pays only for code that computes something.

Many properties hold for a method that ignores its weights and inputs: zeros run on any device, cost
nothing, and uniform logits make a normalised distribution. :func:`assert_responds` is the precondition
of such checks: the method's output must change when the module's weights change.

    assert_responds(model, method(MODEL, "__call__", images), what="NADE.forward")
"""

from __future__ import annotations

import copy

import torch

from gradelib.checks.failures import CheckFailure
from gradelib.sandbox.remote import probe

__all__ = ["outputs_change_with_weights", "assert_responds"]


def _flatten(value) -> list[torch.Tensor]:
    if isinstance(value, torch.Tensor):
        return [value.detach().to("cpu", torch.float64).flatten()]
    if isinstance(value, (tuple, list)):
        return [t for item in value for t in _flatten(item)]
    if isinstance(value, dict):
        return [t for item in value.values() for t in _flatten(item)]
    return []


@probe
def outputs_change_with_weights(module, call, *, seed: int = 0) -> bool:
    """Evaluate ``call`` (an expression with MODEL and DEVICE, or ``call(module, device)``) on a copy of the module
    before and after
    adding N(0, 1) noise to every floating-point parameter (with the random generators reseeded alike); do the
    outputs differ?"""
    from gradelib.sandbox.expr import Expr

    def run(model) -> list[torch.Tensor]:
        torch.manual_seed(seed)
        with torch.no_grad():
            cpu = torch.device("cpu")
            out = call(model=model, device=cpu) if isinstance(call, Expr) else call(model, cpu)
        return _flatten(out)

    original = copy.deepcopy(module)
    before = run(original)
    changed = copy.deepcopy(module)
    generator = torch.Generator().manual_seed(seed + 1)
    with torch.no_grad():
        for parameter in changed.parameters():
            if parameter.is_floating_point():
                parameter.add_(torch.randn(parameter.shape, generator=generator).to(parameter.device, parameter.dtype))
    after = run(changed)
    if len(before) != len(after) or not before:
        return True
    pairs = zip(before, after, strict=False)
    return any(a.shape != b.shape or not torch.allclose(a, b, rtol=1e-6, atol=1e-9) for a, b in pairs)


def assert_responds(module, call, *, what: str) -> None:
    """Fail unless ``call``'s output changes when the module's weights change (the output is computed, not constant)."""
    if not outputs_change_with_weights(module, call):
        raise CheckFailure(
            f"{what} returns the same output whatever the model's weights: it does not compute anything yet. "
            "This check (device, cost or normalisation) only counts for code that computes its output from the "
            "weights and the input, as its TODO asks."
        )
