"""Hidden tests of Part 4: MaskedConv2d (formula (9)).

The mask patterns are read off the layer's behaviour (which inputs an output pixel depends on),
so any correct way of storing the mask passes.
"""

import pytest
import torch

from gradelib.checks import CheckFailure, assert_close, assert_module_gradcheck, assert_runs_on_meta, assert_shape
from gradelib.checks.weights import copy_weights, set_parameters
from gradelib.sandbox.expr import DEVICE, MODEL, X, call, method
from gradelib.sandbox.probes import (
    jacobian_rows,
    module_structure,
    named_tensors,
    parameter_shapes,
    square_loss_steps,
    to_device,
    weighted_sum,
)


def expected_pattern(mask_type: str, k: int) -> torch.Tensor:
    """Formula (9): (k, k) bool, True where the kernel position is kept."""
    m = k // 2
    u, v = torch.meshgrid(torch.arange(k), torch.arange(k), indexing="ij")
    return (u < m) | ((u == m) & ((v < m) if mask_type == "A" else (v <= m)))


def grid(pattern: torch.Tensor) -> str:
    return " / ".join("".join("1" if bit else "0" for bit in row) for row in pattern.tolist())


def effective_pattern(layer, in_channels: int, k: int) -> torch.Tensor:
    """(out, in, k, k) bool: which input positions reach each output channel's centre pixel."""
    x = torch.zeros(1, in_channels, k, k)
    out_channels = layer.out_channels
    assert_shape(layer(x), (1, out_channels, k, k), what=f"the output of MaskedConv2d(kernel_size={k}) for a {k}x{k} input",
                 hint="the padding kernel_size // 2 (given) keeps the image size: use this layer's padding.")
    rows = jacobian_rows(layer, x, [(0, o, k // 2, k // 2) for o in range(out_channels)])  # (out, 1, in, k, k)
    return rows[:, 0] != 0


@pytest.mark.parametrize("kernel_size", [3, 5, 7])
@pytest.mark.parametrize("mask_type", ["A", "B"])
@pytest.mark.points(0.5)
def test_mask_pattern(submission, mask_type, kernel_size):
    """Does the masked convolution see exactly the kernel positions of formula (9)?"""
    layer = submission.MaskedConv2d(mask_type, 2, 3, kernel_size)
    shapes = parameter_shapes(layer)
    values = {"weight": torch.ones(shapes.get("weight", (3, 2, kernel_size, kernel_size)))}
    if "bias" in shapes:
        values["bias"] = torch.zeros(shapes["bias"])
    set_parameters(layer, what="MaskedConv2d", **values)
    found = effective_pattern(layer, 2, kernel_size)
    expected = expected_pattern(mask_type, kernel_size)
    for o in range(found.shape[0]):
        for i in range(found.shape[1]):
            if not torch.equal(found[o, i], expected):
                raise CheckFailure(
                    f"A type-{mask_type} MaskedConv2d with kernel_size={kernel_size} (output channel {o}, input channel {i}) "
                    f"sees the kernel positions {grid(found[o, i])}, row by row (1 = seen); formula (9) keeps "
                    f"{grid(expected)}. Type A zeroes the centre and everything after it in raster order (the rest of "
                    "the centre row, and every row below); type B keeps the centre. The centre is at row and column "
                    "kernel_size // 2. Check the mask and that forward uses self.weight * self.mask."
                )


@pytest.mark.points(1)
def test_mask_is_a_buffer(submission):
    """Is the mask a registered buffer named `mask` (saved with the layer and moved with it), not a parameter?"""
    structure = module_structure(submission.MaskedConv2d("A", 2, 3, 5))
    buffers, parameters = structure["buffers"], structure["parameters"]
    if "mask" in parameters:
        raise CheckFailure("The mask is an nn.Parameter, so the optimiser would train it: register it with "
                           "self.register_buffer('mask', mask) instead.")
    if "mask" not in buffers:
        raise CheckFailure(f"MaskedConv2d has no buffer named `mask` (buffers: {sorted(buffers) or 'none'}): register the mask "
                           "with self.register_buffer('mask', mask) so that it moves with the layer to a GPU and is saved.")
    if "mask" not in structure["state_dict"]:
        raise CheckFailure("The mask is not saved in the layer's state_dict: register it with persistent=True (the default).")
    if set(parameters) != {"weight", "bias"}:
        raise CheckFailure(f"MaskedConv2d's parameters are {sorted(parameters)}; expected only nn.Conv2d's weight and bias.")


@pytest.mark.points(1)
def test_forward_leaves_weights_unchanged(submission):
    """Does forward leave the weights unchanged, and do masked weights stay masked after training steps?"""
    layer = submission.MaskedConv2d("B", 2, 3, 5)
    before = named_tensors(layer)["weight"]
    seen = effective_pattern(layer, 2, 5)  # (3, 2, 5, 5): the kernel positions this layer uses, whatever its mask
    first = square_loss_steps(layer, [torch.randn(4, 2, 6, 6)])
    if not first["unchanged_by_forward"] or not torch.equal(first["before"]["weight"], before):
        raise CheckFailure("forward changed self.weight in place: compute the masked kernel as a new tensor, "
                           "self.weight * self.mask, and convolve with it; never write the mask into self.weight.")
    grad = first["grads"].get("weight")
    if grad is not None and (grad[~seen] != 0).any():
        raise CheckFailure("Masked kernel positions receive gradients, so training moves weights that the mask should "
                           "remove and they leak back into the convolution: use self.weight * self.mask inside forward "
                           "(masking the weights once in __init__ is not enough).")
    square_loss_steps(layer, [torch.randn(4, 2, 6, 6) for _ in range(3)], lr=1.0)
    if (effective_pattern(layer, 2, 5) & ~seen).any():
        raise CheckFailure("After three optimiser steps the layer sees masked kernel positions: apply the mask in every "
                           "forward call (self.weight * self.mask), not once to the initial weights.")


@pytest.mark.points(1)
def test_masked_conv_matches_reference(submission, reference, device):
    """Does MaskedConv2d's forward give the masked convolution (with bias) on fixed weights?"""
    for mask_type in ("A", "B"):
        expected_layer = reference.MaskedConv2d(mask_type, 3, 4, 5).to(device)
        layer = copy_weights(submission.MaskedConv2d(mask_type, 3, 4, 5), expected_layer, what="MaskedConv2d").to(device)
        x = torch.randn(2, 3, 7, 6, device=device)
        assert_close(layer(x), expected_layer(x), what=f"the output of a type-{mask_type} MaskedConv2d(3 -> 4 channels, kernel 5)",
                     hint="Convolve with self.weight * self.mask and add this layer's bias, with its padding "
                          "(self._conv_forward(x, self.weight * self.mask, self.bias) does it).")


@pytest.mark.points(1)
def test_masked_conv_gradients(submission):
    """Are the gradients of MaskedConv2d with respect to its input, weight and bias right (float64 gradcheck)?"""
    layer = submission.MaskedConv2d("A", 2, 2, 3)
    x = torch.randn(1, 2, 4, 4, dtype=torch.float64)
    w = torch.randn(1, 2, 4, 4, dtype=torch.float64)
    assert_module_gradcheck(layer, call(weighted_sum, method(MODEL, "__call__", X), w), inputs={"x": x},
                            what="the masked convolution",
                            hint="Use self.weight * self.mask in forward and never modify self.weight (or its .data) in place.")


@pytest.mark.points(1)
def test_masked_conv_runs_on_any_device(submission):
    """Do MaskedConv2d's mask and forward follow the layer to another device (so that it runs on a GPU)?"""
    layer = submission.MaskedConv2d("A", 2, 3, 3)
    assert_runs_on_meta(layer, method(MODEL, "__call__", call(to_device, torch.zeros(1, 2, 4, 4), DEVICE)),
                        what="MaskedConv2d.forward",
                        hint="Register the mask with self.register_buffer('mask', mask) so that .to(device) moves it.")
