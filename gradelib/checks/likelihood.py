"""The grader's own Bernoulli log-likelihood, to score a student's logits independently of their code.

    log_p = bernoulli_log_prob(model(images), images)  # (B,) nats
"""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor

__all__ = ["bernoulli_log_prob"]


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
