"""Device portability without a GPU: run a module on PyTorch's "meta" device.

A meta tensor has a shape and a dtype but no data, so any computation runs instantly. A module
that creates a tensor on the CPU inside ``forward`` (``torch.zeros(B, H)`` without
``device=x.device``) mixes devices, and PyTorch raises "Tensor on device cpu is not on the
expected device meta": the same bug that fails on a GPU grader::

    assert_runs_on_meta(model, lambda m, device: m(torch.zeros(2, 1, 8, 8, device=device)),
                        what="NADE.forward")
"""

from __future__ import annotations

import torch
from torch import nn

from gradelib.checks.failures import CheckFailure, failure_message
from gradelib.sandbox.remote import probe

__all__ = ["META", "assert_runs_on_meta"]

META = torch.device("meta")

_MIXED_DEVICE_PATTERNS = (
    "on device cpu is not on the expected device meta",
    "on device meta is not on the expected device cpu",
    "expected all tensors to be on the same device",
)
#: Errors that say only that an operation cannot run on meta tensors: the check cannot decide then.
_META_LIMITATION_PATTERNS = (
    "'Meta' backend",
    "meta tensors",
    "meta tensor",
    "data-dependent",
    "cannot be called on meta",
)


@probe
def run_on_meta(module: nn.Module, call) -> dict:
    """Move ``module`` to the meta device and run ``call`` there (where the module lives); report what happened.

    Inputs:
        module: the student's module (a fresh one: its weights are lost).
        call: a callable ``call(module, device)``, or an expression with the variables MODEL and DEVICE.

    Returns:
        {"status": "ok" | "mixed" | "undecidable" | "wrong_output_device", "evidence": str}. Any other exception
        of the student's code propagates (NotImplementedError of a stub included).
    """
    from gradelib.sandbox.expr import Expr

    module = module.to(META)
    try:
        out = call(model=module, device=META) if isinstance(call, Expr) else call(module, META)
    except (RuntimeError, ValueError, NotImplementedError) as error:
        text = str(error)
        if isinstance(error, NotImplementedError) and not text:
            raise
        if any(pattern.lower() in text.lower() for pattern in _MIXED_DEVICE_PATTERNS):
            return {"status": "mixed", "evidence": f'PyTorch said: "{text.splitlines()[0][:300]}"'}
        if any(pattern.lower() in text.lower() for pattern in _META_LIMITATION_PATTERNS) and "cpu" not in text.lower():
            return {"status": "undecidable", "evidence": text.splitlines()[0][:300]}
        raise
    outputs = out if isinstance(out, (tuple, list)) else [out]
    for value in outputs:
        if isinstance(value, torch.Tensor) and value.device != META:
            return {"status": "wrong_output_device",
                    "evidence": f"its output is on device {value.device}, not on the input's device"}
    return {"status": "ok", "evidence": ""}


def assert_runs_on_meta(module: nn.Module, call, *, what: str, hint: str | None = None) -> bool:
    """Move ``module`` to the meta device and run ``call`` there; fail on mixed devices.

    Inputs:
        module: the student's module (local or in a submission process); it is moved to the meta device.
        call: ``call(module, device)`` for a local module; for a module in a submission process, an expression
            with the variables MODEL and DEVICE, e.g. ``method(MODEL, "__call__", call(to_device, x, DEVICE))``.
        what: the method, e.g. "NADE.forward".
        hint: extra advice for the message.

    Returns:
        True if the call ran on the meta device; False if an operation it uses has no meta
        implementation or needs data (``.item()``), so that portability could not be decided (no failure).

    Raises:
        CheckFailure: a tensor on the CPU met a meta tensor (or an output is not on the meta device).
    """
    from gradelib.checks.honesty import assert_responds

    assert_responds(module, call, what=what)
    report = run_on_meta(module, call)
    status = report.get("status") if isinstance(report, dict) else None
    if status == "ok":
        return True
    if status == "undecidable":
        return False
    if status in ("mixed", "wrong_output_device"):
        raise CheckFailure(_message(what, hint, str(report.get("evidence", ""))[:400]))
    raise CheckFailure(f"{what}: the device check could not read what happened (a malformed report).")


def _message(what: str, hint: str | None, evidence: str) -> str:
    return failure_message(
        f"{what} does not run on the device of its input: the check moved the model and its input to another "
        f"device (PyTorch's 'meta' device, which stands in for a GPU) and {evidence}. A tensor created inside "
        "a method without a device (torch.zeros(...), torch.ones(...), torch.arange(...), torch.tensor(...)) "
        "lives on the CPU: create it with device=x.device (or torch.zeros_like(x), x.new_zeros(...)), or register "
        "constant tensors as buffers in __init__, so that your code runs on a GPU too.",
        cause=hint,
    )
