"""Hidden tests of Part 1: the mixture's log-likelihood, the E-step, the M-step and EM on a known mixture.

Every value is compared with the grader's own formulas (gradelib.checks.latent, in float64).
"""

import itertools

import pytest
import torch

from gradelib.checks import CheckFailure, assert_close, assert_shape
from gradelib.checks.latent import gaussian_mixture_log_likelihood


def _random_mixture(K: int = 3, d: int = 2, seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    weights = torch.softmax(torch.randn(K, generator=g), dim=0)
    means = 3 * torch.randn(K, d, generator=g)
    a = torch.randn(K, d, d, generator=g)
    covs = a @ a.transpose(1, 2) + 0.3 * torch.eye(d)
    return weights, means, covs


def _responsibilities(x, weights, means, covs):
    comps = torch.distributions.MultivariateNormal(means.double(), covariance_matrix=covs.double())
    log_joint = weights.double().log() + comps.log_prob(x.double().unsqueeze(1))
    return torch.softmax(log_joint, dim=1)


@pytest.mark.points(3)
def test_gmm_log_likelihood_matches(submission):
    """Does gmm_log_likelihood give log p(x) of formula (1) for each point?"""
    weights, means, covs = _random_mixture()
    x = 2 * torch.randn(40, 2)
    found = assert_shape(submission.gmm_log_likelihood(x, weights, means, covs), (40,), what="gmm_log_likelihood of 40 points")
    assert_close(found, gaussian_mixture_log_likelihood(x, weights, means, covs).float(),
                 what="gmm_log_likelihood of 40 points (nats)", rtol=1e-4, atol=1e-3,
                 hint="Formula (1): torch.logsumexp over the components of log(weights) + component_log_densities.")


@pytest.mark.points(2)
def test_gmm_log_likelihood_far_points(submission):
    """Is gmm_log_likelihood finite and right for points far from every component (log-sum-exp)?"""
    weights, means, covs = _random_mixture(seed=1)
    x = torch.tensor([[60.0, -45.0], [-80.0, 70.0], [200.0, 10.0]])
    found = submission.gmm_log_likelihood(x, weights, means, covs)
    expected = gaussian_mixture_log_likelihood(x, weights, means, covs).float()
    if not torch.isfinite(torch.as_tensor(found)).all():
        raise CheckFailure.build(
            "gmm_log_likelihood of points 40 to 200 units from every mean",
            expected=f"finite values near {expected[0].item():.1f} nats", found=f"{torch.as_tensor(found).tolist()}",
            cause="You take the log of a sum of exponentials: each exp(-800) is 0 in floating point, so the log is "
                  "-inf. Use torch.logsumexp over the components (formula (1)), which subtracts the largest term first.")
    assert_close(found, expected, what="gmm_log_likelihood of far-away points (nats)", rtol=1e-4, atol=1e-2,
                 hint="Use torch.logsumexp over the components, never log(sum(exp(...))).")


@pytest.mark.points(3)
def test_e_step_responsibilities(submission):
    """Does e_step give p(z = k | x) of formula (2): rows that sum to one over the components?"""
    weights, means, covs = _random_mixture(K=4, seed=2)
    x = 3 * torch.randn(30, 2)
    resp = assert_shape(submission.e_step(x, weights, means, covs), (30, 4), what="e_step's responsibilities of 30 points, 4 components")
    sums = resp.double().sum(dim=1)
    if not torch.allclose(sums, torch.ones(30, dtype=torch.float64), atol=1e-4):
        columns = resp.double().sum(dim=0)
        cause = ("Each column sums to 1: you normalised over the data points instead of over the components. "
                 "r[n, k] divides by p(x_n), a sum over k." if torch.allclose(columns, torch.ones(4, dtype=torch.float64), atol=1e-4)
                 else "Divide pi_k N(x_n; k) by its sum over the components k (formula (2)).")
        raise CheckFailure.build("The sums of e_step's rows (over the 4 components)", expected="1 for every point",
                                 found=f"{sums[:3].tolist()} for the first points", cause=cause)
    assert_close(resp, _responsibilities(x, weights, means, covs).float(), what="e_step's responsibilities",
                 atol=1e-4, hint="Formula (2): exp(log pi_k + log N(x_n; k) - log p(x_n)).")


@pytest.mark.points(3)
def test_m_step_matches(submission):
    """Does m_step give the weights, means and covariances of formula (3)?"""
    weights, means, covs = _random_mixture(seed=3)
    x = 2 * torch.randn(50, 2)
    resp = _responsibilities(x, weights, means, covs).float()
    found = submission.m_step(x, resp)
    counts = resp.sum(0)
    want_w = counts / 50
    want_m = resp.T @ x / counts[:, None]
    centred = x[:, None] - want_m[None]
    want_c = torch.einsum("nk,nkd,nke->kde", resp, centred, centred) / counts[:, None, None]
    for value, want, name in zip(found, (want_w, want_m, want_c), ("weights", "means", "covariances"), strict=False):
        assert_close(value, want, what=f"m_step's {name}", rtol=1e-3, atol=1e-4,
                     hint="Formula (3): N_k = sum_n r_nk, pi_k = N_k / N, means and covariances weighted by r_nk / N_k.")


@pytest.mark.points(2)
def test_em_never_lowers_likelihood(submission):
    """Does one EM step (e_step then m_step) never lower the data's log-likelihood?"""
    weights, means, covs = _random_mixture(K=3, seed=4)
    x = torch.cat([torch.randn(40, 2) + torch.tensor([4.0, 0.0]), 0.5 * torch.randn(40, 2) - 2.0])
    params = (weights, means, covs)
    before = gaussian_mixture_log_likelihood(x, *params).sum().item()
    for step in range(8):
        params = tuple(submission.m_step(x, submission.e_step(x, *params)))
        after = gaussian_mixture_log_likelihood(x, *params).sum().item()
        if not after >= before - 1e-3:
            raise CheckFailure.build(f"The log-likelihood of 80 points after EM step {step + 1}",
                                     expected=f"at least {before:.3f} nats (the value before the step)", found=f"{after:.3f}",
                                     cause="Check formula (2) (normalise over the components) and formula (3).")
        before = after


@pytest.mark.points(2)
def test_fit_recovers_known_mixture(submission):
    """On points from a known, well-separated mixture, does EM (fit_gmm, best of 5 restarts) recover its means and weights?"""
    g = torch.Generator().manual_seed(5)
    true_means = torch.tensor([[-5.0, 0.0], [5.0, 1.0], [0.0, 6.0]])
    true_weights = torch.tensor([0.5, 0.3, 0.2])
    labels = torch.multinomial(true_weights, 900, replacement=True, generator=g)
    x = true_means[labels] + 0.8 * torch.randn(900, 2, generator=g)
    fits = [submission.fit_gmm(x, 3, 50, seed)[0] for seed in range(5)]  # 5 restarts; keep the most likely fit
    weights, means, _ = max(fits, key=lambda fit: gaussian_mixture_log_likelihood(x, *fit).sum().item())
    best = min(itertools.permutations(range(3)),
               key=lambda p: (torch.as_tensor(means)[list(p)] - true_means).norm(dim=1).max().item())
    error = (torch.as_tensor(means)[list(best)] - true_means).norm(dim=1).max().item()
    w_error = (torch.as_tensor(weights)[list(best)] - true_weights).abs().max().item()
    if error > 0.3 or w_error > 0.06:
        raise CheckFailure.build("EM on 900 points of a known mixture of 3 Gaussians (up to relabelling)",
                                 expected="means within 0.3 and weights within 0.06 of the truth",
                                 found=f"mean error {error:.3f}, weight error {w_error:.3f}",
                                 cause="Check e_step (formula (2)) and m_step (formula (3)).")
