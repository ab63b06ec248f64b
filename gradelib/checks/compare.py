"""Compare a student's tensor with an expected one, with tolerances that float32 on CPU and GPU meet.

    assert_close(student_logits, reference_logits, what="NADE's logits on fixed weights",
                 hint="check formula (7)")
"""

from __future__ import annotations

import torch
from torch import Tensor

from gradelib.checks.failures import CheckFailure

__all__ = ["FLOAT32_RTOL", "FLOAT32_ATOL", "assert_close", "assert_shape", "as_tensor"]

#: Relative tolerance met by float32 computations of the same formula on CPU and GPU (TF32 off).
FLOAT32_RTOL = 1e-4
#: Absolute tolerance for values of order one, in float32.
FLOAT32_ATOL = 1e-4


def as_tensor(value, what: str) -> Tensor:
    """The student's value as a tensor, or a CheckFailure saying that a tensor was expected."""
    if type(value) is Tensor or type(value) is torch.nn.Parameter:
        return value
    if isinstance(value, Tensor):  # a subclass may bring its own comparisons: never trust them
        raise CheckFailure.build(what, expected="a plain torch.Tensor", found=f"a {type(value).__name__}",
                                 cause="Return ordinary tensors, not instances of a subclass of torch.Tensor.")
    raise CheckFailure.build(what, expected="a torch.Tensor", found=f"a {type(value).__name__}")


def assert_shape(found, shape: tuple[int, ...], *, what: str, hint: str | None = None) -> Tensor:
    """Check that ``found`` is a tensor of exactly ``shape``; return it.

    Inputs:
        found: the student's value.
        shape: the expected shape, e.g. (B, 1, H, W).
    """
    found = as_tensor(found, what)
    if tuple(found.shape) != tuple(shape):
        raise CheckFailure.build(
            what, expected=f"shape {tuple(shape)}", found=f"shape {tuple(found.shape)}", cause=hint
        )
    return found


def assert_close(
    found,
    expected: Tensor,
    *,
    what: str,
    hint: str | None = None,
    rtol: float = FLOAT32_RTOL,
    atol: float = FLOAT32_ATOL,
    max_shown: int = 3,
) -> None:
    """Check that the student's tensor equals the expected one within ``atol + rtol * |expected|``.

    Inputs:
        found: the student's tensor, any shape.
        expected: the expected tensor, same shape (compared on the CPU, in float64).
        what: what the values are, e.g. "log_prob of 8 images (nats)".
        hint: the likely cause of a mismatch.
        rtol, atol: tolerances, elementwise.
        max_shown: how many mismatching entries the message lists.

    Raises:
        CheckFailure: wrong type, wrong shape, NaN or infinite values, or values too far apart; the
        message lists the first mismatching entries (index, value found, size of the error). It never
        prints the expected values: they come from the reference solution on hidden inputs.
    """
    found = as_tensor(found, what)
    if tuple(found.shape) != tuple(expected.shape):
        raise CheckFailure.build(
            what, expected=f"shape {tuple(expected.shape)}", found=f"shape {tuple(found.shape)}", cause=hint
        )
    f = found.detach().to("cpu", torch.float64)
    e = expected.detach().to("cpu", torch.float64)
    bad_values = ~torch.isfinite(f) & torch.isfinite(e)
    if bad_values.any():
        index = tuple(int(i) for i in bad_values.nonzero()[0])
        raise CheckFailure.build(
            what,
            expected="finite values",
            found=f"{f[index].item()} at index {index} ({int(bad_values.sum())} non-finite entries)",
            cause=hint,
        )
    wrong = ~torch.isclose(f, e, rtol=rtol, atol=atol, equal_nan=True)
    if wrong.any():
        shown = []
        for idx in wrong.nonzero()[:max_shown]:
            index = tuple(int(i) for i in idx)
            error = abs(f[index].item() - e[index].item())
            shown.append(f"at {index}: {f[index].item():.6g} (off by {error:.3g})")
        count = int(wrong.sum())
        raise CheckFailure.build(
            what,
            expected=f"every value within {rtol:g} relative + {atol:g} absolute of the correct one",
            found=f"{count} of {wrong.numel()} values differ by more: " + "; ".join(shown),
            cause=hint,
        )
