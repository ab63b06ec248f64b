"""Exact normalisation on tiny images: the probabilities of all 2^D binary images sum to one.

    images = all_binary_images((2, 3))                           # (64, 1, 2, 3)
    assert_normalised(model.log_prob, (2, 3), what="NADE")       # logsumexp == 0
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor

from gradelib.checks.failures import CheckFailure

__all__ = ["MAX_ENUMERATED_PIXELS", "all_binary_images", "outcome_index", "outcome_name", "assert_normalised"]

#: Enumeration is exponential: at most 2^16 images.
MAX_ENUMERATED_PIXELS = 16


def all_binary_images(image_shape: tuple[int, int], *, device=None, dtype: torch.dtype = torch.float32) -> Tensor:
    """Every binary image of a tiny shape, in the order of :func:`outcome_index`.

    Image k has pixel i (raster order) equal to bit (D - 1 - i) of k: the first pixel is the most
    significant bit.

    Returns:
        (2^D, 1, H, W) tensor with values in {0, 1}.
    """
    H, W = image_shape  # height, width
    D = H * W
    if D > MAX_ENUMERATED_PIXELS:
        raise ValueError(f"{D} pixels is too many to enumerate (at most {MAX_ENUMERATED_PIXELS})")
    k = torch.arange(2**D, device=device).unsqueeze(1)  # (2^D, 1)
    shifts = torch.arange(D - 1, -1, -1, device=device)  # (D,)
    bits = (k >> shifts) & 1  # (2^D, D)
    return bits.to(dtype).reshape(2**D, 1, H, W)


def outcome_index(images: Tensor) -> Tensor:
    """The index k of each binary image in :func:`all_binary_images` (inverse map).

    Inputs:
        images: (N, ...) tensor with values in {0, 1} (D values per image).

    Returns:
        (N,) int64 CPU tensor.
    """
    bits = images.detach().reshape(images.shape[0], -1).round().to("cpu", torch.int64)  # (N, D)
    D = bits.shape[1]
    weights = 2 ** torch.arange(D - 1, -1, -1, dtype=torch.int64)  # (D,)
    return (bits * weights).sum(dim=1)


def outcome_name(index: int, image_shape: tuple[int, int]) -> str:
    """A binary image as rows of bits, e.g. "010/110" for a 2x3 image."""
    H, W = image_shape  # height, width
    bits = format(index, f"0{H * W}b")
    return "/".join(bits[r * W : (r + 1) * W] for r in range(H))


def assert_normalised(
    log_prob: Callable[[Tensor], Tensor],
    image_shape: tuple[int, int],
    *,
    what: str,
    hint: str | None = None,
    device=None,
    dtype: torch.dtype = torch.float64,
    atol: float = 1e-6,
    require_varying: bool = True,
) -> Tensor:
    """Check that exp(log_prob) sums to one over all binary images of ``image_shape``.

    Inputs:
        log_prob: maps (2^D, 1, H, W) images of ``dtype`` on ``device`` to (2^D,) log-probabilities in nats.
        image_shape: (H, W) with H * W <= 16.
        what: names the distribution, e.g. "NADE's p(x)".
        atol: tolerance on the log of the total, in nats (1e-6 in float64; use ~1e-4 in float32).
        require_varying: fail a distribution that gives every image the same probability (constant code).

    Returns:
        (2^D,) float64 CPU tensor of the log-probabilities.

    Raises:
        CheckFailure: wrong shape, non-finite values, a probability above one, or a total that is not one.
    """
    images = all_binary_images(image_shape, device=device, dtype=dtype)
    N = images.shape[0]
    H, W = image_shape
    with torch.no_grad():
        values = log_prob(images)
    if not isinstance(values, Tensor) or tuple(values.shape) != (N,):
        found = f"shape {tuple(values.shape)}" if isinstance(values, Tensor) else f"a {type(values).__name__}"
        raise CheckFailure.build(
            f"log p(x) of all {N} binary {H}x{W} images", expected=f"shape ({N},)", found=found, cause=hint
        )
    values = values.detach().to("cpu", torch.float64)
    if not torch.isfinite(values).all():
        k = int((~torch.isfinite(values)).nonzero()[0])
        raise CheckFailure.build(
            f"{what} on all {N} binary {H}x{W} images",
            expected="finite log-probabilities",
            found=f"{values[k].item()} for image {outcome_name(k, image_shape)}",
            cause=hint,
        )
    if values.max() > atol:
        k = int(values.argmax())
        raise CheckFailure.build(
            f"{what} on all {N} binary {H}x{W} images",
            expected="log-probabilities <= 0 (probabilities at most 1)",
            found=f"log p = {values[k].item():.4g} nats for image {outcome_name(k, image_shape)}",
            cause=hint,
        )
    if require_varying and float(values.max() - values.min()) < 1e-9:
        raise CheckFailure(
            f"{what} gives every one of the {N} binary {H}x{W} images the same probability: a uniform distribution "
            "sums to one whatever the model, so this check counts only for a model whose probabilities depend on "
            "its weights (these weights are random)." + (f" {hint}" if hint else "")
        )
    total = torch.logsumexp(values, dim=0).item()
    if abs(total) > atol:
        raise CheckFailure.build(
            f"{what}: the probabilities of all {N} binary {H}x{W} images should sum to 1",
            expected="log of the sum = 0 nats",
            found=f"a sum of {torch.exp(torch.tensor(total)).item():.6g} (log {total:.3g} nats)",
            cause=hint,
        )
    return values
