"""Probes for gradients of a student's function with respect to chosen inputs, with the randomness pinned.

Latent-variable models draw noise inside the function (the reparameterisation trick, a VQ layer's
straight-through estimator, an importance-weighted bound), so checking their gradients needs the
output and its gradients from one and the same call, and sometimes the same noise in two calls::

    report = backward_report(submission.reparameterize, [mu, logvar], seed=3)
    report["output"]                # z, from that call's noise
    report["input_grads"]           # [dz.sum()/dmu, dz.sum()/dlogvar] (None where no gradient reached)
    fn = call(seeded_call, 0, Attr(MODEL, "elbo"), X)   # x -> model.elbo(x) with torch seeded with 0 first

Both run where the student's objects live (:func:`backward_report` is a probe; :func:`seeded_call` is a
public function that expressions may call there).
"""

from __future__ import annotations

import torch
from torch import Tensor

from gradelib.sandbox.remote import probe

__all__ = ["seeded_call", "backward_report"]


def seeded_call(seed: int, fn, *args, **kwargs):
    """Seed torch's generators (CPU and every CUDA device) with ``seed``, then return ``fn(*args, **kwargs)``.

    In an expression (``call(seeded_call, 0, Attr(MODEL, "elbo"), X)``) it makes a function that draws noise
    deterministic, so that it can be compared between calls or checked by finite differences.
    """
    torch.manual_seed(seed)
    return fn(*args, **kwargs)


def _pick(output, select):
    if select is None:
        return output
    if isinstance(output, (tuple, list)):
        return output[select]
    if isinstance(output, dict):
        return output[select]
    raise TypeError(f"cannot select {select!r} from an output of type {type(output).__name__}")


def _detached(value):
    if isinstance(value, Tensor):
        return value.detach().clone()
    if isinstance(value, (tuple, list)):
        return [_detached(item) for item in value]
    if isinstance(value, dict):
        return {key: _detached(item) for key, item in value.items()}
    return value if isinstance(value, (int, float, str, bool, type(None))) else None


@probe
def backward_report(fn, inputs: list[Tensor], *, cotangent: Tensor | None = None, select=None, seed: int | None = None,
                    module=None) -> dict:
    """Call ``fn(*inputs)`` once, backpropagate ``(out * cotangent).sum()`` and report the gradients.

    Inputs:
        fn: a callable (a function or a bound method of the student's, or an expression with X bound to the
            list of inputs is not supported: pass the callable itself).
        inputs: floating tensors; each is made a leaf that requires a gradient.
        cotangent: weights of the output's entries (default: all ones, i.e. the gradient of ``out.sum()``).
        select: when ``fn`` returns a tuple, list or dict, the index or key of the output to differentiate.
        seed: seed torch's generators with this before the call (pins the noise drawn inside ``fn``).
        module: an ``nn.Module`` whose parameters' gradients are reported too (its grads are zeroed first).

    Returns:
        {"output": fn's whole output (detached), "input_grads": [gradient or None per input],
         "parameter_grads": {name: gradient or None} (empty without ``module``),
         "differentiable": whether the selected output required a gradient at all}.
    """
    leaves = [value.detach().clone().requires_grad_(True) for value in inputs]
    params = dict(module.named_parameters()) if module is not None else {}
    for value in params.values():
        value.grad = None
    if seed is not None:
        torch.manual_seed(seed)
    output = fn(*leaves)
    chosen = _pick(output, select)
    report = {"output": _detached(output), "input_grads": [None] * len(leaves),
              "parameter_grads": {name: None for name in params}, "differentiable": False}
    if not (isinstance(chosen, Tensor) and chosen.requires_grad):
        return report
    weights = torch.ones_like(chosen) if cotangent is None else cotangent.to(chosen.device, chosen.dtype)
    targets = leaves + list(params.values())
    grads = torch.autograd.grad((chosen * weights).sum(), targets, allow_unused=True)
    report["differentiable"] = True
    report["input_grads"] = [None if g is None else g.detach().clone() for g in grads[: len(leaves)]]
    report["parameter_grads"] = {name: None if g is None else g.detach().clone()
                                 for name, g in zip(params, grads[len(leaves):], strict=True)}
    return report
