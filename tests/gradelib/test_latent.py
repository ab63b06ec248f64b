"""Tests of the grader's latent-variable formulas (gradelib.checks.latent) and the gradient probes
(gradelib.sandbox.gradients), run locally (a probe given local objects runs in this process)."""

import math

import torch
from torch import nn

from gradelib.checks.latent import (
    gaussian_mixture_log_likelihood,
    linear_gaussian_log_marginal,
    log_mean_exp,
    mean_encoder_kl,
    standard_normal_kl,
)
from gradelib.sandbox.expr import MODEL, Attr, X, call
from gradelib.sandbox.gradients import backward_report, seeded_call


def test_standard_normal_kl_closed_form():
    """Is KL(N(0, e^2) || N(0, 1)) with log-std 1 equal to 0.5 (e^2 - 3) per dimension, summed, and 0 at the prior?"""
    kl = standard_normal_kl(torch.zeros(2, 3), torch.full((2, 3), 2.0))
    assert torch.allclose(kl, torch.full((2,), 3 * 0.5 * (math.e**2 - 3)))
    assert torch.equal(standard_normal_kl(torch.zeros(1, 4), torch.zeros(1, 4)), torch.zeros(1))
    assert torch.isclose(mean_encoder_kl((torch.ones(2, 1), torch.zeros(2, 1))), torch.tensor(0.5))


def test_kl_agrees_with_torch_distributions():
    """Does standard_normal_kl agree with torch.distributions.kl_divergence?"""
    mu, logvar = torch.randn(5, 3), torch.randn(5, 3)
    q = torch.distributions.Normal(mu, (0.5 * logvar).exp())
    p = torch.distributions.Normal(torch.zeros(3), torch.ones(3))
    assert torch.allclose(standard_normal_kl(mu, logvar), torch.distributions.kl_divergence(q, p).sum(1), atol=1e-5)


def test_log_mean_exp_is_stable():
    """Is log_mean_exp finite for values around -1000?"""
    values = torch.tensor([[-1000.0], [-1001.0]])
    assert torch.isclose(log_mean_exp(values, 0), torch.tensor([-1000.0 + math.log((1 + math.exp(-1)) / 2)])).all()


def test_mixture_and_linear_gaussian_likelihoods():
    """Does a one-component mixture equal its Gaussian, and a linear Gaussian model its marginal N(b, W W^T + s^2 I)?"""
    x = torch.randn(4, 2)
    mixture = gaussian_mixture_log_likelihood(x, torch.ones(1), torch.zeros(1, 2), torch.eye(2)[None])
    gaussian = torch.distributions.MultivariateNormal(torch.zeros(2), torch.eye(2))
    assert torch.allclose(mixture, gaussian.log_prob(x).double())
    W, b = torch.zeros(2, 1), torch.zeros(2)
    single = linear_gaussian_log_marginal(x, W, b, 1.0)
    assert torch.allclose(single, torch.distributions.Normal(0.0, 1.0).log_prob(x).sum(1).double())


def _reparameterize(mu, logvar):
    return mu + (0.5 * logvar).exp() * torch.randn_like(mu)


def test_backward_report_gives_output_and_input_gradients():
    """Does backward_report return the call's output and d(out * cotangent).sum() for every input, with pinned noise?"""
    mu, logvar = torch.zeros(3, 2), torch.zeros(3, 2)
    report = backward_report(_reparameterize, [mu, logvar], seed=1)
    again = backward_report(_reparameterize, [mu, logvar], seed=1)
    assert report["differentiable"] and torch.equal(report["output"], again["output"])
    grad_mu, grad_logvar = report["input_grads"]
    assert torch.equal(grad_mu, torch.ones(3, 2))
    assert torch.allclose(grad_logvar, 0.5 * report["output"])  # sigma = 1: dz/dlogvar = eps / 2 = z / 2


def test_backward_report_selects_an_output_and_reports_parameters():
    """Does select pick one output of a tuple, and module report its parameters' gradients (None where none reached)?"""
    layer = nn.Linear(2, 2)
    report = backward_report(lambda x: (layer(x), x.detach()), [torch.ones(1, 2)], select=0, module=layer)
    assert report["parameter_grads"]["weight"] is not None and report["input_grads"][0] is not None
    cut = backward_report(lambda x: (layer(x), x.detach()), [torch.ones(1, 2)], select=1, module=layer)
    assert not cut["differentiable"] and cut["input_grads"] == [None]


def test_seeded_call_in_an_expression_pins_the_noise():
    """Does call(seeded_call, s, Attr(MODEL, name), X) give the same noisy output twice?"""

    class Noisy(nn.Module):
        def sample(self, x):
            return x + torch.randn_like(x)

    expression = call(seeded_call, 4, Attr(MODEL, "sample"), X)
    x = torch.zeros(3)
    first = expression(x, model=Noisy())
    assert torch.equal(first, expression(x, model=Noisy()))
    assert not torch.equal(first, x)
