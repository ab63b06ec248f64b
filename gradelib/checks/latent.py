"""The grader's own formulas for latent-variable models: Gaussian KL, log-densities, log-mean-exp.

Hidden suites score a student's encoder, decoder and bounds with these, never with the student's code::

    kl = standard_normal_kl(mu, logvar)          # (B,) nats, KL(N(mu, diag exp(logvar)) || N(0, I))
    log_p = linear_gaussian_log_marginal(x, W, b, sigma)   # exact log p(x) of a linear Gaussian model
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

__all__ = ["standard_normal_kl", "mean_encoder_kl", "log_mean_exp", "gaussian_mixture_log_likelihood",
           "linear_gaussian_log_marginal", "diagonal_gaussian_log_density"]


def standard_normal_kl(mu: Tensor, logvar: Tensor) -> Tensor:
    """KL(N(mu, diag(exp(logvar))) || N(0, I)) of each row, summed over the latent dimensions, in nats: (B,).

    The closed form: 0.5 * sum_j (mu_j^2 + exp(logvar_j) - 1 - logvar_j).
    """
    return 0.5 * (mu.pow(2) + logvar.exp() - 1.0 - logvar).flatten(start_dim=1).sum(dim=1)


def mean_encoder_kl(encoded) -> Tensor:
    """The batch's mean KL (nats per example) of an encoder's output ``(mu, logvar)``: a scalar."""
    mu, logvar = encoded[0], encoded[1]
    return standard_normal_kl(mu, logvar).mean()


def log_mean_exp(values: Tensor, dim: int) -> Tensor:
    """log( mean_k exp(values_k) ) along ``dim``, computed stably (log-sum-exp minus log K)."""
    return torch.logsumexp(values, dim=dim) - math.log(values.shape[dim])


def diagonal_gaussian_log_density(x: Tensor, mean: Tensor, logvar: Tensor) -> Tensor:
    """log N(x; mean, diag(exp(logvar))) summed over the last dimension, in nats."""
    return -0.5 * (math.log(2 * math.pi) + logvar + (x - mean).pow(2) / logvar.exp()).sum(dim=-1)


def gaussian_mixture_log_likelihood(x: Tensor, weights: Tensor, means: Tensor, covs: Tensor) -> Tensor:
    """log p(x_n) of each point under a mixture of full-covariance Gaussians, in nats: (N,).

    Inputs: x (N, D); weights (K,) summing to 1; means (K, D); covs (K, D, D) positive definite.
    """
    x, weights, means, covs = (t.to(torch.float64) for t in (x, weights, means, covs))
    mixture = torch.distributions.MixtureSameFamily(
        torch.distributions.Categorical(probs=weights),
        torch.distributions.MultivariateNormal(means, covariance_matrix=covs),
    )
    return mixture.log_prob(x)


def linear_gaussian_log_marginal(x: Tensor, weight: Tensor, bias: Tensor, sigma: float) -> Tensor:
    """Exact log p(x) of the linear Gaussian model z ~ N(0, I_L), x | z ~ N(W z + b, sigma^2 I_D): (N,) nats.

    The marginal is N(b, W W^T + sigma^2 I). Inputs: x (N, D), weight W (D, L), bias b (D,).
    """
    x, weight, bias = (t.to(torch.float64) for t in (x, weight, bias))
    cov = weight @ weight.T + sigma**2 * torch.eye(weight.shape[0], dtype=torch.float64)
    return torch.distributions.MultivariateNormal(bias, covariance_matrix=cov).log_prob(x)
