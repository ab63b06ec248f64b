"""Hidden tests of Part 3: the residual generator and the PatchGAN discriminator."""

import pytest
import torch

from gradelib.checks import CheckFailure
from gradelib.checks.devices import assert_runs_on_meta
from gradelib.sandbox.expr import DEVICE, MODEL, call, method
from gradelib.sandbox.probes import load_tensors, named_tensors, parameter_shapes, to_device


def _same_weights(model, ref_model, what: str) -> None:
    tensors = named_tensors(ref_model)
    shapes = parameter_shapes(model)
    wanted = {name: list(value.shape) for name, value in tensors.items() if name in dict(ref_model.named_parameters())}
    if shapes != wanted:
        missing = sorted(set(wanted) - set(shapes))[:4]
        wrong = sorted(name for name in wanted if name in shapes and shapes[name] != wanted[name])[:4]
        raise CheckFailure.build(f"the parameters of {what}", expected="the layers listed in its docstring",
                                 found=f"missing {missing}, other shapes {[(n, shapes[n]) for n in wrong]}",
                                 cause="build `model` as an nn.Sequential of exactly the listed layers, in order.")
    load_tensors(model, tensors)


@pytest.mark.points(2)
def test_residual_block(submission, reference):
    """Is ResidualBlock x + body(x) (identity when its convolutions are zero), matching the reference on fixed weights?"""
    block, ref = submission.ResidualBlock(4), reference.ResidualBlock(4)
    x = torch.randn(2, 4, 6, 6)
    load_tensors(block, {name: torch.zeros_like(value) for name, value in named_tensors(ref).items()})
    out = torch.as_tensor(block(x))
    if out.shape != x.shape or not torch.allclose(out, x, atol=1e-5):
        raise CheckFailure("With all convolution weights and biases zero, ResidualBlock(x) should return x (the skip "
                           "connection: x + body(x), and the body of zeros is zero). Return x + self.body(x).")
    torch.manual_seed(0)
    ref = reference.ResidualBlock(4)
    _same_weights(block, ref, "ResidualBlock(4)")
    if not torch.allclose(torch.as_tensor(block(x)), ref(x).detach(), atol=1e-4):
        raise CheckFailure("ResidualBlock differs from the reference on the same weights: reflection-pad, conv 3x3, "
                           "instance norm, ReLU, reflection-pad, conv 3x3, instance norm, then add x.")


@pytest.mark.points(3)
def test_generator_matches_reference(submission, reference):
    """Does ResnetGenerator keep the image size, end in tanh and match the reference on the same weights?"""
    torch.manual_seed(0)
    ref = reference.ResnetGenerator(3, 3, features=4, num_blocks=2)
    model = submission.ResnetGenerator(3, 3, features=4, num_blocks=2)
    _same_weights(model, ref, "ResnetGenerator(3, 3, features=4, num_blocks=2)")
    x = torch.rand(3, 3, 16, 16) * 2 - 1
    out = torch.as_tensor(model(x))
    if out.shape != (3, 3, 16, 16):
        raise CheckFailure.build("ResnetGenerator(3, 3) on (3, 3, 16, 16) images", expected="(3, 3, 16, 16)",
                                 found=f"{tuple(out.shape)}", cause="one stride-2 convolution down, one transposed "
                                 "convolution (output_padding=1) up, reflection padding 3 around the 7x7 convolutions.")
    if not torch.allclose(out, ref(x).detach(), atol=1e-4):
        bounded = bool(out.abs().max() <= 1)
        raise CheckFailure("ResnetGenerator differs from the reference on the same weights. "
                           + ("" if bounded else "Its output leaves [-1, 1]: end with nn.Tanh(). ")
                           + "Check the order of the layers in its docstring (instance norm after each convolution "
                             "but the last).")
    other = torch.as_tensor(submission.ResnetGenerator(3, 1, features=4, num_blocks=1)(x))
    if other.shape != (3, 1, 16, 16):
        raise CheckFailure(f"ResnetGenerator(3, 1) should output one channel; got shape {tuple(other.shape)}.")


@pytest.mark.points(3)
def test_patch_discriminator(submission, reference):
    """Does PatchDiscriminator give one raw score per patch ((B, 1, H/4-1, W/4-1)), matching the reference on the same weights?"""
    torch.manual_seed(0)
    ref = reference.PatchDiscriminator(6, features=4)
    model = submission.PatchDiscriminator(6, features=4)
    _same_weights(model, ref, "PatchDiscriminator(6, features=4)")
    x = torch.randn(2, 6, 32, 32)
    out = torch.as_tensor(model(x))
    if out.shape != (2, 1, 7, 7):
        raise CheckFailure.build("PatchDiscriminator(6) on (2, 6, 32, 32)", expected="(2, 1, 7, 7) patch scores",
                                 found=f"{tuple(out.shape)}", cause="two 4x4 convolutions of stride 2 and padding 1, then "
                                 "one 4x4 of stride 1 and padding 1 to one channel; no pooling to a single score.")
    if not torch.allclose(out, ref(x).detach(), atol=1e-4):
        cause = ("its scores are in (0, 1): LSGAN uses raw scores, no sigmoid." if bool((out > 0).all() and (out < 1).all())
                 else "check the layers' order in the docstring (no instance norm after the first convolution).")
        raise CheckFailure.build("PatchDiscriminator on the reference's weights", expected="the reference's scores",
                                 found="other scores", cause=cause)


@pytest.mark.points(1)
def test_networks_run_on_any_device(submission):
    """Do the generator and the discriminator run on the device of their input (no tensor created on the CPU inside)?"""
    for what, model, shape in (("ResnetGenerator.forward", submission.ResnetGenerator(3, 3, features=4, num_blocks=1), (2, 3, 16, 16)),
                               ("PatchDiscriminator.forward", submission.PatchDiscriminator(3, features=4), (2, 3, 16, 16))):
        assert_runs_on_meta(model, method(MODEL, "__call__", call(to_device, torch.rand(shape) * 2 - 1, DEVICE)), what=what)
