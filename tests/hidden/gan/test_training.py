"""Hidden tests of Part 3: the GAN LightningModule. Each fit is audited by a probe that records, at every optimiser
step, which parameters the step changed and the gradients the parameters held: update isolation, k discriminator
steps per generator step, detached fakes, and the first steps' gradients against the reference's."""

import math

import pytest
import torch
from gan_helpers import copy_reference_weights, ring_points

from gradelib.checks import CheckFailure
from gradelib.checks.devices import assert_runs_on_meta
from gradelib.sandbox.expr import MODEL, method
from gradelib.sandbox.probes import fit_recording, load_tensors, named_tensors
from gradelib.sandbox.probes_gan import audit_optimizer_steps

PLAYERS = {0: ("generator", "generator.", "discriminator."), 1: ("discriminator", "discriminator.", "generator.")}
_DETACH = ("the discriminator's loss reaches the generator's graph, which its own backward then frees: give the "
           "discriminator fake.detach(), and the generator the fakes with their graph.")
_NO_GRAD = ("a player's loss reached no parameter that requires a gradient. toggle_optimizer(opt) freezes every "
            "parameter outside opt: the discriminator's banner toggles opt_d, the generator's opt_g. And the generator's "
            "loss needs the fakes with their graph (detach them only for the discriminator).")


def _fit_error_cause(error: str) -> str:
    """The likely mistake behind an error raised while fitting a GAN."""
    if "second time" in error:
        return _DETACH
    if "does not require grad" in error:
        return _NO_GRAD
    return "see the error; the other tests say more."


def _small_gan(module, *, latent_dim: int = 3, hidden: int = 8, **kwargs):
    torch.manual_seed(0)
    return module.GAN(module.MLPGenerator(latent_dim=latent_dim, hidden=hidden), module.MLPDiscriminator(hidden=hidden),
                      latent_dim=latent_dim, **kwargs)


def _audit(model, *, batches: int, batch_size: int = 4, k: int = 1, what: str = "GAN") -> dict:
    points = ring_points(batches * batch_size, seed=3)
    report = audit_optimizer_steps(model, [points], batch_size=batch_size, max_steps=batches + batches // k,
                                   device="cpu")
    if report["error"]:
        error = report["error"]
        raise CheckFailure.build(f"{what}: a Lightning Trainer fitting {batches} batches of {batch_size} ring points",
                                 expected="a fit without error", found=error, cause=_fit_error_cause(error))
    return report


def _check_isolation(steps: list[dict]) -> None:
    for number, step in enumerate(steps, start=1):
        if step["optimizer"] not in PLAYERS:
            raise CheckFailure(f"Optimiser step {number} used optimiser {step['optimizer']}: configure_optimizers returns "
                               "two, [opt_g, opt_d].")
        player, own, other = PLAYERS[step["optimizer"]]
        intruders = [name for name in step["changed"] if name.startswith(other)]
        if intruders:
            raise CheckFailure.build(f"the {player}'s optimiser step (optimiser step {number})",
                                     expected=f"only parameters of the {player} changed",
                                     found=f"it also changed {intruders[:3]}",
                                     cause=f"one optimiser steps both networks: build opt_{player[0]} over "
                                           f"self.{player}.parameters() only.")
        if not any(name.startswith(own) for name in step["changed"]):
            raise CheckFailure.build(f"the {player}'s optimiser step (optimiser step {number})",
                                     expected=f"parameters of the {player} updated", found="none changed",
                                     cause=f"its loss must reach the {player}'s parameters: call self.manual_backward(loss) "
                                           "between opt.zero_grad() and opt.step().")


@pytest.mark.points(4)
def test_update_isolation(submission):
    """With k = 1, does each batch take one discriminator step that changes only the discriminator, then one generator step that changes only the generator?"""
    report = _audit(_small_gan(submission), batches=4)
    steps = report["steps"]
    order = [step["optimizer"] for step in steps]
    if order != [1, 0] * 4:
        raise CheckFailure.build("the optimiser steps of 4 batches with k = 1",
                                 expected="8: the discriminator's optimiser (index 1), then the generator's (0), per batch",
                                 found=f"optimisers {order}",
                                 cause="configure_optimizers returns [opt_g, opt_d]; training_step steps opt_d once, then "
                                       "opt_g once (Algorithm 1: the discriminator first).")
    _check_isolation(steps)


@pytest.mark.points(3)
def test_k_discriminator_steps_per_generator_step(submission):
    """With k = 3, does training take exactly 3 discriminator steps per generator step (Algorithm 1)?"""
    report = _audit(_small_gan(submission, k=3), batches=9, k=3)
    order = [step["optimizer"] for step in report["steps"]]
    d_steps, g_steps = order.count(1), order.count(0)
    between = [len(run) for run in "".join(map(str, order)).split("0")[1:-1]]
    if d_steps != 9 or g_steps != 3 or any(run != 3 for run in between):
        raise CheckFailure.build("the optimiser steps of 9 batches with k = 3",
                                 expected="a discriminator step (optimiser 1) on every batch and a generator step (0) after "
                                          "every third: 9 and 3",
                                 found=f"{d_steps} and {g_steps}: optimisers {order}",
                                 cause="step the generator only when (batch_idx + 1) % self.hparams.k == 0.")
    _check_isolation(report["steps"])


@pytest.mark.points(2)
def test_discriminator_step_leaves_generator_gradients_alone(submission):
    """Does the discriminator's backward leave the generator's gradients alone (fakes detached, or the generator frozen by toggle_optimizer)?"""
    report = _audit(_small_gan(submission, k=2), batches=4, k=2)
    if not any(step["optimizer"] == 1 for step in report["steps"]):
        raise CheckFailure.build("the optimiser steps of 4 batches with k = 2", expected="discriminator steps (optimiser 1)",
                                 found=f"optimisers {[step['optimizer'] for step in report['steps']]}",
                                 cause="training_step steps opt_d on every batch (its banner: toggle_optimizer, "
                                       "zero_grad, manual_backward, step, untoggle_optimizer).")
    previous: dict = {}
    for number, step in enumerate(report["steps"], start=1):
        grads = step.get("all_grads", {})
        if step["optimizer"] == 1:
            for name, norm in grads.items():
                if name.startswith("generator.") and norm is not None and norm > 0 and not (
                        previous.get(name) is not None and math.isclose(norm, previous[name], rel_tol=1e-6)):
                    raise CheckFailure.build(f"the generator's gradients at the discriminator's step (optimiser step {number})",
                                             expected="untouched by the discriminator's loss",
                                             found=f"{name} received a gradient of norm {norm:.3g}",
                                             cause="the discriminator's loss must not reach the generator: give it "
                                                   "fake.detach(), inside toggle_optimizer(opt_d).")
        previous = grads


def _constant_generator_twins(submission, reference, loss: str):
    """(student GAN, reference GAN) with the same weights: a discriminator of random weights and a generator whose
    output is a constant point (every weight 0 but the last bias), so that the noise drawn does not matter."""
    torch.manual_seed(0)
    ref = reference.GAN(reference.MLPGenerator(latent_dim=3, hidden=8), reference.MLPDiscriminator(hidden=8),
                        latent_dim=3, loss=loss, learning_rate=1e-2)
    tensors = named_tensors(ref)
    for name in tensors:
        if name.startswith("generator."):
            tensors[name] = torch.zeros_like(tensors[name])
    tensors["generator.net.4.bias"] = torch.tensor([0.7, -0.4])
    load_tensors(ref, tensors)
    model = _small_gan(submission, loss=loss, learning_rate=1e-2)
    copy_reference_weights(model, ref, "GAN(MLPGenerator(latent_dim=3, hidden=8), MLPDiscriminator(hidden=8), latent_dim=3)")
    return model, ref


@pytest.mark.parametrize("loss", ["nonsaturating", "minimax"])
@pytest.mark.points(2)
def test_first_steps_match_reference(submission, reference, loss):
    """On the reference's weights (and a generator of constant output), do the first two batches' discriminator and generator steps use the gradients of their own losses alone (formulas (2) and (3)/(4)), fresh at every step?"""
    model, ref = _constant_generator_twins(submission, reference, loss)
    points = ring_points(16, seed=5)
    found = audit_optimizer_steps(model, [points], batch_size=8, max_steps=4, device="cpu")
    expected = audit_optimizer_steps(ref, [points], batch_size=8, max_steps=4, device="cpu")
    order = [step["optimizer"] for step in found["steps"]]
    if found["error"] or order != [1, 0, 1, 0]:
        raise CheckFailure.build(f"GAN(loss=\"{loss}\"): 2 batches on the reference's weights", expected="a discriminator "
                                 "step (optimiser 1), then a generator step (0), per batch: [1, 0, 1, 0]",
                                 found=found["error"] or f"optimisers {order}",
                                 cause="the test of update isolation says more.")
    # The generator's output stays constant (only its last bias moves), so the noise drawn does not matter.
    for index, (batch, player) in enumerate(((1, "discriminator"), (1, "generator"), (2, "discriminator"),
                                             (2, "generator"))):
        want, got = expected["steps"][index]["grads"], found["steps"][index]["grads"]
        wrong = [name for name in want if not math.isclose(got.get(name, 0.0), want[name], rel_tol=1e-3, abs_tol=1e-7)]
        if wrong:
            name = wrong[0]
            if batch == 2:
                cause = (f"the first batch's step was right, the second's gradient is not: gradients accumulate unless "
                         f"the {player}'s gradients are zeroed (opt.zero_grad()) before each backward; or a step of "
                         "the first batch moved parameters it should not have (the test of update isolation says).")
            elif player == "discriminator":
                cause = ("the discriminator's step does not minimise formula (2) of D(real) and D(fake.detach()): check "
                         "which logits get which label, and that the real batch is the one given to training_step.")
            else:
                cause = (f'the generator\'s step does not minimise the "{loss}" cost through the discriminator just '
                         "updated: use self.generator_step_loss(fake) (it follows hparams.loss), zero the generator's "
                         "gradients before its backward, and toggle each optimiser.")
            raise CheckFailure.build(f"GAN(loss=\"{loss}\"): the gradient of {name} when the {player}'s optimiser stepped "
                                     f"on batch {batch} (reference weights)", expected=f"norm {want[name]:.5g}",
                                     found=f"norm {got.get(name, 0.0):.5g}", cause=cause)


@pytest.mark.points(2)
def test_logs_both_losses(submission):
    """Does a Lightning Trainer fit a few batches and log train/loss_d and train/loss_g (finite, in nats)?"""
    model = _small_gan(submission, k=2)
    history = fit_recording(model, ring_points(32, seed=6), batch_size=8, max_steps=6, device="cpu",
                            log_keys=["train/loss_d", "train/loss_g"])
    for key in ("train/loss_d", "train/loss_g"):
        values = [v for v in history["logged"][key] if v is not None]
        if not values or not all(math.isfinite(v) for v in values):
            raise CheckFailure.build(f"what training_step logged under {key} over 4 batches (k = 2)",
                                     expected="finite losses", found=f"{values[:4]} (keys logged: {history['keys'][:6]})",
                                     cause="self.log_dict({'train/loss_d': loss_d.detach(), ...}) at every step, with "
                                           "train/loss_g when the generator steps.")


@pytest.mark.points(2)
def test_noise_and_samples_on_the_device(submission):
    """Do noise(n) and sample(n) give (n, latent_dim) and (n, 2) tensors, created on the module's device (not on the CPU)?"""
    model = _small_gan(submission)
    noise, samples = torch.as_tensor(model.noise(5)), torch.as_tensor(model.sample(5))
    if noise.shape != (5, 3) or samples.shape != (5, 2):
        raise CheckFailure.build("noise(5) and sample(5) of a GAN with latent_dim=3 on 2-D data",
                                 expected="shapes (5, 3) and (5, 2)",
                                 found=f"{tuple(noise.shape)} and {tuple(samples.shape)}",
                                 cause="noise is torch.randn(n, self.hparams.latent_dim, device=self.device).")
    assert_runs_on_meta(model, method(MODEL, "sample", 5), what="GAN.sample",
                        hint="create the noise with device=self.device.")
