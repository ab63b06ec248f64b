"""Hidden tests of Part 5: fast style transfer's perceptual loss on the reference's weights, its training step and
optimiser, and stylising in one forward pass."""

import pytest
import torch
from style_helpers import LIGHT, close, content_and_style, images, scalar, vgg_pair

from gradelib.checks import CheckFailure
from gradelib.checks.devices import assert_runs_on_meta
from gradelib.sandbox.expr import DEVICE, MODEL, call, method
from gradelib.sandbox.probes import load_tensors, named_tensors, to_device
from gradelib.sandbox.probes_style import fit_audit, module_calls

SETTINGS = {**LIGHT, "alpha": 0.7, "beta": 300.0, "tv_weight": 2.0, "features": 4}


def _twin(submission, reference):
    """(student's FastStyleTransfer, the reference's) with the reference's transformation network copied by name."""
    vgg, ref_vgg = vgg_pair(submission, num_modules=7)
    _, style = content_and_style()
    torch.manual_seed(0)
    ref = reference.FastStyleTransfer(ref_vgg, style, **SETTINGS)
    model = submission.FastStyleTransfer(vgg, style, **SETTINGS)
    tensors = {name: value for name, value in named_tensors(ref).items() if name.startswith("net.")}
    if sorted(load_tensors(model, tensors)) != sorted(tensors):
        raise CheckFailure("FastStyleTransfer should hold the given TransformNet as `net`; keep it as it is.")
    return model, ref


@pytest.mark.points(3)
def test_perceptual_loss_of_a_batch(submission, reference):
    """On the same weights, is the fast model's loss formula (9): PerceptualLoss of net(content) with the photographs' own activations as the content target?"""
    model, ref = _twin(submission, reference)
    photos = images(2, seed=7)
    found, expected = model.perceptual_loss(photos), ref.perceptual_loss(photos)
    if not isinstance(found, dict) or any(key not in found for key in ("loss", "content", "style", "tv", "output")):
        raise CheckFailure("perceptual_loss should return a dict with loss, content, style, tv and output; it returned "
                           f"{sorted(found) if isinstance(found, dict) else type(found).__name__}.")
    output = torch.as_tensor(found["output"])
    if output.shape != photos.shape or not torch.allclose(output, expected["output"].detach(), atol=1e-5):
        raise CheckFailure("perceptual_loss(content)['output'] should be net(content), the stylised photographs.")
    for key in ("content", "style", "tv", "loss"):
        f, e = scalar(found[key], f"perceptual_loss(...)['{key}']"), float(expected[key])
        if close(f, e, rel=1e-3):
            continue
        if key == "content":
            cause = ("the content target is the photographs' own activations at the content layer "
                     "(criterion.content_features(content)), compared with those of net(content).")
        else:
            cause = "PerceptualLoss of net(content) against that target: criterion(output, target)."
        raise CheckFailure.build(f"perceptual_loss(content)['{key}'] on the reference's weights", expected=f"{e:.6g}",
                                 found=f"{f:.6g}", cause=cause)


@pytest.mark.points(2)
def test_stylises_in_one_forward_pass(submission, reference):
    """Does the fast model stylise a batch with one pass of its transformation network, without VGG-19 and without changing a weight?"""
    model, ref = _twin(submission, reference)
    photos = images(3, seed=8)
    report = module_calls(model, method(MODEL, "__call__", photos))
    output = report["output"]
    if not isinstance(output, torch.Tensor) or output.shape != photos.shape:
        raise CheckFailure(f"model(content) should return the stylised batch, shape {tuple(photos.shape)}.")
    if not torch.allclose(output, ref.net(photos).detach(), atol=1e-5):
        raise CheckFailure("model(content) should be net(content): one pass of the transformation network.")
    extra = sorted(name for name in report["calls"] if name.startswith("criterion"))
    if report["calls"].get("net", 0) != 1 or extra:
        raise CheckFailure.build("the modules that model(content) runs", expected="the transformation network once",
                                 found=f"net {report['calls'].get('net', 0)} time(s)"
                                       + (f", and {extra[0]} (VGG-19)" if extra else ""),
                                 cause="forward is one pass of self.net: VGG-19 is only for training.")
    if report["changed"]:
        raise CheckFailure(f"model(content) changed the weights ({report['changed'][0]}): stylising is a forward pass only.")


@pytest.mark.points(2)
def test_fast_training_updates_the_network_only(submission):
    """Does a Lightning Trainer fit the transformation network with Adam, leaving VGG-19 unchanged?"""
    vgg, _ = vgg_pair(submission, num_modules=7)
    _, style = content_and_style()
    model = submission.FastStyleTransfer(vgg, style, **SETTINGS)
    report = fit_audit(model, [images(4, seed=9)], batch_size=2, max_steps=2, device="cpu")
    what = "FastStyleTransfer fitted by a Lightning Trainer for 2 steps"
    if report["error"]:
        raise CheckFailure.build(what, expected="a fit without error", found=report["error"],
                                 cause="batches are (content,) tuples; training_step returns the loss.")
    held = sorted(name for entry in report["optimizers"] for name in entry["parameters"])
    types = [entry["type"] for entry in report["optimizers"]]
    network = [name for name in held if not name.startswith("net.")]
    if types != ["Adam"] or network or not held:
        raise CheckFailure.build(f"{what}: its optimiser", expected="one Adam over net's parameters",
                                 found=f"{types} holding {len(held)} tensors" + (f" (e.g. {network[0]})" if network else ""),
                                 cause="torch.optim.Adam(self.net.parameters(), lr=learning_rate).")
    if not any(name.startswith("net.") for name in report["changed"]):
        raise CheckFailure(f"{what}: the transformation network did not change; training_step must return the loss.")
    frozen = [name for name in report["changed"] if not name.startswith("net.")]
    if frozen:
        raise CheckFailure(f"{what}: VGG-19's weights changed ({frozen[0]}); only the transformation network learns.")


@pytest.mark.points(1)
def test_fast_runs_on_any_device(submission):
    """Does the fast model's perceptual loss run on the device of the module and its input?"""
    vgg, _ = vgg_pair(submission, num_modules=7)
    _, style = content_and_style()
    model = submission.FastStyleTransfer(vgg, style, **SETTINGS)
    assert_runs_on_meta(model, method(MODEL, "perceptual_loss", call(to_device, images(1, size=8), DEVICE)),
                        what="FastStyleTransfer.perceptual_loss")
