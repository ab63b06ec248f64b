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
from gradelib.sandbox.remote import probe

__all__ = ["assert_gradcheck", "assert_module_gradcheck", "gradcheck_report"]

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


@probe
def gradcheck_report(module: nn.Module, loss, inputs: dict | None = None, include: list[str] | None = None) -> dict:
    """Gradcheck, in float64, of ``loss`` with respect to the module's parameters (and ``inputs``), where it lives.

    The module is converted to float64 in place; the parameters are swapped for the checked tensors
    with ``torch.func.functional_call`` on a wrapper, so any method of the module (not only ``forward``)
    can be checked.

    Inputs:
        module: the module (use a small one: every parameter entry costs two evaluations).
        loss: ``loss(module, **inputs)`` for a local callable, or an expression with the variable MODEL (and
            one variable per input, e.g. X for ``inputs={"x": ...}``) giving a tensor.
        inputs: extra float tensors to differentiate, by variable name.
        include: names of the parameters to check (default: all).

    Returns:
        {"checked": [names], "differentiable": bool, "ok": bool, "culprit": name | None}.
    """
    from gradelib.sandbox.expr import Expr

    module = module.double()
    from gradelib.sandbox.probes import public_name

    params = {name: p for name, p in module.named_parameters() if include is None or public_name(name) in include}
    inputs = {name: value.detach().to(torch.float64) for name, value in (inputs or {}).items()}
    if not params and not inputs:
        return {"checked": [], "differentiable": False, "ok": False, "culprit": None}

    class _Call(nn.Module):
        def __init__(self, inner: nn.Module) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, **values: Tensor) -> Tensor:
            if isinstance(loss, Expr):
                return loss(model=self.inner, **values)
            return loss(self.inner, **values)

    wrapper = _Call(module)
    keys = {name: f"p{i}" for i, name in enumerate(params)}

    def fn(**tensors: Tensor) -> Tensor:
        swapped = {f"inner.{name}": tensors[keys[name]] for name in params}
        return torch.func.functional_call(wrapper, swapped, (), {name: tensors[name] for name in inputs})

    values = {keys[name]: p.detach() for name, p in params.items()}
    values.update(inputs)
    names = list(values)
    report = {"checked": [public_name(name) for name in params] + list(inputs), "differentiable": True,
              "ok": True, "culprit": None, "constant": False}
    try:
        leaves = {name: value.clone().requires_grad_(True) for name, value in values.items()}
        out = fn(**leaves)
        if isinstance(out, Tensor) and out.requires_grad:
            grads = torch.autograd.grad(out.sum(), [leaves[key] for key in keys.values()], allow_unused=True)
            report["constant"] = bool(keys) and all(g is None or not bool(g.abs().sum() > 0) for g in grads)
    except Exception:  # noqa: BLE001 - gradcheck below reports what is wrong
        pass
    try:
        assert_gradcheck(fn, values, what="the loss")
    except CheckFailure as failure:
        text = str(failure)
        report["ok"] = False
        report["differentiable"] = "is not differentiable" not in text
        reverse = {key: name for name, key in keys.items()}
        for name in names:
            if f"respect to {name} " in text:
                report["culprit"] = public_name(reverse.get(name, name))
    return report


def assert_module_gradcheck(
    module: nn.Module,
    loss,
    *,
    what: str,
    hint: str | None = None,
    include: list[str] | None = None,
    inputs: dict | None = None,
) -> None:
    """Gradcheck of ``loss(module)`` with respect to the module's parameters (and ``inputs``), in float64.

    Inputs:
        module: the student's module, local or in a submission process (see :func:`gradcheck_report`).
        loss: a callable ``loss(module, **inputs)`` (local modules), or an expression with MODEL (any module).
        what: names the loss.
        include: names of the parameters to check (default: all).
        inputs: extra tensors to differentiate, by variable name.

    Raises:
        CheckFailure: the loss is not differentiable, or the gradient of a named parameter is wrong.
    """
    from gradelib.sandbox.expr import Expr
    from gradelib.sandbox.probes import clone, evaluate_on

    # The loss must first compute a value in an ordinary call: a gradient check of code that does not run pays nothing.
    twin = clone(module).double()
    doubled = {name: value.detach().to(torch.float64) for name, value in (inputs or {}).items()}
    value = evaluate_on(twin, loss, doubled) if isinstance(loss, Expr) else loss(twin, **doubled)
    if not isinstance(value, Tensor) or not bool(torch.isfinite(value.detach()).all()):
        found = f"a {type(value).__name__}" if not isinstance(value, Tensor) else "non-finite values"
        raise CheckFailure(f"{what} should be a tensor of finite values before its gradient is checked; found {found}."
                           + (f" {hint}" if hint else ""))
    report = gradcheck_report(module, loss, inputs, include)
    if not isinstance(report, dict):
        raise CheckFailure(f"{what}: the gradient check could not read what happened (a malformed report).")
    if not report.get("checked"):
        raise CheckFailure(
            f"{what}: the model has no parameters to differentiate; keep the parameters given in the skeleton."
        )
    if not report.get("differentiable"):
        raise CheckFailure(
            f"{what} is not differentiable with respect to its parameters: autograd cannot compute its gradient, "
            f"so training cannot update the weights. {_LEAVES_GRAPH}" + (f" {hint}" if hint else "")
        )
    if report.get("ok") and report.get("constant"):
        raise CheckFailure(
            f"{what} does not depend on the model's parameters (every gradient is zero): a constant passes a gradient "
            "check, so this check counts only for a loss computed from the parameters, as the TODO asks."
            + (f" {hint}" if hint else "")
        )
    if not report.get("ok"):
        culprit = report.get("culprit")
        target = f"the parameter `{str(culprit)[:80]}`" if culprit else "its parameters"
        raise CheckFailure(
            f"The gradient of {what} with respect to {target} disagrees with finite differences (float64 "
            f"gradcheck): autograd computes a gradient that does not describe how the value changes. "
            f"{_LEAVES_GRAPH}" + (f" {hint}" if hint else "")
        )
