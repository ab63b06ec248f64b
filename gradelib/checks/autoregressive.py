"""The autoregressive property, read off the Jacobian of a model's outputs with respect to its input.

For an image of shape (H, W) read in raster order (pixel i = (i // W, i % W)), output i of an
autoregressive model may depend only on inputs j < i. :func:`dependency_matrix` measures which
inputs each output depends on; :func:`assert_autoregressive` checks that no output depends on
itself or a later input, and that each output does depend on the inputs it should::

    assert_autoregressive(model, (8, 8), what="NADE's logits", required="all_earlier",
                          hint="check the shift of the running sum")
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import torch
from torch import Tensor

from gradelib.checks.failures import CheckFailure
from gradelib.sandbox.remote import probe

__all__ = [
    "pixel_name",
    "default_probes",
    "dependency_matrix",
    "left_and_up",
    "assert_autoregressive",
]

#: A required-dependency rule: pixel index i -> the indices j < i it must depend on.
Required = Callable[[int], Iterable[int]]


def pixel_name(index: int, image_shape: tuple[int, int]) -> str:
    """Raster index -> "(row, col)", the way a student finds a pixel in an image."""
    W = image_shape[1]  # width
    return f"({index // W}, {index % W})"


def default_probes(image_shape: tuple[int, int], num_probes: int = 3, device=None) -> Tensor:
    """Inputs at which dependencies are measured: random binary images and one image of grey values.

    Returns:
        (num_probes, 1, H, W) float32 tensor; the last probe has values in [0.1, 0.9].
    """
    H, W = image_shape  # height, width
    probes = torch.randint(0, 2, (num_probes, 1, H, W)).float()
    probes[-1] = 0.1 + 0.8 * torch.rand(1, H, W)
    return probes.to(device) if device is not None else probes


@probe
def dependency_matrix(fn: Callable[[Tensor], Tensor], probes: Tensor, *, what: str = "the model's output") -> Tensor:
    """Which inputs each output depends on, at any of the probe images.

    One backward pass per probe: the probe is repeated D times in a batch, and image i of the
    batch is differentiated only through its output i (so ``fn`` must treat images independently).

    Inputs:
        fn: maps (N, 1, H, W) images to (N, ...) outputs with D = H * W values per image: a module, a
            callable, or an expression (:mod:`gradelib.sandbox.expr`); it runs where the model lives.
        probes: (P, 1, H, W) float tensor on the device that ``fn`` expects.
        what: names the output in messages.

    Returns:
        dep: (D, D) bool CPU tensor, dep[i, j] True iff output i depends on input j for some probe,
        i.e. |d out_i / d x_j| > 1e-6 times the largest entry of the Jacobian.

    Raises:
        CheckFailure: wrong output shape, or NaN/infinite gradients.
    """
    P, C, H, W = probes.shape  # probes, channels, height, width
    D = C * H * W
    jacobian = torch.zeros(D, D, dtype=torch.float64)
    for p in range(P):
        x = probes[p : p + 1].detach().repeat(D, 1, 1, 1).requires_grad_(True)  # (D, C, H, W)
        out = fn(x)
        if not isinstance(out, Tensor) or out.shape[0] != D or out[0].numel() != D:
            shape = tuple(out.shape) if isinstance(out, Tensor) else type(out).__name__
            raise CheckFailure.build(
                what, expected=f"shape ({D}, 1, {H}, {W}) for {D} input images of shape (1, {H}, {W})", found=str(shape)
            )
        out = out.reshape(D, D)  # (D images, D outputs)
        if not out.requires_grad:
            continue  # the output does not depend on the input at all (for instance constant logits)
        (grad,) = torch.autograd.grad(out.diagonal().sum(), x, allow_unused=True)
        if grad is None:
            continue
        grad = grad.detach().reshape(D, D).to("cpu", torch.float64)  # row i: d out_i / d x
        if not torch.isfinite(grad).all():
            raise CheckFailure.build(
                f"the gradients of {what} with respect to the input",
                expected="finite values",
                found="NaN or infinite values",
            )
        jacobian = torch.maximum(jacobian, grad.abs())
    scale = float(jacobian.max())
    if scale == 0.0:
        return torch.zeros(D, D, dtype=torch.bool)
    return jacobian > 1e-6 * scale


def left_and_up(image_shape: tuple[int, int]) -> Required:
    """Required dependencies of a convolutional model: the left neighbour and the upper neighbour."""
    W = image_shape[1]  # width

    def required(i: int) -> list[int]:
        r, c = divmod(i, W)
        return ([i - 1] if c > 0 else []) + ([i - W] if r > 0 else [])

    return required


def assert_autoregressive(
    fn: Callable[[Tensor], Tensor],
    image_shape: tuple[int, int],
    *,
    what: str,
    required: str | Required = "some_earlier",
    probes: Tensor | None = None,
    device=None,
    hint_future: str | None = None,
    hint_missing: str | None = None,
    max_listed: int = 3,
) -> Tensor:
    """Check that output i depends on no input j >= i, and on the inputs it should.

    Inputs:
        fn: maps (N, 1, H, W) images to (N, 1, H, W) outputs (e.g. a model's logits).
        image_shape: (H, W).
        what: names the outputs in messages, e.g. "NADE's logits".
        required: "some_earlier" (every pixel but the first depends on at least one earlier
            pixel), "all_earlier" (on every earlier pixel), "none", or a function i -> indices.
        probes: (P, 1, H, W) inputs to measure at; default :func:`default_probes` on ``device``.
        hint_future: likely cause when an output depends on itself or a later input.
        hint_missing: likely cause when a required dependency is missing.

    Returns:
        dep: the (D, D) bool dependency matrix.

    Raises:
        CheckFailure: naming pixels as (row, col), self-dependence first.
    """
    if probes is None:
        probes = default_probes(image_shape, device=device)
    dep = dependency_matrix(fn, probes, what=what)
    D = dep.shape[0]
    name = lambda i: pixel_name(i, image_shape)  # noqa: E731
    own = [i for i in range(D) if dep[i, i]]
    later = [(i, j) for i in range(D) for j in range(i + 1, D) if dep[i, j]]
    if own or later:
        parts = []
        if own:
            listed = ", ".join(name(i) for i in own[:max_listed])
            parts.append(
                f"the logit of pixel {name(own[0])} depends on pixel {name(own[0])} itself"
                f" ({len(own)} of {D} pixels depend on themselves: {listed}{', ...' if len(own) > max_listed else ''})"
            )
        if later:
            i, j = later[0]
            parts.append(
                f"the logit of pixel {name(i)} depends on the later pixel {name(j)}"
                f" ({len(later)} such pairs)"
            )
        raise CheckFailure.build(
            f"{what} are not autoregressive: " + "; ".join(parts) + ". In raster order (row by row, left to right) "
            "the logit of a pixel may depend only on the pixels before it, never on itself or later pixels; "
            "otherwise the model can copy a pixel instead of predicting it, and p(x) no longer sums to one.",
            cause=hint_future,
        )
    if required == "none":
        return dep
    missing = []
    for i in range(1, D):
        if required == "some_earlier":
            if not dep[i, :i].any():
                missing.append((i, None))
        else:
            needed = range(i) if required == "all_earlier" else required(i)
            missing.extend((i, j) for j in needed if not dep[i, j])
    if missing:
        i, j = missing[0]
        if j is None:
            first = f"the logit of pixel {name(i)} depends on none of the pixels before it"
        else:
            first = f"the logit of pixel {name(i)} does not depend on the earlier pixel {name(j)}"
        expectation = {
            "some_earlier": "each pixel's logit should depend on some earlier pixel",
            "all_earlier": "each pixel's logit should depend on every earlier pixel",
        }.get(
            required if isinstance(required, str) else "",
            "each pixel's logit should depend on its left and upper neighbours",
        )
        raise CheckFailure.build(
            f"{what} ignore pixels they should see: {first} ({len(missing)} such pairs); {expectation}.",
            cause=hint_missing,
        )
    return dep
