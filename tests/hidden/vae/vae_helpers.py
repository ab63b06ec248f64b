"""Helpers of the VAE hidden suite (a sibling module with an assignment-unique name).

The linear Gaussian VAE: z ~ N(0, I_L), x | z ~ N(W z + b, sigma^2 I_D), built from the notebook's own VAE
with no hidden layers (its encoder and decoder heads are then linear maps), so that log p(x) and the true
posterior are known in closed form.
"""

from __future__ import annotations

import math

import torch

from gradelib.checks import CheckFailure
from gradelib.sandbox.probes import load_tensors

INPUT_SHAPE = (1, 2, 3)  # D = 6
LATENT = 2
SIGMA = 0.5


def linear_gaussian(seed: int = 0):
    """(W (D, L) with orthogonal columns, b (D,), posterior map (A (L, D), c (L,)), posterior log-variances (L,))."""
    g = torch.Generator().manual_seed(seed)
    D = math.prod(INPUT_SHAPE)
    q, _ = torch.linalg.qr(torch.randn(D, LATENT, generator=g, dtype=torch.float64))
    scales = torch.tensor([1.5, 0.8], dtype=torch.float64)
    W = q * scales  # (D, L), orthogonal columns: the posterior covariance is diagonal
    b = 0.3 * torch.randn(D, generator=g, dtype=torch.float64)
    post_var = 1.0 / (1.0 + scales**2 / SIGMA**2)  # (L,)
    A = post_var[:, None] * W.T / SIGMA**2  # (L, D): posterior mean = A (x - b)
    return W, b, A, -A @ b, post_var.log()


def linear_gaussian_tensors(seed: int = 0, *, mean_shift: float = 0.0, logvar_shift: float = 0.0) -> dict:
    """Weights of the notebook's VAE (no hidden layers) for the linear Gaussian model; the encoder is the exact
    posterior, moved by ``mean_shift`` and ``logvar_shift`` when they are not 0."""
    W, b, A, c, post_logvar = linear_gaussian(seed)
    D = W.shape[0]
    head_w = torch.cat([A, torch.zeros(LATENT, D, dtype=torch.float64)])  # (2L, D)
    head_b = torch.cat([c + mean_shift, post_logvar + logvar_shift])  # (2L,)
    return {"encoder.head.weight": head_w.float(), "encoder.head.bias": head_b.float(),
            "decoder.head.weight": W.float(), "decoder.head.bias": b.float()}


def build_linear_gaussian_vae(module, seed: int = 0, **shifts):
    """The notebook's VAE as a linear Gaussian model (raises CheckFailure if the weights cannot be set)."""
    model = module.VAE(input_shape=INPUT_SHAPE, latent_dim=LATENT, hidden_dims=(), likelihood="gaussian", obs_std=SIGMA)
    tensors = linear_gaussian_tensors(seed, **shifts)
    copied = load_tensors(model, tensors)
    if sorted(copied) != sorted(tensors):
        raise CheckFailure(f"The VAE with hidden_dims=() should have the given linear heads encoder.head and decoder.head "
                           f"(parameters {sorted(tensors)}); the grader could set only {copied}. Keep the given "
                           "GaussianEncoder and Decoder.")
    model.eval()
    return model


def exact_posterior_gap(x: torch.Tensor, seed: int, mean_shift: float, logvar_shift: float) -> torch.Tensor:
    """KL(q(z|x) || p(z|x)) for the shifted encoder: log p(x) - E_q[ELBO] exactly, (N,)."""
    W, b, A, c, post_logvar = linear_gaussian(seed)
    post_mean = x.double().flatten(1) @ A.T + c  # (N, L)
    q_mean, q_logvar = post_mean + mean_shift, post_logvar + logvar_shift
    return 0.5 * ((q_logvar - post_logvar).exp() + (q_mean - post_mean).pow(2) / post_logvar.exp() - 1
                  - (q_logvar - post_logvar)).sum(dim=1)


def randomize(model, reference_model, *, logvar_bias: float | None = None, scale: float = 0.3, seed: int = 0) -> dict:
    """Give ``model`` and ``reference_model`` the same random weights (optionally a near-deterministic encoder)."""
    g = torch.Generator().manual_seed(seed)
    tensors = {}
    for name, value in reference_model.named_parameters():
        tensors[name] = scale * torch.randn(value.shape, generator=g)
    if logvar_bias is not None:
        L = tensors["encoder.head.bias"].shape[0] // 2
        tensors["encoder.head.weight"][L:] = 0.0
        tensors["encoder.head.bias"][L:] = logvar_bias
    load_tensors(reference_model, tensors)
    copied = load_tensors(model, tensors)
    if sorted(copied) != sorted(tensors):
        missing = sorted(set(tensors) - set(copied))
        raise CheckFailure(f"The grader could not give your VAE the weights {missing[:4]}: keep the given GaussianEncoder "
                           "and Decoder (encoder.body, encoder.head, decoder.body, decoder.head).")
    return tensors
