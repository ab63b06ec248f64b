"""The grader's own Bernoulli log-likelihood, to score a student's logits independently of their code.

    log_p = bernoulli_log_prob(model(images), images)  # (B,) nats
"""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor

__all__ = ["bernoulli_log_prob", "model_log_prob", "mean_nll"]


def bernoulli_log_prob(logits: Tensor, images: Tensor) -> Tensor:
    """Sum over pixels of log Bernoulli(x | sigmoid(logit)), computed stably, in nats.

    Inputs:
        logits: (B, ...) float tensor, one logit per pixel.
        images: (B, ...) float tensor of the same shape, values in {0, 1}.

    Returns:
        (B,) tensor: log p(x) = sum_i [x_i log sigmoid(l_i) + (1 - x_i) log(1 - sigmoid(l_i))], in nats.
    """
    if logits.shape != images.shape:
        raise ValueError(f"logits {tuple(logits.shape)} and images {tuple(images.shape)} differ in shape")
    terms = -F.binary_cross_entropy_with_logits(logits, images.to(logits.dtype), reduction="none")  # (B, ...)
    return terms.flatten(start_dim=1).sum(dim=1)  # (B,)


def model_log_prob(model, images: Tensor, *, what: str = "The model's forward") -> Tensor:
    """log p(x) in nats of each image from a model's logits, scored with :func:`bernoulli_log_prob`: (B,).

    Inputs:
        model: maps (B, 1, H, W) images to (B, 1, H, W) logits (a module, a callable, or a submission's object).
        images: (B, 1, H, W) binary images.

    Raises:
        CheckFailure: the model's output is not a tensor of the images' shape.
    """
    from gradelib.checks.failures import CheckFailure

    logits = model(images)
    if not isinstance(logits, Tensor) or logits.shape != images.shape:
        found = tuple(logits.shape) if isinstance(logits, Tensor) else type(logits).__name__
        raise CheckFailure(
            f"{what} should return logits of shape {tuple(images.shape)} for images of that shape, "
            f"one logit per pixel; found {found}."
        )
    return bernoulli_log_prob(logits, images)


def mean_nll(model, images: Tensor) -> Tensor:
    """The batch's mean negative log-likelihood in nats per image under a model's logits (a scalar)."""
    return -model_log_prob(model, images).mean()
