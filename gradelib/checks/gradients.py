"""Gradients of a student's loss checked against finite differences, in float64.

``torch.autograd.gradcheck`` compares the gradients that autograd computes with central finite
differences. A loss that leaves the graph (``.detach()``, ``.data``, ``.item()``, NumPy) or that
changes weights in place gets gradients that disagree with how its value changes::

    assert_module_gradcheck(model, lambda m: m.log_prob(images).sum(), what="NADE's log-likelihood")
"""

from __future__ import annotations

import re
from collections.abc import Callable

import torch
from torch import Tensor, nn
from torch.autograd.gradcheck import GradcheckError

from gradelib.checks.failures import CheckFailure

__all__ = ["assert_gradcheck", "assert_module_gradcheck"]

_LEAVES_GRAPH = (
    "Did it leave the autograd graph (.detach(), .data, .item(), torch.no_grad, NumPy) or change a tensor in place?"
)


def assert_gradcheck(
    fn: Callable[..., Tensor],
    inputs: dict[str, Tensor],
    *,
    what: str,
    hint: str | None = None,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    fast_mode: bool = True,
) -> None:
    """Check autograd's gradients of ``fn(**inputs)`` against finite differences, in float64.

    Inputs:
        fn: maps float64 tensors (keyword arguments) to a tensor.
        inputs: name -> float64 tensor; all are differentiated (requires_grad is set here).
        what: names the function, e.g. "log_prob of 4 images".
        hint: likely cause of a mismatch.
        fast_mode: gradcheck's fast mode (compares random projections of the Jacobians: one
            finite difference per input instead of one per entry of each input; a wrong gradient
            escapes it only by a coincidence of the random projections).

    Raises:
        CheckFailure: the output is not differentiable in the inputs, or a gradient is wrong; the
        message names the input whose gradient is wrong.
    """
    names = list(inputs)
    values = tuple(inputs[name].detach().to(torch.float64).clone().requires_grad_(True) for name in names)

    def wrapped(*args: Tensor) -> Tensor:
        return fn(**dict(zip(names, args, strict=True)))

    out = wrapped(*values)
    if not isinstance(out, Tensor) or not out.requires_grad:
        raise CheckFailure.build(
            f"{what} is not differentiable with respect to {', '.join(names)}: autograd cannot compute its "
            f"gradient, so training cannot update the weights. {_LEAVES_GRAPH}",
            cause=hint,
        )
    try:
        torch.autograd.gradcheck(
            wrapped, values, eps=eps, atol=atol, rtol=rtol, raise_exception=True, fast_mode=fast_mode
        )
    except GradcheckError as error:
        match = re.search(r"input (\d+)", str(error))
        culprit = names[int(match.group(1))] if match and int(match.group(1)) < len(names) else "an input"
        raise CheckFailure.build(
            f"The gradient of {what} with respect to {culprit} disagrees with finite differences (float64 "
            f"gradcheck): autograd computes a gradient that does not describe how the value changes. "
            f"{_LEAVES_GRAPH}",
            cause=hint,
        ) from None


def assert_module_gradcheck(
    module: nn.Module,
    loss: Callable[[nn.Module], Tensor],
    *,
    what: str,
    hint: str | None = None,
    include: Callable[[str], bool] | None = None,
) -> None:
    """Gradcheck of ``loss(module)`` with respect to the module's parameters, in float64.

    The module is converted to float64 in place; the parameters are swapped for the checked
    tensors with ``torch.func.functional_call`` on a wrapper, so any method of the module (not only
    ``forward``) can be checked.

    Inputs:
        module: the student's module (use a small one: every parameter entry costs two evaluations).
        loss: maps the module to a tensor, e.g. ``lambda m: m.log_prob(images)``; inputs it builds must be float64.
        what: names the loss.
        include: parameter name -> whether to check it (default: all).
    """
    module = module.double()
    params = {name: p for name, p in module.named_parameters() if include is None or include(name)}
    if not params:
        raise CheckFailure.build(
            f"{what}: the model has no parameters to differentiate", cause="Keep the parameters given in the skeleton."
        )

    class _Call(nn.Module):
        def __init__(self, inner: nn.Module) -> None:
            super().__init__()
            self.inner = inner

        def forward(self) -> Tensor:
            return loss(self.inner)

    wrapper = _Call(module)
    keys = {name: f"p{i}" for i, name in enumerate(params)}

    def fn(**tensors: Tensor) -> Tensor:
        return torch.func.functional_call(wrapper, {f"inner.{name}": tensors[keys[name]] for name in params}, ())

    inputs = {keys[name]: p.detach() for name, p in params.items()}
    try:
        assert_gradcheck(fn, inputs, what=what, hint=hint)
    except CheckFailure as failure:
        text = str(failure)
        for name, key in keys.items():
            text = text.replace(f"respect to {key}", f"respect to the parameter `{name}`")
        text = text.replace(", ".join(keys.values()), "its parameters")
        raise CheckFailure(text) from None
