"""Hidden tests of Part 3: reconstruction log-likelihoods, the ELBO and its gradient, and the bounds on a linear
Gaussian VAE whose log p(x) is known in closed form."""

import math

import pytest
import torch
from vae_helpers import INPUT_SHAPE, SIGMA, build_linear_gaussian_vae, exact_posterior_gap, linear_gaussian, randomize

from gradelib.checks import CheckFailure, assert_close, assert_module_gradcheck, assert_shape
from gradelib.checks.latent import linear_gaussian_log_marginal
from gradelib.checks.likelihood import bernoulli_log_prob
from gradelib.sandbox.expr import MODEL, Attr, call
from gradelib.sandbox.gradients import seeded_call
from gradelib.sandbox.probes import weighted_sum

MSE_HINT = ("A squared error is not a log-likelihood in nats: for binary pixels use the Bernoulli log-likelihood, "
            "-F.binary_cross_entropy_with_logits(logits, x, reduction='none') summed over the pixels.")


@pytest.mark.points(2)
def test_bernoulli_log_likelihood(submission):
    """Does bernoulli_log_likelihood give the summed Bernoulli log-likelihood in nats (not a squared error)?"""
    logits, x = 3 * torch.randn(6, 784), torch.randint(0, 2, (6, 784)).float()
    found = assert_shape(submission.bernoulli_log_likelihood(logits, x), (6,), what="bernoulli_log_likelihood of 6 examples of 784 pixels")
    assert_close(found, bernoulli_log_prob(logits, x), what="bernoulli_log_likelihood (nats)", rtol=1e-4, atol=1e-3, hint=MSE_HINT)


@pytest.mark.points(1)
def test_gaussian_log_likelihood(submission):
    """Does gaussian_log_likelihood give log N(x; mean, std^2 I), summed over the last dimension, in nats?"""
    mean, x = torch.randn(5, 7), torch.randn(5, 7)
    expected = torch.distributions.Normal(mean, 0.7).log_prob(x).sum(-1)
    assert_close(submission.gaussian_log_likelihood(mean, x, 0.7), expected, what="gaussian_log_likelihood with std 0.7 (nats)",
                 rtol=1e-4, atol=1e-4, hint="-0.5 * sum[(x - mean)^2 / std^2 + log(2 pi std^2)], never a mean squared error.")


@pytest.mark.points(2)
def test_zero_weight_vae(submission):
    """With all weights zero, is the ELBO -784 ln 2 (reconstruction 784 ln 2 nats, KL 0) for any image?"""
    model = submission.VAE(latent_dim=4, hidden_dims=(16,))
    model.eval()
    from gradelib.sandbox.probes import load_tensors, named_tensors
    load_tensors(model, {name: torch.zeros_like(value) for name, value in named_tensors(model).items()})
    x = torch.randint(0, 2, (5, 1, 28, 28)).float()
    recon, kl = model.elbo_terms(x)
    expected = torch.full((5,), -784 * math.log(2.0))
    assert_close(recon, expected, what="The reconstruction term of a zero-weight VAE (nats)", rtol=1e-5, atol=1e-3, hint=MSE_HINT)
    assert_close(kl, torch.zeros(5), what="The KL term of a zero-weight VAE (q = N(0, I))", atol=1e-6,
                 hint="KL(N(0, I) || N(0, I)) = 0: check formula (6).")
    assert_close(model.elbo(x), expected, what="The ELBO of a zero-weight VAE (nats)", rtol=1e-5, atol=1e-3)


@pytest.mark.points(3)
def test_elbo_terms_match_reference(submission, reference):
    """On fixed weights and a near-deterministic encoder (variance e^-40), do elbo_terms match the reference?"""
    model = submission.VAE(latent_dim=5, hidden_dims=(32,))
    ref = reference.VAE(latent_dim=5, hidden_dims=(32,))
    randomize(model, ref, logvar_bias=-40.0)
    x = torch.randint(0, 2, (8, 1, 28, 28)).float()
    recon, kl = model.elbo_terms(x)
    with torch.no_grad():
        want_recon, want_kl = ref.elbo_terms(x)
    assert_close(kl, want_kl, what="The KL term of elbo_terms on fixed weights (nats)", rtol=1e-4, atol=1e-2,
                 hint="gaussian_kl(mu, logvar) of the encoder's output, summed over the latent dimensions, positive.")
    assert_close(recon, want_recon, what="The reconstruction term log p(x | z) on fixed weights (nats)", rtol=1e-4, atol=1e-2,
                 hint="z = mu + exp(logvar / 2) * eps (here exp(logvar / 2) is e^-20), then the Bernoulli log-likelihood of "
                      "the decoder's logits, summed over the 784 pixels. " + MSE_HINT)


@pytest.mark.points(2)
def test_elbo_expectation_matches_reference(submission, reference):
    """Averaged over 4,000 draws of z, does your ELBO match the reference's expected ELBO (6 standard errors)?"""
    model = submission.VAE(latent_dim=3, hidden_dims=(16,))
    ref = reference.VAE(latent_dim=3, hidden_dims=(16,))
    randomize(model, ref, logvar_bias=0.0, scale=0.2)
    x = torch.randint(0, 2, (2, 1, 28, 28)).float().repeat(2000, 1, 1, 1)  # (4000, ...): two images, 2,000 draws each
    found = torch.as_tensor(model.elbo(x)).double().view(2000, 2)
    with torch.no_grad():
        want = ref.elbo(x).double().view(2000, 2)
    stderr = (found.var(0) / 2000 + want.var(0) / 2000).sqrt()
    if ((found.mean(0) - want.mean(0)).abs() > 6 * stderr + 1e-3).any():
        raise CheckFailure.build("The mean of your ELBO over 2,000 draws of z, for two images",
                                 expected=f"{[round(v, 2) for v in want.mean(0).tolist()]} nats (within {6 * stderr.max().item():.2f})",
                                 found=f"{[round(v, 2) for v in found.mean(0).tolist()]}",
                                 cause="Check formula (7) (sigma = exp(logvar / 2)) and that the ELBO is recon - KL.")


@pytest.mark.points(2)
def test_negative_elbo_gradcheck(submission):
    """Is the negative ELBO (with its noise fixed) differentiable, with correct float64 gradients for every weight?"""
    model = submission.VAE(input_shape=(1, 2, 3), latent_dim=2, hidden_dims=(3,), likelihood="bernoulli")
    x = torch.randint(0, 2, (3, 1, 2, 3)).float().double()
    loss = call(weighted_sum, call(seeded_call, 0, Attr(MODEL, "elbo"), x), -torch.ones(3, dtype=torch.float64))
    assert_module_gradcheck(model, loss, what="the negative ELBO of 3 images (with respect to every weight)",
                            hint="Compute the ELBO with differentiable torch operations on the reparameterised z.")


@pytest.mark.points(3)
def test_elbo_is_exact_at_true_posterior(submission):
    """On a linear Gaussian VAE whose encoder is the true posterior, is the ELBO log p(x) on average (1,000 draws, 6 standard errors)?"""
    model = build_linear_gaussian_vae(submission, seed=1)
    W, b, *_ = linear_gaussian(1)
    x0 = torch.randn(8, *INPUT_SHAPE)
    exact = linear_gaussian_log_marginal(x0.flatten(1), W, b, SIGMA)  # (8,)
    elbo = assert_shape(model.elbo(x0.repeat(1000, 1, 1, 1)), (8000,), what="The ELBO of 8,000 examples").double().view(1000, 8)
    stderr = elbo.std(0) / math.sqrt(1000)
    if ((elbo.mean(0) - exact).abs() > 6 * stderr + 2e-3).any():  # false alarm for a correct ELBO: about 2e-8
        raise CheckFailure.build(
            "The mean ELBO (1,000 draws) of a linear Gaussian VAE whose encoder is the exact posterior",
            expected=f"log p(x) = {[round(v, 3) for v in exact[:3].tolist()]} nats (the gap KL(q || p(z|x)) is 0)",
            found=f"{[round(v, 3) for v in elbo.mean(0)[:3].tolist()]}",
            cause="Check the Gaussian log-likelihood (-0.5 sum[(x - m)^2 / sigma^2 + log(2 pi sigma^2)]), the KL (formula (6)) "
                  "and formula (7).")


@pytest.mark.points(3)
def test_bounds_below_log_likelihood_and_iwae_rises(submission):
    """With a wrong encoder, is E[ELBO] = log p(x) - KL(q || posterior), and does IWAE(k) rise towards log p(x) with k?"""
    shifts = {"mean_shift": 0.6, "logvar_shift": 0.8}
    model = build_linear_gaussian_vae(submission, seed=2, **shifts)
    W, b, *_ = linear_gaussian(2)
    x0 = torch.randn(4, *INPUT_SHAPE)
    exact = linear_gaussian_log_marginal(x0.flatten(1), W, b, SIGMA)  # (4,)
    repeats = 500
    x = x0.repeat(repeats, 1, 1, 1)
    elbo = torch.as_tensor(model.elbo(x)).double().view(repeats, 4)
    expected_elbo = exact - exact_posterior_gap(x0, 2, **shifts)
    stderr = elbo.std(0) / math.sqrt(repeats)
    if ((elbo.mean(0) - expected_elbo).abs() > 6 * stderr + 1e-3).any():
        raise CheckFailure.build("The mean ELBO (500 draws) of a linear Gaussian VAE with a shifted encoder",
                                 expected=f"log p(x) - KL(q || p(z|x)) = {[round(v, 3) for v in expected_elbo.tolist()]} nats",
                                 found=f"{[round(v, 3) for v in elbo.mean(0).tolist()]}",
                                 cause="Check formula (5): the Gaussian log-likelihood and the KL term.")
    bounds = {}
    for k in (1, 10, 100, 1000):
        n = repeats if k < 1000 else 50
        values = torch.as_tensor(model.log_likelihood_iwae(x0.repeat(n, 1, 1, 1), k)).double().view(n, 4)
        bounds[k] = (values.mean(0), values.std(0) / math.sqrt(n))
    shown = ", ".join(f"k={k}: {v.mean().item():.3f}" for k, (v, _) in bounds.items())
    target = f"log p(x) = {exact.mean().item():.3f} (ELBO {expected_elbo.mean().item():.3f})"
    for mean, err in bounds.values():
        if (mean > exact + 6 * err + 2e-3).any():
            raise CheckFailure.build("The IWAE bound exceeds the exact log-likelihood", expected=f"at most {target}",
                                     found=shown, cause="Formula (8): logsumexp of the log-weights minus log k.")
    if not (bounds[1000][0].mean() > bounds[10][0].mean() + 0.05 and bounds[10][0].mean() > bounds[1][0].mean() + 0.05):
        raise CheckFailure.build("The mean IWAE bound for k = 1, 10, 100, 1000 (averaged over 4 points)",
                                 expected=f"rising with k towards {target}", found=shown,
                                 cause="Averaging the log-weights gives the ELBO whatever k: take torch.logsumexp of the "
                                       "log-weights over the k samples, minus log k (formula (8)).")
    if not (exact - bounds[1000][0]).mean() < 0.5 * (exact - expected_elbo).mean():
        raise CheckFailure.build("The IWAE bound with k = 1000", expected=f"closer to {target} than half the ELBO's gap",
                                 found=shown, cause="Check the log-weights log p(x|z) + log p(z) - log q(z|x) of formula (8).")
