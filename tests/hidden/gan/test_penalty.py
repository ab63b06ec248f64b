"""Hidden tests of Part 8: the WGAN-GP gradient penalty against the reference on the same critic, in closed form for
a critic that is linear where it is evaluated, and by a float64 gradcheck with respect to the critic's parameters."""

import pytest
import torch
from gan_helpers import scalar, twin

from gradelib.checks import CheckFailure
from gradelib.checks.gradients import gradcheck_report
from gradelib.sandbox.expr import MODEL, call
from gradelib.sandbox.probes import load_tensors, named_tensors


def _norms(critic, real, fake, eps) -> torch.Tensor:
    """(B,) the gradient norms of a local critic at the interpolates eps * real + (1 - eps) * fake, in float64."""
    shape = (-1,) + (1,) * (real.dim() - 1)
    x_hat = (eps.view(shape) * real + (1 - eps.view(shape)) * fake).requires_grad_(True)
    (grads,) = torch.autograd.grad(critic(x_hat).sum(), x_hat)
    return grads.flatten(start_dim=1).norm(dim=1).double()


def _penalty(submission, critic, real, fake, eps, what: str) -> float:
    return scalar(submission.gradient_penalty(critic, real, fake, eps), what, "the mean over the batch")


@pytest.mark.points(3)
def test_penalty_matches_reference(submission, reference):
    """With the reference's critics and the same mixing weights, does gradient_penalty give the reference's value, on 2-D points and on images (one gradient norm per sample)?"""
    generator = torch.Generator().manual_seed(0)
    cases = [("MLPDiscriminator(data_dim=3, hidden=8) on 6 points", ("MLPDiscriminator", 3, 8), (6, 3)),
             ("DCGANDiscriminator(features=4) in eval mode on 5 images", ("DCGANDiscriminator", 4), (5, 1, 28, 28))]
    for what, (cls, *args), shape in cases:
        critic, ref = twin(submission, reference, cls, *args)
        real, fake = torch.randn(*shape, generator=generator), torch.randn(*shape, generator=generator)
        eps = torch.rand(shape[0], generator=generator)
        expected = float(reference.gradient_penalty(ref, real, fake, eps).detach())
        found = _penalty(submission, critic, real, fake, eps, f"gradient_penalty with {what}")
        if abs(found - expected) <= 1e-4 * abs(expected) + 1e-6:
            continue
        at_real = float(reference.gradient_penalty(ref, real, fake, torch.ones_like(eps)).detach())
        at_fake = float(reference.gradient_penalty(ref, real, fake, torch.zeros_like(eps)).detach())
        if abs(found - at_real) <= 1e-4 * abs(at_real) + 1e-6:
            cause = ("it is the penalty at the real samples: evaluate the gradient at x_hat = eps * real + (1 - eps) * fake, "
                     "random points between the two distributions.")
        elif abs(found - at_fake) <= 1e-4 * abs(at_fake) + 1e-6:
            cause = "it is the penalty at the fakes: x_hat = eps * real + (1 - eps) * fake."
        elif abs(found - float(reference.gradient_penalty(ref, real, fake, 1 - eps).detach())) <= 1e-4 * abs(expected) + 1e-6:
            cause = "eps weighs the real samples: x_hat = eps * real + (1 - eps) * fake."
        elif abs(found - float((_norms(ref, real, fake, eps) - 1).mean())) <= 1e-4 * abs(expected) + 1e-6:
            cause = "the penalty is the mean of the square (|grad| - 1)^2 of each sample's distance to 1, not of |grad| - 1."
        elif abs(found - float(_norms(ref, real, fake, eps).pow(2).mean())) <= 1e-4 * abs(expected) + 1e-6:
            cause = "the penalty is (|grad| - 1)^2, the squared distance of the norm to 1, not |grad|^2."
        else:
            cause = ("one gradient norm per sample over all its entries (grads.flatten(1).norm(dim=1)), then the mean of "
                     "(norm - 1)^2 over the batch.")
        raise CheckFailure.build(f"gradient_penalty with {what} and given eps", expected=f"{expected:.6f}",
                                 found=f"{found:.6f}", cause=cause)


def _linear_critic(submission, scale: float):
    """An MLPDiscriminator(data_dim=4, hidden=6) whose hidden units are all active on inputs in [-1, 1] (biases of 50),
    so it is affine there: gradient w = W1^T W2^T w3 everywhere; w3 scaled so that |w| = ``scale``."""
    torch.manual_seed(0)
    critic = submission.MLPDiscriminator(data_dim=4, hidden=6)
    tensors = named_tensors(critic)
    generator = torch.Generator().manual_seed(4)
    w1, w2, w3 = (0.3 * torch.randn(*tensors[f"net.{i}.weight"].shape, generator=generator) for i in (0, 2, 4))
    gradient = (w3 @ w2 @ w1).flatten()  # (4,)
    w3 = w3 * scale / gradient.norm()
    tensors.update({"net.0.weight": w1, "net.0.bias": torch.full((6,), 50.0), "net.2.weight": w2,
                    "net.2.bias": torch.full((6,), 50.0), "net.4.weight": w3})
    load_tensors(critic, tensors)
    critic.eval()
    return critic


@pytest.mark.points(3)
def test_penalty_of_a_linear_critic(submission):
    """For a critic that is linear where it is evaluated, with gradient w, is the penalty (|w| - 1)^2 (0 for |w| = 1, 4 for |w| = 3)?"""
    generator = torch.Generator().manual_seed(5)
    real, fake = torch.rand(8, 4, generator=generator) * 2 - 1, torch.rand(8, 4, generator=generator) * 2 - 1
    for scale in (1.0, 3.0, 0.5):
        found = _penalty(submission, _linear_critic(submission, scale), real, fake, None,
                         f"gradient_penalty of a linear critic with |w| = {scale}")
        expected = (scale - 1) ** 2
        if abs(found - expected) > 1e-4:
            if abs(found - (scale**2 - 1) ** 2) <= 1e-3:
                cause = "the penalty uses the norm |grad|, not its square |grad|^2."
            elif abs(abs(found) - abs(scale - 1)) <= 1e-3:
                cause = "the penalty is the square (|grad| - 1)^2 of each sample's distance to 1, then the mean."
            elif abs(found - scale**2) <= 1e-3:
                cause = "the penalty is (|grad| - 1)^2, the squared distance of the norm to 1, not |grad|^2."
            else:
                cause = ("GP = mean over the batch of (|grad_x C(x_hat)|_2 - 1)^2, the gradient with respect to x_hat.")
            raise CheckFailure.build(f"gradient_penalty of a critic with constant gradient of norm {scale}",
                                     expected=f"(|w| - 1)^2 = {expected:.4f}", found=f"{found:.4f}", cause=cause)


@pytest.mark.points(4)
def test_penalty_gradcheck(submission):
    """Is the penalty differentiable with respect to the critic's parameters (autograd.grad with create_graph=True), with gradients that agree with finite differences in float64?"""
    torch.manual_seed(0)
    critic = submission.MLPDiscriminator(data_dim=3, hidden=4)
    generator = torch.Generator().manual_seed(6)
    real, fake = (torch.randn(5, 3, dtype=torch.float64, generator=generator) for _ in range(2))
    eps = torch.rand(5, dtype=torch.float64, generator=generator)
    report = gradcheck_report(critic, call(submission.gradient_penalty, MODEL, real, fake, eps))
    what = "gradient_penalty(critic, real, fake, eps)"
    if not report.get("checked"):
        raise CheckFailure(f"{what}: the critic has no parameters to differentiate.")
    if not report.get("differentiable") or report.get("constant"):
        raise CheckFailure.build(f"the gradient of {what} with respect to the critic's parameters",
                                 expected="the penalty's own gradient, so that the critic's optimiser can lower it",
                                 found="none: the penalty is a constant to the critic's parameters",
                                 cause="compute the gradient with torch.autograd.grad(scores.sum(), x_hat, "
                                       "create_graph=True): without create_graph the gradient leaves the graph.")
    if not report.get("ok"):
        culprit = report.get("culprit")
        raise CheckFailure.build(f"the gradient of {what} with respect to "
                                 + (f"the parameter {str(culprit)[:60]}" if culprit else "the critic's parameters"),
                                 expected="agreement with finite differences (float64 gradcheck)", found="a disagreement",
                                 cause="keep the whole computation in torch and differentiable (no .detach() of the "
                                       "gradient, no .item(), no in-place changes).")
