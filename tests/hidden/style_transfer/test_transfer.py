"""Hidden tests of Part 3: the perceptual loss on the reference's weights, and style transfer fitted by a Lightning
Trainer (audited: what the optimiser held, what changed, how often the loss was evaluated)."""

import pytest
import torch
from style_helpers import LIGHT, close, content_and_style, images, scalar, vgg_pair

from gradelib.checks import CheckFailure
from gradelib.checks.devices import assert_runs_on_meta
from gradelib.sandbox.expr import MODEL, method
from gradelib.sandbox.probes import load_tensors
from gradelib.sandbox.probes_style import fit_audit, gradient_flags

#: The perceptual loss's settings in these tests: every term weighted, unequal layer weights.
SETTINGS = {**LIGHT, "layer_weights": (1.0, 3.0), "alpha": 0.7, "beta": 300.0, "tv_weight": 2.0}
TERMS = ("loss", "content", "style", "tv")


def _compare_terms(found, expected, what: str) -> None:
    if not isinstance(found, dict) or any(key not in found for key in TERMS):
        raise CheckFailure(f"{what} should return a dict with the keys {', '.join(TERMS)}; it returned "
                           f"{sorted(found) if isinstance(found, dict) else type(found).__name__}.")
    for key in ("content", "style", "tv", "loss"):
        f, e = scalar(found[key], f"{what}['{key}']"), float(expected[key])
        if close(f, e, rel=1e-3):
            continue
        if key == "loss":
            parts = {k: float(expected[k]) for k in ("content", "style", "tv")}
            if close(f, parts["content"] + parts["style"] + parts["tv"], rel=1e-3):
                cause = "the terms are not weighted: loss = alpha * content + beta * style + tv_weight * tv."
            elif close(f, SETTINGS["alpha"] * parts["content"] + SETTINGS["beta"] * parts["style"], rel=1e-3):
                cause = "the total-variation term is missing: add tv_weight * tv."
            else:
                cause = "loss = alpha * content + beta * style + tv_weight * tv (formula (5))."
        elif key == "style":
            cause = ("the style term differs: one pass of the extractor, then style_loss with the style image's Gram "
                     "matrices (computed once, in __init__) and the weights of style_layer_weights.")
        elif key == "content":
            cause = "content_loss of the content layer's activations against the target given."
        else:
            cause = "total_variation_loss of the images (not of their features)."
        raise CheckFailure.build(f"{what}['{key}'] on the reference's weights", expected=f"{e:.6g}", found=f"{f:.6g}",
                                 cause=cause)


@pytest.mark.points(3)
def test_perceptual_loss_matches_reference(submission, reference):
    """On the same weights, does PerceptualLoss give the reference's content, style and total-variation terms and their weighted sum (formula (5))?"""
    vgg, ref_vgg = vgg_pair(submission, num_modules=7)
    _, style = content_and_style()
    x, photos = images(2, seed=4), images(2, seed=5)
    ref = reference.PerceptualLoss(ref_vgg, style, **SETTINGS)
    target = ref.content_features(photos)
    found = submission.PerceptualLoss(vgg, style, **SETTINGS)(x, target)
    _compare_terms(found, ref(x, target), "PerceptualLoss(images, content_target)")


def _transfer(module, vgg, **kwargs):
    content, style = content_and_style()
    return module.StyleTransfer(vgg, content, style, **{**LIGHT, **kwargs})


@pytest.mark.points(2)
def test_image_is_the_only_parameter(submission):
    """Is the image the only parameter of StyleTransfer that requires a gradient, starting from the photograph or from noise in [0, 1]?"""
    content, _ = content_and_style()
    vgg, _ = vgg_pair(submission, num_modules=7)
    for init in ("content", "noise"):
        model = _transfer(submission, vgg, init=init)
        flags = gradient_flags(model)
        trainable = sorted(name for name, required in flags.items() if required)
        if trainable != ["image"]:
            raise CheckFailure.build(f"the parameters of StyleTransfer(init='{init}') that require a gradient",
                                     expected="['image'] only",
                                     found=f"{len(trainable)} parameters, e.g. {trainable[:3]}",
                                     cause="self.image = nn.Parameter(start) is what style transfer optimises; the "
                                           "network stays frozen (VGGFeatures freezes it).")
        image = torch.as_tensor(model.image).detach()
        if image.shape != content.shape:
            raise CheckFailure(f"StyleTransfer.image should have the photograph's shape {tuple(content.shape)}; it has "
                               f"{tuple(image.shape)}.")
        if init == "content" and not torch.equal(image, content):
            raise CheckFailure("With init='content', the image should start as a copy of the photograph.")
        if init == "noise" and (torch.equal(image, content) or image.min() < 0 or image.max() > 1 or image.std() < 0.1):
            raise CheckFailure("With init='noise', the image should start as uniform noise in [0, 1] "
                               "(torch.rand_like(content_image)).")


@pytest.mark.points(2)
def test_losses_match_reference(submission, reference):
    """On the same weights and the same image, does StyleTransfer.losses give the reference's terms (content against the photograph's activations)?"""
    vgg, ref_vgg = vgg_pair(submission, num_modules=7)
    settings = {key: value for key, value in SETTINGS.items() if key not in LIGHT}
    model, ref = _transfer(submission, vgg, **settings), _transfer(reference, ref_vgg, **settings)
    x = images(1, seed=6)
    if "image" not in load_tensors(model, {"image": x}):
        raise CheckFailure("StyleTransfer has no parameter named image of shape (1, 3, H, W): see its docstring.")
    with torch.no_grad():
        ref.image.copy_(x)
    _compare_terms(model.losses(), ref.losses(), "StyleTransfer.losses()")


def _audit(submission, reference, optimizer: str, steps: int, **kwargs) -> dict:
    """Fit a small StyleTransfer for ``steps`` Trainer steps; check what every correct fit shows; return the report."""
    vgg, ref_vgg = vgg_pair(submission, num_modules=7)
    what = f"StyleTransfer(optimizer='{optimizer}') fitted by a Lightning Trainer for {steps} steps"
    model = _transfer(submission, vgg, optimizer=optimizer, init="noise", **kwargs)
    report = fit_audit(model, max_steps=steps, device="cpu", watch=["image"])
    if report["error"]:
        raise CheckFailure.build(what, expected="a fit without error", found=report["error"],
                                 cause="training_step returns the loss; configure_optimizers returns one optimiser.")
    held = [name for entry in report["optimizers"] for name in entry["parameters"]]
    if held != ["image"]:
        extra = [name for name in held if name != "image"]
        cause = ("the optimiser holds the network: give it [self.image], the pixels, not the network's parameters "
                 "(the network stays fixed)." if extra else "give the optimiser the image: [self.image].")
        raise CheckFailure.build(f"{what}: the parameters its optimiser holds", expected="the image alone",
                                 found=f"{len(held)} tensors{' (e.g. ' + extra[0] + ')' if extra else ''}"
                                       f"{', not the image' if 'image' not in held else ''}", cause=cause)
    changed_net = [name for name in report["changed"] if name != "image"]
    if changed_net:
        raise CheckFailure(f"{what}: the network's weights changed ({changed_net[0]}, ...). Only the image is optimised.")
    if "image" not in report["changed"]:
        raise CheckFailure(f"{what}: the image did not change. training_step must return the loss of the image.")
    before, after = report["before"]["image"], report["after"]["image"]
    ref = _transfer(reference, ref_vgg, init="noise", **kwargs)
    losses = []
    for image in (before, after):
        with torch.no_grad():
            ref.image.copy_(image)
            losses.append(float(ref.losses()["loss"]))
    if not losses[1] < losses[0]:
        raise CheckFailure.build(f"{what}: the loss of the image (formula (5), the reference's settings)",
                                 expected="lower after the fit", found=f"{losses[0]:.4g} before, {losses[1]:.4g} after",
                                 cause="return the total loss from training_step; the optimiser descends it.")
    return report


@pytest.mark.points(3)
def test_trainer_runs_lbfgs(submission, reference):
    """Does a Lightning Trainer run L-BFGS on the image alone (several evaluations per step), leaving the network unchanged and the loss lower?"""
    report = _audit(submission, reference, "lbfgs", steps=2, max_iter=4)
    types = [entry["type"] for entry in report["optimizers"]]
    if types != ["LBFGS"]:
        raise CheckFailure(f"With optimizer='lbfgs', configure_optimizers should return torch.optim.LBFGS; it returned {types}.")
    if not report["evaluations"] > report["steps"]:
        raise CheckFailure.build("L-BFGS's evaluations of the loss in 2 steps with max_iter=4",
                                 expected="more than 2: L-BFGS calls the closure several times per step",
                                 found=str(report["evaluations"]),
                                 cause="pass max_iter to torch.optim.LBFGS and let Lightning's automatic optimisation "
                                       "(or optimizer.step(closure)) evaluate the loss.")


@pytest.mark.points(2)
def test_trainer_runs_adam(submission, reference):
    """Does a Lightning Trainer run Adam on the image alone, leaving the network unchanged and the loss lower?"""
    report = _audit(submission, reference, "adam", steps=3, learning_rate=0.05)
    types = [entry["type"] for entry in report["optimizers"]]
    if types != ["Adam"]:
        raise CheckFailure(f"With optimizer='adam', configure_optimizers should return torch.optim.Adam; it returned {types}.")


@pytest.mark.points(1)
def test_style_transfer_runs_on_any_device(submission):
    """Do StyleTransfer.losses run on the device of the module (targets registered as buffers, nothing made on the CPU)?"""
    vgg, _ = vgg_pair(submission, num_modules=7)
    model = _transfer(submission, vgg)
    assert_runs_on_meta(model, method(MODEL, "losses"), what="StyleTransfer.losses",
                        hint="keep the targets as buffers (register_buffer), so that they move with the module.")
