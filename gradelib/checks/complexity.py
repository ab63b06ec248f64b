"""How much work a computation does, counted operation by operation, and how it grows.

:func:`count_work` runs a function under a ``TorchDispatchMode`` that adds up, for every ATen
operation, the multiply-adds of matrix products and convolutions and the number of output
elements of everything else (views are free). The count is a machine-independent proxy for time:
it tells an O(DH) computation from an O(D^2 H) one without timing anything::

    small = count_work(lambda: model_8x8(x_8x8))
    large = count_work(lambda: model_16x16(x_16x16))
    assert_work_scales({64: small, 256: large}, max_exponent=1.4, what="NADE.forward", size_name="D")
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import torch
from torch.utils._python_dispatch import TorchDispatchMode

from gradelib.checks.failures import CheckFailure
from gradelib.sandbox.remote import probe

__all__ = ["count_work", "assert_work_scales"]

_aten = torch.ops.aten
_MATMULS = {_aten.mm.default, _aten.bmm.default, _aten.addmm.default, _aten.baddbmm.default}
_CONVOLUTIONS = {_aten.convolution.default}


class _WorkCounter(TorchDispatchMode):
    def __init__(self) -> None:
        super().__init__()
        self.work = 0

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        self.work += _work_of(func, args, out)
        return out


def _numel(value: Any) -> int:
    if isinstance(value, torch.Tensor):
        return value.numel()
    if isinstance(value, (tuple, list)):
        return sum(_numel(v) for v in value)
    return 0


def _work_of(func, args, out) -> int:
    if func in _MATMULS:
        a, b = (args[0], args[1]) if func in (_aten.mm.default, _aten.bmm.default) else (args[1], args[2])
        return _numel(out) * a.shape[-1]
    if func in _CONVOLUTIONS:
        weight = args[1]  # (out_channels, in_channels / groups, *kernel)
        return _numel(out) * weight.shape[1] * math.prod(weight.shape[2:])
    if getattr(func, "is_view", False):
        return 0
    return _numel(out)


@probe
def count_work(fn: Callable[[], Any]) -> int:
    """Run ``fn()`` (a callable or an expression without variables) where it lives and return its work:
    multiply-adds of matrix products and convolutions plus the
    output elements of every other non-view ATen operation (backward included if ``fn`` runs it)."""
    counter = _WorkCounter()
    with counter:
        fn()
    return counter.work


def assert_work_scales(
    work: dict[int, int], *, max_exponent: float, what: str, size_name: str = "n", hint: str | None = None
) -> float:
    """Check that work grows at most like size ** max_exponent between the smallest and largest size.

    Inputs:
        work: size -> work counted at that size (at least two sizes).
        max_exponent: largest accepted exponent, e.g. 1.4 to accept linear and reject quadratic growth.
        what: names the computation; size_name names the size (e.g. "D, the number of pixels").

    Returns:
        The measured exponent log(work ratio) / log(size ratio).
    """
    sizes = sorted(work)
    small, large = sizes[0], sizes[-1]
    exponent = math.log(max(work[large], 1) / max(work[small], 1)) / math.log(large / small)
    if exponent > max_exponent:
        raise CheckFailure.build(
            f"{what} does too much work as {size_name} grows",
            expected=f"work growing at most like {size_name}^{max_exponent:g}",
            found=f"from {size_name} = {small} to {large} ({large / small:g} times more) its work grew "
            f"{work[large] / max(work[small], 1):.1f} times, like {size_name}^{exponent:.2f}",
            cause=hint,
        )
    return exponent
