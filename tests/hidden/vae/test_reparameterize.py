"""Hidden tests of Part 3: the reparameterisation trick, formula (7): gradients, moments and devices."""

import math

import pytest
import torch

from gradelib.checks import CheckFailure, assert_close, assert_runs_on_meta
from gradelib.sandbox.expr import DEVICE, MODEL, call, method
from gradelib.sandbox.gradients import backward_report
from gradelib.sandbox.probes import to_device

NO_GRADIENT = ("No gradient reaches {name}: the sample is not a differentiable function of it. Draw eps with "
               "torch.randn_like(mu) and return mu + exp(logvar / 2) * eps (formula (7)); torch.normal(mu, std) and "
               "sampling under torch.no_grad() cut the gradient to the encoder.")


@pytest.mark.points(3)
def test_reparameterize_gradients(submission):
    """Do gradients reach mu and logvar with the right values (dz/dmu = 1, dz/dlogvar = sigma * eps / 2)?"""
    mu, logvar = torch.randn(5, 4), torch.randn(5, 4)
    report = backward_report(submission.reparameterize, [mu, logvar], seed=3)
    z = torch.as_tensor(report["output"])
    grad_mu, grad_logvar = report["input_grads"]
    if not report["differentiable"] or grad_mu is None:
        raise CheckFailure(NO_GRADIENT.format(name="mu"))
    if grad_logvar is None:
        raise CheckFailure(NO_GRADIENT.format(name="logvar"))
    assert_close(grad_mu, torch.ones(5, 4), what="d z.sum() / d mu", hint="z = mu + sigma * eps: the gradient with respect to mu is 1.")
    eps = (z - mu) / (0.5 * logvar).exp()
    expected = 0.5 * (0.5 * logvar).exp() * eps
    if torch.allclose(grad_logvar * logvar, z - mu, atol=1e-4) or torch.allclose(grad_logvar * logvar.exp(), z - mu, atol=1e-4):
        raise CheckFailure("d z / d logvar does not depend on logvar as formula (7) says: you use logvar as the standard "
                           "deviation (z = mu + logvar * eps) or as the variance. Use sigma = exp(logvar / 2).")
    assert_close(grad_logvar, expected, what="d z.sum() / d logvar", rtol=1e-3, atol=1e-4,
                 hint="With sigma = exp(logvar / 2), d z / d logvar = sigma * eps / 2. Check that logvar is a log-variance.")


@pytest.mark.points(3)
def test_reparameterize_moments(submission):
    """Do 40,000 samples have the mean mu and variance exp(logvar) (z-test on each moment, false alarm under 1e-6)?"""
    mu = torch.tensor([1.5, -2.0, 0.0, 0.3])
    logvar = torch.tensor([0.0, 1.0, -2.0, 2.5])
    n = 40_000
    z = torch.as_tensor(submission.reparameterize(mu.expand(n, -1).contiguous(), logvar.expand(n, -1).contiguous())).double()
    if z.shape != (n, 4):
        raise CheckFailure(f"reparameterize of (40000, 4) inputs returned shape {tuple(z.shape)}; expected (40000, 4).")
    var = logvar.double().exp()
    # 8 two-sided tests at 5.6 standard errors: P(any false alarm) < 8 * 2.2e-8 < 1e-6.
    mean_z = (z.mean(0) - mu.double()) / (var / n).sqrt()
    var_z = (z.var(0) / var - 1.0) / math.sqrt(2.0 / (n - 1))
    if (mean_z.abs() > 5.6).any():
        raise CheckFailure.build("The mean of 40,000 samples of reparameterize", expected=f"mu = {mu.tolist()}",
                                 found=f"{[round(v, 3) for v in z.mean(0).tolist()]}", cause="Return mu + sigma * eps.")
    if (var_z.abs() > 5.6).any():
        found = z.var(0).tolist()
        cause = "Use sigma = exp(logvar / 2): the variance of the samples must be exp(logvar)."
        if torch.allclose(torch.tensor(found).double(), logvar.pow(2).double(), rtol=0.05, atol=0.05):
            cause = "The variance is logvar^2: you use logvar as the standard deviation. Use sigma = exp(logvar / 2)."
        elif torch.allclose(torch.tensor(found).double(), var.pow(2), rtol=0.05, atol=0.05):
            cause = "The variance is exp(logvar)^2: you use exp(logvar) as the standard deviation; it is the variance."
        raise CheckFailure.build("The variance of 40,000 samples of reparameterize", expected=f"exp(logvar) = {[round(v, 3) for v in var.tolist()]}",
                                 found=f"{[round(v, 3) for v in found]}", cause=cause)


@pytest.mark.points(2)
def test_noise_on_input_device(submission):
    """Does the VAE's ELBO (and so reparameterize) create its noise on the input's device and dtype?"""
    model = submission.VAE(input_shape=(1, 3, 4), latent_dim=2, hidden_dims=(5,))
    x = torch.randint(0, 2, (3, 1, 3, 4)).float()
    assert_runs_on_meta(model, method(MODEL, "elbo", call(to_device, x, DEVICE)), what="VAE.elbo",
                        hint="Draw eps with torch.randn_like(mu), or torch.randn(..., device=mu.device, dtype=mu.dtype).")
