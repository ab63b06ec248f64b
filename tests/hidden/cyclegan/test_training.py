"""Hidden tests of training with Lightning: update isolation under manual optimisation, the learning-rate schedule
per epoch, and translate. Each fit is audited by a probe that records, at every optimiser step, which parameters
the step changed."""

import math

import pytest
import torch
from cyclegan_helpers import domains, twin

from gradelib.checks import CheckFailure
from gradelib.sandbox.probes_gan import audit_optimizer_steps

PLAYERS = {"CycleGAN": (("G.", "F."), ("D_A.", "D_B.")), "Pix2Pix": (("G.",), ("D.",))}


def _audit(submission, cls: str, device, *, batches: int, epochs_of_one_batch: bool = False, **kwargs):
    model = getattr(submission, cls)(features=4, num_blocks=1, **kwargs)
    a, b, _ = domains(2 if epochs_of_one_batch else 2 * batches, seed=8)
    report = audit_optimizer_steps(model, [a, b], batch_size=2, max_steps=2 * batches, device=device)
    if report["error"]:
        error = report["error"]
        cause = ("the discriminators' loss reaches the generators' graph, which the generators' backward already freed: "
                 "give the pool and the discriminators detached fakes (fake.detach())."
                 if "second time" in error else "see the error; the tests of the losses may say more.")
        raise CheckFailure.build(f"{cls}: a Lightning Trainer fitting {batches} batches of 2",
                                 expected="a fit without error", found=error, cause=cause)
    return report


def _names(report, prefixes) -> list[str]:
    return [name for name in report["parameters"] if name.startswith(prefixes)]


@pytest.mark.parametrize("cls", ["CycleGAN", "Pix2Pix"])
@pytest.mark.points(3)
def test_update_isolation(submission, device, cls):
    """In each training step, does the generators' update change only generator parameters and then the discriminators' only discriminator parameters?"""
    generators, discriminators = PLAYERS[cls]
    report = _audit(submission, cls, device, batches=3)
    steps = report["steps"]
    if len(steps) != 6 or [s["optimizer"] for s in steps] != [0, 1] * 3:
        raise CheckFailure.build(f"{cls}: the optimiser steps of 3 training steps",
                                 expected="6: the generators' optimiser (index 0), then the discriminators' (1), per step",
                                 found=f"optimisers {[s['optimizer'] for s in steps]}",
                                 cause="configure_optimizers returns [opt_g, opt_d]; training_step calls opt_g.step() "
                                       "once and then opt_d.step() once.")
    for step in steps:
        player, own, other = (("generators", generators, discriminators) if step["optimizer"] == 0
                              else ("discriminators", discriminators, generators))
        intruders = [name for name in step["changed"] if name.startswith(other)]
        if intruders:
            raise CheckFailure.build(f"{cls}: the {player}' optimiser step", expected=f"only parameters of {', '.join(p[:-1] for p in own)} changed",
                                     found=f"it also changed {intruders[:3]}",
                                     cause=f"the {player}' optimiser holds the other player's parameters: build it over "
                                           + (" and ".join(f"self.{p[:-1]}.parameters()" for p in own)) + " only.")
        for prefix in own:
            if not any(name.startswith(prefix) for name in step["changed"]):
                raise CheckFailure.build(f"{cls}: the {player}' optimiser step", expected=f"parameters of {prefix[:-1]} updated",
                                         found=f"no parameter of {prefix[:-1]} changed",
                                         cause=f"one optimiser over all of {', '.join(p[:-1] for p in own)}, and a loss that reaches each.")


@pytest.mark.parametrize("cls", ["CycleGAN", "Pix2Pix"])
@pytest.mark.points(2)
def test_first_step_gradients_match_reference(submission, reference, device, cls):
    """On the reference's weights, does each optimiser step of the first training step use the gradient of its own player's loss alone?"""
    model, ref = twin(submission, reference, cls)
    a, b, _ = domains(2, seed=9)
    found = audit_optimizer_steps(model, [a, b], batch_size=2, max_steps=2, device=device)
    expected = audit_optimizer_steps(ref, [a, b], batch_size=2, max_steps=2, device="cpu")
    if found["error"] or len(found["steps"]) != 2:
        return  # test_update_isolation says what went wrong
    for index, player in ((0, "generators"), (1, "discriminators")):
        want, got = expected["steps"][index]["grads"], found["steps"][index]["grads"]
        wrong = [name for name in want if not math.isclose(got.get(name, 0.0), want[name], rel_tol=1e-3, abs_tol=1e-6)]
        if wrong:
            name = wrong[0]
            cause = ("the gradients of the generators' loss are still there: zero the discriminators' gradients before "
                     "their backward (opt_d.zero_grad() before self.manual_backward), and toggle each optimiser so that "
                     "one player's loss leaves the other's gradients alone." if index == 1 else
                     "the generators' loss or its gradient differs from formula (6) (or (2)); zero the gradients before "
                     "the backward.")
            raise CheckFailure.build(f"{cls}: the gradient of {name} when the {player}' optimiser stepped (first "
                                     "training step, reference weights)", expected=f"norm {want[name]:.5f}",
                                     found=f"norm {got.get(name, 0.0):.5f}", cause=cause)


@pytest.mark.points(2)
def test_lr_factor(submission):
    """Is lr_factor constant (1) for the constant epochs, then linear towards 0 (formula (7))?"""
    for constant, decay in ((3, 4), (1, 1), (100, 100)):
        expected = [1.0 - max(0, e + 1 - constant) / (decay + 1) for e in range(constant + decay)]
        found = [float(submission.lr_factor(e, constant, decay)) for e in range(constant + decay)]
        if not all(math.isclose(f, x, abs_tol=1e-9) for f, x in zip(found, expected, strict=True)):
            first = next(e for e, (f, x) in enumerate(zip(found, expected, strict=True)) if not math.isclose(f, x, abs_tol=1e-9))
            cause = ("it decays from the start: keep the factor at 1 for the first constant_epochs epochs."
                     if first < constant else "after the constant epochs, subtract 1 / (decay_epochs + 1) per epoch.")
            raise CheckFailure.build(f"lr_factor(e, {constant}, {decay}) at epoch {first}", expected=f"{expected[first]:.4f}",
                                     found=f"{found[first]:.4f}", cause=cause)


@pytest.mark.points(3)
def test_schedule_through_lightning(submission, device):
    """With constant_epochs=2 and decay_epochs=3, is CycleGAN's learning rate 1, 1, 0.75, 0.5, 0.25 (x lr) at epochs 0..4, for both optimisers?"""
    lr = 1e-3
    report = _audit(submission, "CycleGAN", device, batches=5, epochs_of_one_batch=True, learning_rate=lr,
                    constant_epochs=2, decay_epochs=3)
    found = report["lrs"]
    expected = [lr * f for f in (1.0, 1.0, 0.75, 0.5, 0.25)]
    if len(found) < 5 or any(len(epoch) != 2 for epoch in found[:5]):
        raise CheckFailure(f"The grader read the learning rates of {found[:1]} optimisers over {len(found)} epochs; "
                           "expected two optimisers over 5 epochs.")
    for index, name in enumerate(("generators'", "discriminators'")):
        series = [epoch[index] for epoch in found[:5]]
        if not all(math.isclose(f, e, rel_tol=1e-6) for f, e in zip(series, expected, strict=True)):
            if all(math.isclose(f, lr) for f in series):
                cause = ("the learning rate never changes: return one LambdaLR per optimiser from configure_optimizers "
                         "(with manual optimisation, on_train_epoch_end steps them).")
            elif series[1] < lr * (1 - 1e-6):
                cause = "it decays from the start: keep it constant for the first constant_epochs epochs."
            else:
                cause = "LambdaLR(opt, lambda epoch: lr_factor(epoch, constant_epochs, decay_epochs)), interval 'epoch'."
            raise CheckFailure.build(f"the {name} learning rate at the start of epochs 0..4",
                                     expected=", ".join(f"{v:.2e}" for v in expected),
                                     found=", ".join(f"{v:.2e}" for v in series), cause=cause)


@pytest.mark.points(2)
def test_translate(submission):
    """Does translate give the generator's outputs batch by batch, on the CPU, and leave the generator in its mode?"""
    generator = submission.ResnetGenerator(3, 3, features=4, num_blocks=1)
    generator.train()
    x = torch.rand(7, 3, 16, 16) * 2 - 1
    out = torch.as_tensor(submission.translate(generator, x, batch_size=3))
    expected = torch.as_tensor(generator(x))
    if out.shape != (7, 3, 16, 16) or not torch.allclose(out, expected, atol=1e-5):
        raise CheckFailure.build("translate(generator, 7 images, batch_size=3)", expected="generator(images), all 7",
                                 found=f"shape {tuple(out.shape)}" + ("" if out.shape != (7, 3, 16, 16) else ", other values"),
                                 cause="loop over the batches (range(0, N, batch_size)) and torch.cat the outputs.")
    if not generator.training:
        raise CheckFailure("translate left a generator that was in training mode in eval mode: remember generator.training "
                           "and restore it with generator.train(was_training).")
