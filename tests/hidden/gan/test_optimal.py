"""Hidden tests of Part 2: the optimal discriminator D* = p_data / (p_data + p_g) in closed form and as what a
discriminator trained with the student's loss approaches, and the Jensen-Shannon divergence on exact cases."""

import math

import pytest
import torch
from gan_helpers import scalar

from gradelib.checks import CheckFailure
from gradelib.sandbox.probes_gan import ONE_DIM_PROBLEM, train_discriminator_1d

#: Where D* is compared with a trained discriminator: grid points where p_data + p_g is at least this.
MASS = 0.05
#: The largest |D(x) - D*(x)| allowed there (the reference's worst over 12 seeds: 0.045).
TOLERANCE = 0.1


@pytest.mark.points(3)
def test_optimal_discriminator_closed_form(submission):
    """Is optimal_discriminator sigma(log p_data - log p_g) (formula (7)), exact also where both densities underflow (log-densities of -1000) and where p_g is 0?"""
    generator = torch.Generator().manual_seed(0)
    log_pd = torch.cat([3 * torch.randn(6, generator=generator) - 2, torch.tensor([-1000.0, -1003.0, -2.0])])
    log_pg = torch.cat([3 * torch.randn(6, generator=generator) - 2, torch.tensor([-1001.5, -1000.0, -math.inf])])
    expected = torch.sigmoid(log_pd.double() - log_pg.double())
    found = torch.as_tensor(submission.optimal_discriminator(log_pd, log_pg))
    if found.shape != expected.shape:
        raise CheckFailure.build("optimal_discriminator on 9 points", expected="shape (9,)", found=f"shape {tuple(found.shape)}")
    found = found.double()
    if not torch.isfinite(found).all():
        bad = int((~torch.isfinite(found)).nonzero()[0])
        raise CheckFailure.build(f"optimal_discriminator at log p_data = {log_pd[bad].item()}, log p_g = {log_pg[bad].item()}",
                                 expected=f"{expected[bad].item():.4f}", found=f"{found[bad].item()}",
                                 cause="the densities underflow to 0 in float32 and the ratio (7) becomes 0 / 0: compute it "
                                       "from the log-densities, as sigmoid(log p_data - log p_g).")
    if not torch.allclose(found, expected, atol=1e-5):
        bad = int((~torch.isclose(found, expected, atol=1e-5)).nonzero()[0])
        swapped = torch.allclose(found, 1 - expected, atol=1e-5)
        raise CheckFailure.build(f"optimal_discriminator at log p_data = {log_pd[bad].item():.3f}, log p_g = "
                                 f"{log_pg[bad].item():.3f}", expected=f"{expected[bad].item():.5f}", found=f"{found[bad].item():.5f}",
                                 cause="this is p_g / (p_data + p_g): D* is the probability that x is real." if swapped else
                                 "D*(x) = p_data / (p_data + p_g) = sigmoid(log p_data - log p_g).")


def _uniform(x: torch.Tensor, a: float, b: float) -> torch.Tensor:
    """log-density of U[a, b) on the grid x: -log(b - a) inside, -inf outside."""
    return torch.where((x >= a) & (x < b), torch.full_like(x, -math.log(b - a)), torch.full_like(x, -math.inf))


def _jsd(submission, log_p, log_q, dx: float, what: str) -> float:
    return scalar(submission.jensen_shannon(log_p, log_q, dx), f"jensen_shannon({what})", "sum over the grid")


@pytest.mark.points(3)
def test_jensen_shannon_exact_values(submission):
    """Is jensen_shannon 0 for equal densities, (1/2) log 2 for two uniforms that overlap by half, and log 2 for disjoint ones (in nats, with 0 log 0 = 0)?"""
    x = torch.arange(-1.0, 4.0, 1e-3, dtype=torch.float64)  # (5000,)
    cases = [("U[0, 2) and U[0, 2)", _uniform(x, 0, 2), _uniform(x, 0, 2), 0.0),
             ("U[0, 2) and U[1, 3)", _uniform(x, 0, 2), _uniform(x, 1, 3), 0.5 * math.log(2)),
             ("U[0, 1) and U[2, 3)", _uniform(x, 0, 1), _uniform(x, 2, 3), math.log(2))]
    for what, log_p, log_q, expected in cases:
        found = _jsd(submission, log_p, log_q, 1e-3, what)
        if math.isfinite(found) and abs(found - expected) <= 2e-3:
            continue
        if not math.isfinite(found):
            cause = ("where a density is zero its log is -inf and p * (log p - log m) is 0 * (-inf) = NaN: count those "
                     "points as 0 (0 log 0 = 0), e.g. with torch.where(p > 0, ..., 0) or torch.xlogy.")
        elif expected > 0 and abs(found - expected / math.log(2)) <= 3e-3:
            cause = "the result is in bits: use natural logarithms (nats), so that disjoint supports give log 2 = 0.693."
        elif expected > 0 and abs(found - 2 * expected) <= 4e-3:
            cause = "JSD = (1/2) KL(p || m) + (1/2) KL(q || m): the halves are missing."
        else:
            cause = "0.5 * (sum p (log p - log m) + sum q (log q - log m)) * dx with log m = logaddexp(log p, log q) - log 2."
        raise CheckFailure.build(f"jensen_shannon of {what} on a grid of spacing 0.001", expected=f"{expected:.4f} nats",
                                 found=f"{found}" if not math.isfinite(found) else f"{found:.4f}", cause=cause)


@pytest.mark.points(2)
def test_jensen_shannon_gaussians(submission):
    """For two Gaussians on a fine grid, does jensen_shannon agree with the divergence (8) computed by the grader, and is it symmetric?"""
    x = torch.arange(-8.0, 10.0, 2e-3, dtype=torch.float64)
    dx = 2e-3
    log_p = torch.distributions.Normal(0.0, 1.0).log_prob(x)
    log_q = torch.distributions.Normal(1.5, 0.7).log_prob(x)
    p, q = log_p.exp(), log_q.exp()
    m = (p + q) / 2
    expected = float(0.5 * ((p * (p / m).log()).sum() + (q * (q / m).log()).sum()) * dx)
    for args, what in (((log_p, log_q), "N(0, 1) and N(1.5, 0.7^2)"), ((log_q, log_p), "N(1.5, 0.7^2) and N(0, 1)")):
        found = _jsd(submission, *args, dx, what)
        if not (math.isfinite(found) and abs(found - expected) <= 1e-4 * expected + 1e-6):
            raise CheckFailure.build(f"jensen_shannon of {what} on a grid of spacing {dx}", expected=f"{expected:.5f} nats",
                                     found=f"{found:.5f}" if math.isfinite(found) else str(found),
                                     cause="JSD is symmetric: 0.5 KL(p || m) + 0.5 KL(q || m) with m = (p + q) / 2, each "
                                           "KL a sum over the grid times dx.")


@pytest.mark.points(4)
def test_trained_discriminator_approaches_optimum(submission):
    """Trained with your discriminator_loss on a 1-D problem with known p_data and a fixed p_g, does a discriminator approach D* = p_data / (p_data + p_g) (within 0.1 wherever p_data + p_g >= 0.05)?"""
    grid = torch.linspace(-4, 4, 801)
    report = train_discriminator_1d(submission.discriminator_loss, grid=grid, steps=300, batch_size=1024,
                                    learning_rate=2e-2, seed=0)
    if report["error"]:
        raise CheckFailure(f"Training the grader's 1-D discriminator with your discriminator_loss stopped with "
                           f"{report['error']}.")
    normal = torch.distributions.Normal
    (m1, s1), (m2, s2) = ONE_DIM_PROBLEM["data"]
    mg, sg = ONE_DIM_PROBLEM["g"]
    g64 = grid.double()
    log_pd = torch.logsumexp(torch.stack([normal(m1, s1).log_prob(g64), normal(m2, s2).log_prob(g64)]), 0) - math.log(2)
    log_pg = normal(mg, sg).log_prob(g64)
    optimum = torch.sigmoid(log_pd - log_pg)
    mass = (log_pd.exp() + log_pg.exp()) >= MASS
    found = torch.as_tensor(report["d"]).double()
    error = (found - optimum).abs()
    error[~mass] = 0
    if not (torch.isfinite(found[mass]).all() and error.max() <= TOLERANCE):
        at = int(error.argmax()) if torch.isfinite(found[mass]).all() else int((~torch.isfinite(found)).nonzero()[0])
        flipped = float(((1 - found) - optimum)[mass].abs().max())
        cause = ("D approaches 1 - D*: the discriminator learned to call fakes real, so the labels in "
                 "discriminator_loss are swapped." if flipped <= TOLERANCE else
                 "check discriminator_loss against formula (2): it should be minimised by D = D*.")
        raise CheckFailure.build(f"a 1-D discriminator trained with your discriminator_loss (p_data = 0.5 N(-1, 0.6^2) + "
                                 f"0.5 N(1.5, 0.5^2), p_g = N(0.3, 1.4^2)), at x = {grid[at].item():.2f}",
                                 expected=f"D*(x) = {optimum[at].item():.3f} (within {TOLERANCE})",
                                 found=f"D(x) = {found[at].item():.3f}", cause=cause)
