"""Negative log-likelihood in nats per image, and its conversion to bits per dimension.

Units: a log-likelihood of one image is in nats (natural log). Bits per dimension divide the
NLL in bits (nats / ln 2) by the number of dimensions of one image (C * H * W), so
``bpd = nll_nats / (num_dims * ln 2)``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any

import torch
from torch import Tensor

__all__ = ["nats_to_bits_per_dim", "bits_per_dim_to_nats", "mean_nll_nats"]

_FloatOrTensor = float | Tensor


def nats_to_bits_per_dim(nll_nats: _FloatOrTensor, num_dims: int) -> _FloatOrTensor:
    """Convert an NLL per image in nats to bits per dimension.

    Inputs:
        nll_nats: NLL of one image in nats (float or tensor of any shape).
        num_dims: dimensions of one image, C * H * W (784 for MNIST).

    Returns:
        the same shape, in bits per dimension: ``nll_nats / (num_dims * ln 2)``.
    """
    if num_dims <= 0:
        raise ValueError(f"num_dims must be positive, got {num_dims}")
    return nll_nats / (num_dims * math.log(2.0))


def bits_per_dim_to_nats(bits_per_dim: _FloatOrTensor, num_dims: int) -> _FloatOrTensor:
    """Convert bits per dimension to an NLL per image in nats (inverse of :func:`nats_to_bits_per_dim`).

    Inputs:
        bits_per_dim: bits per dimension (float or tensor of any shape).
        num_dims: dimensions of one image, C * H * W.

    Returns:
        the same shape, NLL per image in nats: ``bits_per_dim * num_dims * ln 2``.
    """
    if num_dims <= 0:
        raise ValueError(f"num_dims must be positive, got {num_dims}")
    return bits_per_dim * num_dims * math.log(2.0)


@torch.no_grad()
def mean_nll_nats(
    log_prob_fn: Callable[[Tensor], Tensor],
    dataloader: Iterable[Any],
    device: str | torch.device = "cpu",
) -> float:
    """Mean negative log-likelihood per image, in nats, over a whole loader (no gradients).

    Inputs:
        log_prob_fn: maps images (B, C, H, W) on ``device`` to log-likelihoods (B,) in nats.
        dataloader: yields ``images`` or ``(images, labels, ...)`` batches.
        device: where the images are moved before ``log_prob_fn``.

    Returns:
        the mean over all images of ``-log_prob_fn(images)``, in nats per image (a float).
    """
    total, count = 0.0, 0
    for batch in dataloader:
        images = batch[0] if isinstance(batch, (tuple, list)) else batch
        images = images.to(device)
        B = images.shape[0]  # batch size
        log_prob = log_prob_fn(images)
        if log_prob.shape != (B,):
            raise ValueError(
                f"log_prob_fn must return one log-likelihood per image, shape ({B},); "
                f"got {tuple(log_prob.shape)}"
            )
        if not torch.isfinite(log_prob).all():
            raise ValueError("log_prob_fn returned a non-finite log-likelihood")
        total += float(-log_prob.double().sum())
        count += B
    if count == 0:
        raise ValueError("the dataloader yielded no images")
    return total / count
