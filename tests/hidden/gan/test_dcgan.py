"""Hidden tests of Part 5: the DCGAN generator and discriminator against the reference on the same weights, their
shapes and ranges, and device portability."""

import pytest
import torch
from gan_helpers import twin

from gradelib.checks import CheckFailure
from gradelib.checks.devices import assert_runs_on_meta
from gradelib.sandbox.expr import DEVICE, MODEL, call, method
from gradelib.sandbox.probes import to_device


@pytest.mark.parametrize("latent_dim, features", [(16, 8), (5, 4)])
@pytest.mark.points(2)
def test_generator_matches_reference(submission, reference, latent_dim, features):
    """Does DCGANGenerator draw (B, 1, 28, 28) images in [-1, 1] that match the reference's on the same weights?"""
    model, ref = twin(submission, reference, "DCGANGenerator", latent_dim, features)
    z = torch.randn(6, latent_dim, generator=torch.Generator().manual_seed(1))
    out = torch.as_tensor(model(z))
    if out.shape != (6, 1, 28, 28):
        raise CheckFailure.build(f"DCGANGenerator({latent_dim}, {features}) on 6 latent points", expected="(6, 1, 28, 28)",
                                 found=f"{tuple(out.shape)}", cause="view z as (B, latent_dim, 1, 1); a 7x7 transposed "
                                 "convolution, then two of kernel 4, stride 2, padding 1 (7 -> 14 -> 28).")
    expected = ref(z).detach()
    if not torch.allclose(out, expected, atol=1e-4, rtol=1e-4):
        if torch.allclose(torch.tanh(out), expected, atol=1e-4, rtol=1e-4) or not bool(out.abs().max() <= 1):
            cause = "its output is not squashed into [-1, 1], the range of the data: end with nn.Tanh()."
        else:
            cause = ("check the order of the layers in its docstring: batch norm after the first two transposed "
                     "convolutions, ReLU, and no batch norm on the output layer.")
        raise CheckFailure.build(f"DCGANGenerator({latent_dim}, {features}) on the reference's weights (eval mode)",
                                 expected="the reference's images", found="other images", cause=cause)


@pytest.mark.points(3)
def test_discriminator_gives_logits(submission, reference):
    """Does DCGANDiscriminator give one raw logit per image (shape (B,), no sigmoid), matching the reference on the same weights, for 1 and for 11 input channels?"""
    for in_channels in (1, 11):
        model, ref = twin(submission, reference, "DCGANDiscriminator", 4, in_channels)
        x = torch.randn(5, in_channels, 28, 28, generator=torch.Generator().manual_seed(2))
        out = torch.as_tensor(model(x))
        what = f"DCGANDiscriminator(features=4, in_channels={in_channels}) on 5 images"
        if out.shape != (5,):
            raise CheckFailure.build(what, expected="shape (5,): one logit per image", found=f"shape {tuple(out.shape)}",
                                     cause="end with Conv2d(2f, 1, 7) (7x7 -> 1x1) and flatten to (B,).")
        expected = ref(x).detach()
        if torch.allclose(out, torch.sigmoid(expected), atol=1e-4):
            raise CheckFailure.build(what, expected="raw logits, any real number", found="values in (0, 1): probabilities",
                                     cause="the network applies a sigmoid, and the losses apply another one (they take "
                                           "logits): remove the final nn.Sigmoid().")
        if not torch.allclose(out, expected, atol=1e-4, rtol=1e-4):
            raise CheckFailure.build(what, expected="the reference's logits on the same weights", found="other values",
                                     cause="check the layers of its docstring: LeakyReLU(0.2), batch norm only after the "
                                           "second convolution, no activation after the last.")


@pytest.mark.points(2)
def test_networks_run_on_any_device(submission):
    """Do DCGANGenerator and DCGANDiscriminator run on the device of their input (checked on PyTorch's meta device)?"""
    generator = submission.DCGANGenerator(6, 4)
    assert_runs_on_meta(generator, method(MODEL, "__call__", call(to_device, torch.randn(3, 6), DEVICE)),
                        what="DCGANGenerator.forward")
    discriminator = submission.DCGANDiscriminator(4)
    assert_runs_on_meta(discriminator, method(MODEL, "__call__", call(to_device, torch.randn(3, 1, 28, 28), DEVICE)),
                        what="DCGANDiscriminator.forward")
