"""The grader's own Bernoulli log-likelihood, to score a student's logits independently of their code.

    log_p = bernoulli_log_prob(model(images), images)  # (B,) nats
"""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor

__all__ = ["bernoulli_log_prob", "logits_of", "model_log_prob", "mean_nll"]


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


def logits_of(model, images: Tensor, *, what: str = "The model's forward") -> Tensor:
    """The model's logits for ``images`` (B, 1, H, W): a plain tensor of the images' shape, else CheckFailure."""
    from gradelib.checks.failures import CheckFailure

    logits = model(images)
    if type(logits) is not Tensor or logits.shape != images.shape:
        found = tuple(logits.shape) if isinstance(logits, Tensor) else type(logits).__name__
        raise CheckFailure(
            f"{what} should return logits of shape {tuple(images.shape)} for images of that shape, "
            f"one logit per pixel; found {found}."
        )
    return logits


def model_log_prob(model, images: Tensor, *, what: str = "The model's forward") -> Tensor:
    """log p(x) in nats of each image from a model's logits (:func:`logits_of`), scored with
    :func:`bernoulli_log_prob`: (B,)."""
    return bernoulli_log_prob(logits_of(model, images, what=what), images)


def mean_nll(model, images: Tensor) -> Tensor:
    """The batch's mean negative log-likelihood in nats per image under a model's logits (a scalar)."""
    return -model_log_prob(model, images).mean()
