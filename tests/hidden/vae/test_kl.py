"""Hidden tests of Part 3: the analytic KL divergence of formula (6), against closed forms and Monte Carlo."""

import math

import pytest
import torch

from gradelib.checks import CheckFailure, assert_close, assert_shape
from gradelib.checks.latent import diagonal_gaussian_log_density, standard_normal_kl

PER_DIM_LOG_STD_ONE = 0.5 * (math.e**2 - 1 - 2)  # 2.194528 nats


def _diagnose(found: float, expected: float, latent_dim: int) -> str:
    if expected and math.isclose(found, -expected, rel_tol=1e-3):
        return "It has the wrong sign: KL = +0.5 sum (mu^2 + sigma^2 - 1 - log sigma^2) is never negative."
    if expected and math.isclose(found * latent_dim, expected, rel_tol=1e-3):
        return f"It is {latent_dim} times too small: you average over the latent dimensions; sum them (formula (6))."
    return "Check formula (6): 0.5 * sum over the latent dimensions of mu^2 + exp(logvar) - 1 - logvar."


@pytest.mark.points(3)
def test_kl_closed_form_values(submission):
    """Does gaussian_kl give the closed-form values (2.194528 nats per dimension at mu = 0, log-std 1)?"""
    cases = [
        (torch.zeros(2, 5), torch.full((2, 5), 2.0), "mu = 0, log-variance 2 (log-std 1), 5 dimensions"),
        (torch.tensor([[3.0, -1.0, 0.5]]), torch.zeros(1, 3), "unit variances, mu = (3, -1, 0.5)"),
    ]
    for mu, logvar, name in cases:
        expected = standard_normal_kl(mu, logvar)
        found = assert_shape(submission.gaussian_kl(mu, logvar), tuple(expected.shape), what=f"gaussian_kl for {name}")
        if not torch.allclose(found.double(), expected.double(), rtol=1e-4, atol=1e-5):
            raise CheckFailure.build(f"gaussian_kl for {name}", expected=f"{expected[0].item():.6f} nats",
                                     found=f"{found[0].item():.6f}",
                                     cause=_diagnose(found[0].item(), expected[0].item(), mu.shape[1]))


@pytest.mark.points(2)
def test_kl_nonnegative_and_zero_at_prior(submission):
    """Is gaussian_kl >= 0 everywhere and exactly 0 at mu = 0, logvar = 0?"""
    zero = torch.as_tensor(submission.gaussian_kl(torch.zeros(3, 4), torch.zeros(3, 4)))
    if not torch.equal(zero.double(), torch.zeros(3, dtype=torch.float64)):
        raise CheckFailure.build("gaussian_kl(N(0, I) || N(0, I))", expected="exactly 0", found=f"{zero.tolist()}",
                                 cause="Formula (6) is 0 at mu = 0, logvar = 0: check the -1 and the -logvar terms.")
    mu, logvar = 2 * torch.randn(200, 6), 3 * torch.randn(200, 6)
    found = submission.gaussian_kl(mu, logvar)
    assert_close(found, standard_normal_kl(mu, logvar), what="gaussian_kl of 200 random Gaussians", rtol=1e-4, atol=1e-4,
                 hint=_diagnose(float(found[0]), float(standard_normal_kl(mu, logvar)[0]), 6))
    if not (found >= 0).all():
        raise CheckFailure("gaussian_kl returned negative values: a KL divergence is never negative.")


@pytest.mark.points(2)
def test_kl_matches_monte_carlo(submission):
    """Does gaussian_kl agree with a Monte Carlo estimate E_q[log q(z) - log p(z)] (200,000 samples, 6 standard errors)?"""
    mu, logvar = torch.tensor([[0.7, -1.2, 0.1]]), torch.tensor([[-0.5, 0.8, 0.0]])
    g = torch.Generator().manual_seed(0)
    z = mu + (0.5 * logvar).exp() * torch.randn(200_000, 3, generator=g)
    terms = diagonal_gaussian_log_density(z, mu, logvar) - diagonal_gaussian_log_density(z, torch.zeros(3), torch.zeros(3))
    estimate, stderr = terms.mean().item(), terms.std().item() / math.sqrt(z.shape[0])
    found = float(submission.gaussian_kl(mu, logvar)[0])
    if abs(found - estimate) > 6 * stderr:  # false alarm for a correct KL: about 2e-9
        raise CheckFailure.build("gaussian_kl against a Monte Carlo estimate of the same KL", expected=f"{estimate:.4f} +- {6 * stderr:.4f} nats",
                                 found=f"{found:.4f}", cause=_diagnose(found, estimate, 3))
