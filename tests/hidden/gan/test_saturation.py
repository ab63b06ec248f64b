"""Hidden tests of Part 1b: the minimax generator cost saturates when the discriminator confidently rejects the
fakes; the non-saturating cost does not. Gradients with respect to the logits, through the student's own
generator_loss and autograd, on one logit at a time."""

import pytest
import torch

from gradelib.checks import CheckFailure
from gradelib.sandbox.probes_gan import value_and_gradients

#: Logits of fakes that the discriminator rejects confidently: D(G(z)) = sigma(l) from 7e-3 down to 2e-9.
REJECTED = (-5.0, -8.0, -12.0, -20.0)


def _gradient(submission, logit: float, kind: str) -> float:
    """d generator_loss(l, kind) / d l for a batch of one logit."""
    report = value_and_gradients(submission.generator_loss, [torch.tensor([logit])], kind)
    grad = report["grads"][0] if report["differentiable"] else None
    if grad is None or grad.numel() != 1 or not torch.isfinite(grad).all():
        raise CheckFailure(f'generator_loss(l, "{kind}") has no finite gradient with respect to the logit at l = {logit}: '
                           "keep the computation in torch and use the stable identities (5).")
    return float(grad.double())


@pytest.mark.points(3)
def test_minimax_gradient_vanishes(submission):
    """When the discriminator confidently rejects a fake (D(G(z)) < 0.01), is the minimax cost's gradient with respect to the logit -D(G(z)) (formula (6)): as small as D(G(z)) itself, pointing towards larger logits?"""
    for logit in REJECTED:
        d = float(torch.sigmoid(torch.tensor(logit, dtype=torch.float64)))
        grad = _gradient(submission, logit, "minimax")
        if not (grad <= 0 and abs(abs(grad) - d) <= 0.01 * d + 1e-12):
            raise CheckFailure.build(
                f'the gradient of generator_loss(l, "minimax") at l = {logit} (D(G(z)) = {d:.2e})',
                expected=f"-D(G(z)) = {-d:.2e}: the minimax cost saturates, but its gradient is not 0",
                found=f"{grad:.3e}",
                cause=("the cost increases with the logit: the generator would learn to be rejected; the minimax cost "
                       "is log(1 - D(G(z))), minimised." if grad > 0 else
                       'this is not formula (3): kind="minimax" is E[log(1 - D(G(z)))] = -E[softplus(l)].'))


@pytest.mark.points(2)
def test_nonsaturating_gradient_does_not_vanish(submission):
    """When the discriminator confidently rejects a fake, does the non-saturating cost still give a gradient of size about 1 (formula (6)), pointing towards larger logits?"""
    for logit in REJECTED:
        d = float(torch.sigmoid(torch.tensor(logit, dtype=torch.float64)))
        grad = _gradient(submission, logit, "nonsaturating")
        if not (grad < 0 and abs(abs(grad) - (1 - d)) <= 1e-3):
            raise CheckFailure.build(
                f'the gradient of generator_loss(l, "nonsaturating") at l = {logit} (D(G(z)) = {d:.2e})',
                expected=f"-(1 - D(G(z))) = {-(1 - d):.4f}: the largest gradients when the fakes are worst",
                found=f"{grad:.3e}",
                cause=("the sign is wrong: the generator minimises -log D(G(z)); minimising log D(G(z)) pushes the "
                       "fakes away from the data." if grad > 0 else
                       'this is not formula (4): kind="nonsaturating" is -E[log D(G(z))] = E[softplus(-l)].'))
