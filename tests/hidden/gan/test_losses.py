"""Hidden tests of Part 1: the discriminator's and the generator's losses on logits, their values, gradients and
stability at large logits."""

import math

import pytest
import torch
import torch.nn.functional as F
from gan_helpers import close, scalar

from gradelib.checks import CheckFailure
from gradelib.sandbox.probes_gan import value_and_gradients

KINDS = ("minimax", "nonsaturating")


def _logits(seed: int, n: int, scale: float = 3.0) -> torch.Tensor:
    return scale * torch.randn(n, generator=torch.Generator().manual_seed(seed))


def _discriminator_cause(found: float, real: torch.Tensor, fake: torch.Tensor) -> str:
    """The likely mistake behind a wrong discriminator loss (the candidates computed here, in float64)."""
    real, fake = real.double(), fake.double()
    candidates = {
        "the labels are swapped: real samples have label 1 (the loss -log D(x)), fakes label 0 (-log(1 - D(G(z))))":
            F.softplus(real).mean() + F.softplus(-fake).mean(),
        "a sigmoid is applied to values that are already probabilities: the inputs are logits, and "
        "binary_cross_entropy_with_logits (or softplus) applies the sigmoid itself":
            F.binary_cross_entropy_with_logits(torch.sigmoid(real), torch.ones_like(real))
            + F.binary_cross_entropy_with_logits(torch.sigmoid(fake), torch.zeros_like(fake)),
        "it is half of formula (2): the loss is the sum of the two means, not their average":
            0.5 * (F.softplus(-real).mean() + F.softplus(fake).mean()),
        "one mean over both batches together: take the mean over the real samples plus the mean over the fakes":
            torch.cat([F.softplus(-real), F.softplus(fake)]).mean(),
        "it is in bits: use natural logarithms (nats)":
            (F.softplus(-real).mean() + F.softplus(fake).mean()) / math.log(2),
    }
    for cause, value in candidates.items():
        if close(found, float(value), 1e-4):
            return cause
    return "compute F.softplus(-real_logits).mean() + F.softplus(fake_logits).mean() (formula (2) with (5))."


@pytest.mark.points(3)
def test_discriminator_loss_values(submission, reference):
    """Does discriminator_loss give the cross-entropy of formula (2) (real label 1, fake label 0) on random logits?"""
    real, fake = _logits(1, 6), _logits(2, 9)  # (B,), (B',): two batch sizes
    expected = float(reference.discriminator_loss(real, fake))
    found = scalar(submission.discriminator_loss(real, fake), "discriminator_loss(6 real logits, 9 fake logits)")
    if not close(found, expected):
        raise CheckFailure.build("discriminator_loss on 6 real and 9 fake random logits", expected=f"{expected:.5f} nats",
                                 found=f"{found:.5f}", cause=_discriminator_cause(found, real, fake))


@pytest.mark.points(3)
def test_generator_loss_values(submission, reference):
    """Does generator_loss give formula (3) for kind="minimax", formula (4) for kind="nonsaturating" (the default)?"""
    fake = _logits(3, 7)  # (B,)
    f64 = fake.double()
    for kind in KINDS:
        expected = float(reference.generator_loss(fake, kind))
        found = scalar(submission.generator_loss(fake, kind), f'generator_loss(7 logits, "{kind}")')
        if close(found, expected):
            continue
        other = float(reference.generator_loss(fake, KINDS[1 - KINDS.index(kind)]))
        if close(found, -expected):
            cause = ("the sign is wrong: the generator minimises -log D(G(z)) (it wants D(G(z)) near 1); minimising "
                     "log D(G(z)) teaches it to be rejected." if kind == "nonsaturating" else
                     "the sign is wrong: the minimax cost is E[log(1 - D(G(z)))] = -E[softplus(l)], a negative number.")
        elif close(found, other):
            cause = "the two kinds are swapped: minimax is formula (3), log(1 - D); nonsaturating is formula (4), -log D."
        elif close(found, float(F.binary_cross_entropy_with_logits(torch.sigmoid(f64), torch.ones_like(f64)))):
            cause = "a sigmoid is applied to values that are already probabilities: the inputs are logits."
        else:
            cause = "use the identities (5): log sigma(l) = -softplus(-l), log(1 - sigma(l)) = -softplus(l)."
        raise CheckFailure.build(f'generator_loss on 7 random logits, kind="{kind}"', expected=f"{expected:.5f} nats",
                                 found=f"{found:.5f}", cause=cause)
    default = scalar(submission.generator_loss(fake), "generator_loss(7 logits)")
    if not close(default, float(reference.generator_loss(fake, "nonsaturating"))):
        raise CheckFailure("generator_loss(fake_logits) without a kind should be the non-saturating cost (the default "
                           'kind="nonsaturating").')


_NAIVE = ("Written as log(sigmoid(l)) or log(1 - sigmoid(l)), it overflows: in float32 sigmoid(100) is exactly 1 and "
          "log(1 - 1) = -inf, and the gradient 1 / sigmoid(-100) is infinite. Use F.softplus (identities (5)), "
          "F.logsigmoid or F.binary_cross_entropy_with_logits.")


def _check_stable(report: dict, expected_value: float, expected_grads: list[torch.Tensor], what: str) -> None:
    value = scalar(report["value"], what)
    if not math.isfinite(value):
        raise CheckFailure.build(f"{what} at logits of magnitude 100", expected=f"{expected_value:.4f} nats, finite",
                                 found=f"{value}", cause=_NAIVE)
    if not report["differentiable"]:
        raise CheckFailure(f"{what} is not differentiable with respect to the logits: keep the computation in torch "
                           "(no .item(), .detach() or NumPy).")
    for grad in report["grads"]:
        if grad is None or not torch.isfinite(grad).all():
            raise CheckFailure.build(f"the gradient of {what} at logits of magnitude 100", expected="finite values",
                                     found="inf or NaN" if grad is not None else "no gradient", cause=_NAIVE)
    if not close(value, expected_value, 1e-4):
        raise CheckFailure.build(f"{what} at logits of +-100 and +-30", expected=f"{expected_value:.4f} nats",
                                 found=f"{value:.4f}", cause="it is finite but not formula (2)-(4); the tests of the "
                                 "values say more.")
    for grad, expected in zip(report["grads"], expected_grads, strict=True):
        if not torch.allclose(grad.double(), expected, rtol=1e-3, atol=1e-6):
            raise CheckFailure.build(f"the gradient of {what} at logits of +-100 and +-30",
                                     expected="the derivative of formula (2)-(4) (e.g. -sigma(-l) / B for a real logit)",
                                     found=f"{[round(v, 5) for v in grad.double().tolist()]}",
                                     cause="a clamp or a constant added inside the logarithm changes the gradient where "
                                           "the discriminator is confident; use the identities (5).")


@pytest.mark.points(3)
def test_losses_stable_at_large_logits(submission):
    """Do both losses, and their gradients, stay finite and exact for logits of +-100 (a confident discriminator)?"""
    logits = torch.tensor([100.0, -100.0, 30.0, -30.0])
    l64 = logits.double()
    B = len(logits)
    report = value_and_gradients(submission.discriminator_loss, [logits, logits])
    _check_stable(report, float(F.softplus(-l64).mean() + F.softplus(l64).mean()),
                  [-torch.sigmoid(-l64) / B, torch.sigmoid(l64) / B], "discriminator_loss")
    for kind, value, grad in (("minimax", -F.softplus(l64).mean(), -torch.sigmoid(l64) / B),
                              ("nonsaturating", F.softplus(-l64).mean(), -torch.sigmoid(-l64) / B)):
        report = value_and_gradients(submission.generator_loss, [logits], kind)
        _check_stable(report, float(value), [grad], f'generator_loss(kind="{kind}")')


@pytest.mark.points(2)
def test_loss_gradients(submission):
    """Are the gradients of both losses with respect to the logits those of formulas (2)-(4) (autograd through your code)?"""
    real, fake = _logits(4, 5).double(), _logits(5, 8).double()
    expected = [-torch.sigmoid(-real) / len(real), torch.sigmoid(fake) / len(fake)]
    checks = [("discriminator_loss", value_and_gradients(submission.discriminator_loss, [real, fake]), expected)]
    for kind, grad in (("minimax", -torch.sigmoid(fake) / len(fake)), ("nonsaturating", -torch.sigmoid(-fake) / len(fake))):
        checks.append((f'generator_loss(kind="{kind}")', value_and_gradients(submission.generator_loss, [fake], kind), [grad]))
    for what, report, wanted in checks:
        if not report["differentiable"]:
            raise CheckFailure(f"{what} is not differentiable with respect to the logits: keep the computation in torch "
                               "(no .item(), .detach() or NumPy), so that the gradient reaches the networks.")
        for name, grad, exp in zip(("real", "fake") if len(wanted) == 2 else ("fake",), report["grads"], wanted, strict=True):
            if grad is None or not torch.allclose(grad.double(), exp, rtol=1e-4, atol=1e-7):
                raise CheckFailure.build(f"the gradient of {what} with respect to the {name} logits (float64)",
                                         expected="the derivative of the formula, e.g. -sigma(-l) / B for each real logit",
                                         found="no gradient" if grad is None else "other values",
                                         cause="each expectation is a mean over its own batch; check the signs of (2)-(4).")
