"""Hidden tests of Part 4: pix2pix's discriminator of pairs and its two losses, on the reference's weights."""

import pytest
import torch
from cyclegan_helpers import close, domains, scalar, twin

from gradelib.checks import CheckFailure


@pytest.mark.points(3)
def test_discriminator_sees_the_pair(submission, reference):
    """Does pix2pix's discriminator judge the pair: does D's output change when only the input half a changes?"""
    model, ref = twin(submission, reference, "Pix2Pix")
    a1, a2, b = domains(4, seed=1)
    s1, s2 = torch.as_tensor(model.discriminate(a1, b)), torch.as_tensor(model.discriminate(a2, b))
    if s1.shape != (4, 1, 3, 3):
        raise CheckFailure(f"discriminate(a, b) on 16x16 images should give (4, 1, 3, 3) patch scores; got {tuple(s1.shape)}.")
    if torch.allclose(s1, s2, atol=1e-6):
        raise CheckFailure.build("discriminate(a, b) for two different inputs a and the same output b",
                                 expected="different scores: D judges whether b fits a",
                                 found="the same scores: D never sees the input",
                                 cause="feed D the pair torch.cat([a, b], dim=1), input first.")
    if not torch.allclose(s1, ref.discriminate(a1, b).detach(), atol=1e-4):
        swapped = ref.D(torch.cat([b, a1], dim=1)).detach()
        cause = ("the pair is concatenated as (b, a): put the input first, torch.cat([a, b], dim=1)."
                 if torch.allclose(s1, swapped, atol=1e-4) else "D(torch.cat([a, b], dim=1)), along the channels.")
        raise CheckFailure.build("discriminate(a, b) on the reference's weights", expected="the reference's scores",
                                 found="other scores", cause=cause)


@pytest.mark.points(3)
def test_generator_loss(submission, reference):
    """Is pix2pix's generator loss LSGAN(D(a, G(a)), real) + lambda_l1 * mean |G(a) - b|, matching the reference?"""
    model, ref = twin(submission, reference, "Pix2Pix")
    a, b, _ = domains(4, seed=2)
    found = model.generator_loss(a, b)
    expected = ref.generator_loss(a, b)
    for key in ("adv", "l1", "loss"):
        if key not in found:
            raise CheckFailure(f"generator_loss should return a dict with keys loss, adv, l1, fake_b; it has {sorted(found)}.")
        f, e = scalar(found[key], f"generator_loss(...)['{key}']"), float(expected[key])
        if close(f, e):
            continue
        if key == "adv":
            fake = ref.discriminate(a, ref.G(a)).detach()
            cause = ("the target is 0: the generator wants D(a, G(a)) scored as real, target 1 (lsgan_loss(..., True))."
                     if close(f, float(fake.pow(2).mean())) else "lsgan_loss(self.discriminate(real_a, fake_b), True).")
        elif key == "l1":
            fake_b = ref.G(a).detach()
            cause = ("the L1 term is not weighted by lambda_l1 (100)." if close(f, float((fake_b - b).abs().mean()))
                     else "lambda_l1 * (fake_b - real_b).abs().mean(): an L1 distance to the true output.")
        else:
            cause = "loss = adv + l1."
        raise CheckFailure.build(f"generator_loss(a, b)['{key}'] on the reference's weights", expected=f"{e:.5f}",
                                 found=f"{f:.5f}", cause=cause)


@pytest.mark.points(2)
def test_discriminator_loss(submission, reference):
    """Is pix2pix's discriminator loss 0.5 * (LSGAN(D(a, b), real) + LSGAN(D(a, fake), fake)), matching the reference?"""
    model, ref = twin(submission, reference, "Pix2Pix")
    a, b, fake = domains(4, seed=3)
    f = scalar(model.discriminator_loss(a, b, fake), "discriminator_loss")
    e = float(ref.discriminator_loss(a, b, fake))
    if not close(f, e):
        real_s, fake_s = ref.discriminate(a, b).detach(), ref.discriminate(a, fake).detach()
        if close(f, 0.5 * float(real_s.pow(2).mean() + (fake_s - 1).pow(2).mean())):
            cause = "the targets are swapped: real pairs have target 1, fake pairs 0."
        elif close(f, 2 * e):
            cause = "the loss is not halved: 0.5 * (real term + fake term), which slows D relative to G."
        else:
            cause = "0.5 * (lsgan_loss(D(a, b), True) + lsgan_loss(D(a, fake_b), False)), the pairs with the input a."
        raise CheckFailure.build("discriminator_loss(a, b, fake_b) on the reference's weights", expected=f"{e:.5f}",
                                 found=f"{f:.5f}", cause=cause)
