"""Hidden tests of Part 1: the LSGAN, cycle-consistency and identity losses, on random tensors."""

import pytest
import torch

from gradelib.checks import CheckFailure


def _scalar(value, what: str) -> float:
    value = torch.as_tensor(value)
    if value.shape != ():
        raise CheckFailure(f"{what} should be a scalar tensor (shape ()); it has shape {tuple(value.shape)}. Average over "
                           "every entry with .mean().")
    return float(value)


@pytest.mark.points(3)
def test_lsgan_targets(submission):
    """Is lsgan_loss the mean of (D - 1)^2 for real targets and of D^2 for fake targets (LSGAN: real 1, fake 0)?"""
    prediction = torch.randn(4, 1, 3, 3) + 0.3  # (B, 1, h, w) patch scores
    for is_real, expected in ((True, (prediction - 1).pow(2).mean()), (False, prediction.pow(2).mean())):
        found = _scalar(submission.lsgan_loss(prediction, is_real), f"lsgan_loss(prediction, {is_real})")
        if abs(found - float(expected)) <= 1e-5 * max(1.0, abs(float(expected))):
            continue
        other = (prediction - (0.0 if is_real else 1.0)).pow(2).mean()
        if abs(found - float(other)) <= 1e-5:
            cause = ("the targets are swapped: real images (and the generator's wish for its fakes) have target 1, "
                     "fakes target 0.")
        elif abs(found - float(expected.sqrt())) <= 1e-5 or abs(found - float((prediction - int(is_real)).abs().mean())) <= 1e-5:
            cause = "LSGAN uses the mean of squared differences, not absolute values or a root."
        elif abs(found - float(torch.nn.functional.binary_cross_entropy_with_logits(prediction, torch.full_like(prediction, float(is_real))))) <= 1e-5:
            cause = "this is the log loss of the original GAN; LSGAN uses squared differences of the raw scores."
        else:
            cause = "compute (prediction - target).pow(2).mean() with target 1.0 or 0.0."
        raise CheckFailure.build(f"lsgan_loss(prediction, target_is_real={is_real}) on random (4, 1, 3, 3) scores",
                                 expected=f"{float(expected):.5f}", found=f"{found:.5f}", cause=cause)


def _four(seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    return [torch.rand(3, 3, 8, 8, generator=g) * 2 - 1 for _ in range(4)]


@pytest.mark.points(3)
def test_cycle_consistency_loss(submission):
    """Is cycle_consistency_loss weight * (mean |F(G(a)) - a| + mean |G(F(b)) - b|), both directions, L1?"""
    real_a, cycled_a, real_b, cycled_b = _four()
    l1_a, l1_b = (cycled_a - real_a).abs().mean(), (cycled_b - real_b).abs().mean()
    for weight in (10.0, 2.5):
        expected = float(weight * (l1_a + l1_b))
        found = _scalar(submission.cycle_consistency_loss(real_a, cycled_a, real_b, cycled_b, weight),
                        "cycle_consistency_loss")
        if abs(found - expected) <= 1e-4 * max(1.0, expected):
            continue
        l2 = weight * ((cycled_a - real_a).pow(2).mean() + (cycled_b - real_b).pow(2).mean())
        if abs(found - float(l2)) <= 1e-4 * max(1.0, float(l2)):
            cause = "it uses squared errors (L2); the cycle loss is an L1 loss: mean absolute differences."
        elif min(abs(found - float(weight * l1_a)), abs(found - float(weight * l1_b))) <= 1e-4 * max(1.0, expected):
            cause = ("only one direction is counted: add the cycle of A (|F(G(a)) - a|) and the cycle of B "
                     "(|G(F(b)) - b|).")
        elif abs(found - float(l1_a + l1_b)) <= 1e-4 * max(1.0, expected):
            cause = "the weight (lambda) is not applied."
        else:
            cause = "weight * ((cycled_a - real_a).abs().mean() + (cycled_b - real_b).abs().mean())."
        raise CheckFailure.build(f"cycle_consistency_loss(..., weight={weight}) on random images",
                                 expected=f"{expected:.5f}", found=f"{found:.5f}", cause=cause)


@pytest.mark.points(2)
def test_identity_loss(submission):
    """Is identity_loss weight * (mean |F(a) - a| + mean |G(b) - b|), L1, with the weight 5 by default?"""
    real_a, same_a, real_b, same_b = _four(1)
    l1 = (same_a - real_a).abs().mean() + (same_b - real_b).abs().mean()
    for args, weight in (((real_a, same_a, real_b, same_b), 5.0), ((real_a, same_a, real_b, same_b, 1.5), 1.5)):
        expected = float(weight * l1)
        found = _scalar(submission.identity_loss(*args), "identity_loss")
        if abs(found - expected) > 1e-4 * max(1.0, expected):
            l2 = float(weight * ((same_a - real_a).pow(2).mean() + (same_b - real_b).pow(2).mean()))
            cause = ("it uses squared errors; the identity loss is L1." if abs(found - l2) <= 1e-4 * max(1.0, l2)
                     else "weight * ((same_a - real_a).abs().mean() + (same_b - real_b).abs().mean()), weight 0.5 * lambda = 5 by default.")
            raise CheckFailure.build(f"identity_loss with weight {weight} on random images", expected=f"{expected:.5f}",
                                     found=f"{found:.5f}", cause=cause)
