"""Helpers of gan's hidden suite: scalars from the student's values, models with the reference's weights."""

from __future__ import annotations

import torch

from gradelib.checks import CheckFailure
from gradelib.sandbox.probes import load_tensors, named_tensors


def scalar(value, what: str, hint: str = "average over the batch with .mean()") -> float:
    """The student's value as a float; it must be a tensor of one element."""
    if not isinstance(value, torch.Tensor):
        raise CheckFailure.build(what, expected="a scalar tensor", found=f"a {type(value).__name__}",
                                 cause="return a torch tensor computed from the inputs.")
    if value.numel() != 1:
        raise CheckFailure.build(what, expected="a scalar tensor (shape ())", found=f"shape {tuple(value.shape)}",
                                 cause=hint + ".")
    return float(value.detach().double())


def close(found: float, expected: float, rel: float = 1e-4, abs_tol: float = 1e-5) -> bool:
    """|found - expected| <= abs_tol + rel * |expected| (float32 on CPU and GPU meets rel 1e-4)."""
    return abs(found - expected) <= abs_tol + rel * abs(expected)


def copy_reference_weights(model, ref_model, what: str) -> None:
    """Copy the reference model's parameters and buffers into the student's, by name; fail if any is missing."""
    tensors = named_tensors(ref_model)
    copied = load_tensors(model, tensors)
    missing = sorted(set(tensors) - set(copied))
    if missing:
        raise CheckFailure.build(f"the layers of {what}", expected="the layers its docstring lists, as `net`",
                                 found=f"the grader could not set {missing[:4]} (missing or of another shape)",
                                 cause="build `net` as an nn.Sequential of exactly the listed layers, in that order.")


def twin(submission, reference, cls: str, *args, **kwargs):
    """(student's, reference's) instances of class ``cls`` with the same (the reference's random) weights, in eval mode."""
    torch.manual_seed(0)
    ref = getattr(reference, cls)(*args, **kwargs)
    model = getattr(submission, cls)(*args, **kwargs)
    copy_reference_weights(model, ref, f"{cls}({', '.join([*map(repr, args), *(f'{k}={v!r}' for k, v in kwargs.items())])})")
    model.eval()
    ref.eval()
    return model, ref


def ring_points(n: int, seed: int = 0) -> torch.Tensor:
    """(n, 2) points of the ring (the grader's data for short fits)."""
    from gradelib.data.ring import sample_ring

    return sample_ring(n, seed=seed)[0]
