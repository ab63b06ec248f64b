"""Hidden tests of Part 1: VGG-19's layer names and the frozen feature extractor, on the reference's weights."""

import pytest
import torch
from style_helpers import ALL_LAYERS, images, vgg_pair

from gradelib.checks import CheckFailure
from gradelib.checks.devices import assert_runs_on_meta
from gradelib.metrics.vgg import IMAGENET_MEAN, IMAGENET_STD
from gradelib.sandbox.expr import DEVICE, MODEL, call, method
from gradelib.sandbox.gradients import backward_report
from gradelib.sandbox.probes import to_device
from gradelib.sandbox.probes_style import build_vgg19, gradient_flags, module_calls


def _reference_outputs(vgg, x: torch.Tensor, normalise: bool = True) -> dict[str, torch.Tensor]:
    """Every module's output, by the notebook's names (the grader's own walk)."""
    h = (x - torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1)) / torch.tensor(IMAGENET_STD).view(1, 3, 1, 1) if normalise else x
    out = {}
    with torch.no_grad():
        for name, module in zip(ALL_LAYERS, vgg, strict=False):
            h = module(h)
            out[name] = h
    return out


def _same(a: torch.Tensor, b: torch.Tensor) -> bool:
    return a.shape == b.shape and torch.allclose(a, b, rtol=1e-4, atol=1e-5 * max(1.0, float(b.abs().max())))


@pytest.mark.points(2)
def test_layer_names(submission):
    """Does layer_names name the 37 modules of VGG-19's features conv{b}_{k}, relu{b}_{k}, pool{b}, counting within each block?"""
    found = list(submission.layer_names(build_vgg19(submission, num_modules=37, meta=True)))
    expected = list(ALL_LAYERS)
    if found == expected:
        return
    if len(found) != len(expected):
        raise CheckFailure.build("layer_names of VGG-19's 37 modules", expected="37 names, one per module",
                                 found=f"{len(found)} names", cause="append one name for every module, in order.")
    index = next(i for i, (f, e) in enumerate(zip(found, expected, strict=True)) if f != e)
    if "conv4_2" in found and found.index("conv4_2") != expected.index("conv4_2"):
        culprit = expected[found.index("conv4_2")]
        cause = (f"your 'conv4_2' is VGG-19's {culprit}: blocks 3 to 5 have four convolutions each. Count the "
                 "convolutions within each block and start a new block after each max-pooling layer.")
    else:
        cause = ("count the convolutions within each block (restart at 1 after each max-pooling), name a ReLU after "
                 "the convolution it follows, and a pooling layer after the block it ends.")
    raise CheckFailure.build(f"the name of module {index} of VGG-19's features", expected=f"'{expected[index]}'",
                             found=f"'{found[index]}'", cause=cause)


@pytest.mark.points(4)
def test_extractor_matches_reference(submission):
    """On the same weights, does VGGFeatures return, for every requested name, that layer's activations of the ImageNet-normalised images?"""
    vgg, ref_vgg = vgg_pair(submission)
    x = images(2, seed=1)
    requested = list(reversed(ALL_LAYERS[:30]))  # every layer, deepest first: the order must not matter
    found = submission.VGGFeatures(vgg, requested)(x)
    if not isinstance(found, dict) or sorted(found) != sorted(requested):
        keys = sorted(found) if isinstance(found, dict) else type(found).__name__
        raise CheckFailure.build("VGGFeatures(vgg, every layer name)(images)", expected="a dict with the 30 requested names",
                                 found=f"{keys if isinstance(keys, str) else keys[:6]}",
                                 cause="return {name: activation} for exactly the requested layers.")
    expected = _reference_outputs(ref_vgg, x)
    raw = _reference_outputs(ref_vgg, x, normalise=False)
    for name in ALL_LAYERS[:30]:
        got = torch.as_tensor(found[name]).float()
        if _same(got, expected[name]):
            continue
        if _same(got, raw[name]):
            cause = ("these are the activations of the images as given, not normalised: subtract IMAGENET_MEAN and "
                     "divide by IMAGENET_STD (per channel) before the first layer.")
        else:
            twin = next((other for other in ALL_LAYERS[:30] if other != name and _same(got, expected[other])), None)
            if twin is not None:
                cause = (f"your '{name}' is VGG-19's '{twin}'. Check layer_names (count the convolutions within each "
                         "block; conv is before its ReLU, relu after it).")
            else:
                cause = ("run the modules one by one from the normalised images and keep the output of each requested "
                         "layer (conv: the convolution's output before its ReLU).")
        raise CheckFailure.build(f"VGGFeatures' output for '{name}' on two random images (reference weights)",
                                 expected=f"that layer's activations, shape {tuple(expected[name].shape)}",
                                 found=f"other values, shape {tuple(got.shape)}", cause=cause)


@pytest.mark.points(2)
def test_extractor_is_frozen(submission):
    """After VGGFeatures(vgg, layers), does no weight of the extractor require a gradient?"""
    vgg, _ = vgg_pair(submission)
    extractor = submission.VGGFeatures(vgg, ["relu1_1", "relu3_1"])
    flags = gradient_flags(extractor)
    if not flags:
        raise CheckFailure("VGGFeatures has no parameters: keep the network you are given (self.vgg, its first modules).")
    trainable = sorted(name for name, required in flags.items() if required)
    if trainable:
        raise CheckFailure.build("requires_grad of the extractor's weights", expected="False for every weight",
                                 found=f"{len(trainable)} of {len(flags)} still require a gradient (e.g. {trainable[0]})",
                                 cause="the network is fixed: call self.vgg.requires_grad_(False) in __init__. A weight "
                                       "that requires a gradient gets one at every step of style transfer (wasted "
                                       "work) and can be changed by an optimiser.")


@pytest.mark.points(2)
def test_gradients_reach_the_pixels(submission):
    """Does a loss on the features send the reference's gradient back to the input pixels (frozen weights, not a frozen graph)?"""
    vgg, ref_vgg = vgg_pair(submission)
    extractor = submission.VGGFeatures(vgg, ["relu2_1"])
    x = images(1, seed=2)
    report = backward_report(extractor, [x], select="relu2_1")
    grad = report["input_grads"][0]
    if not report["differentiable"] or grad is None or not bool(grad.abs().sum() > 0):
        raise CheckFailure.build("the gradient of VGGFeatures(images)['relu2_1'].sum() with respect to the images",
                                 expected="non-zero: style transfer changes the pixels through it",
                                 found="no gradient reaches the images",
                                 cause="freeze the weights with requires_grad_(False), not the computation: no "
                                       "torch.no_grad(), .detach() or .data inside forward.")
    x_ref = x.clone().requires_grad_(True)
    mean, std = torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1), torch.tensor(IMAGENET_STD).view(1, 3, 1, 1)
    h = (x_ref - mean) / std
    for module in ref_vgg[:7]:
        h = module(h)
    (expected,) = torch.autograd.grad(h.sum(), x_ref)
    if not torch.allclose(grad.float(), expected, rtol=1e-3, atol=1e-5 * float(expected.abs().max())):
        raise CheckFailure.build("the gradient of VGGFeatures(images)['relu2_1'].sum() with respect to the images",
                                 expected="the gradient through the normalisation and the first 7 modules",
                                 found="other values", cause="see the other tests of the extractor.")


@pytest.mark.points(1)
def test_extractor_stops_at_deepest_layer(submission):
    """Does VGGFeatures run the network only as deep as its deepest requested layer?"""
    vgg, _ = vgg_pair(submission)
    extractor = submission.VGGFeatures(vgg, ["relu2_1", "relu1_1"])
    report = module_calls(extractor, method(MODEL, "__call__", images(1, seed=3)))
    if report["leaves_called"] != 7:
        raise CheckFailure.build("how many of VGG-19's modules VGGFeatures(vgg, ['relu2_1', 'relu1_1']) runs",
                                 expected="7 (conv1_1 to relu2_1)", found=str(report["leaves_called"]),
                                 cause="keep and run only the modules up to the deepest requested layer: the rest costs "
                                       "time at every step and changes nothing.")


@pytest.mark.points(1)
def test_extractor_runs_on_any_device(submission):
    """Does VGGFeatures run on the device of its input (normalisation constants registered as buffers)?"""
    vgg, _ = vgg_pair(submission, num_modules=5)
    extractor = submission.VGGFeatures(vgg, ["relu1_2"])
    assert_runs_on_meta(extractor, method(MODEL, "__call__", call(to_device, images(1, size=8), DEVICE)),
                        what="VGGFeatures.forward",
                        hint="register IMAGENET_MEAN and IMAGENET_STD as buffers in __init__ (self.register_buffer).")

