"""Hidden tests of Part 1 and Part 6: the training, validation and test steps inside a Lightning Trainer.

The steps are the student's base-class ``_common_step``, run on the FVSBN given in the notebook (the
last test trains the student's PixelCNN). A callback records, at every training step, the NLL that
the grader computes from the model's logits before the step and the values the step logged and returned.
"""

import math

import pytest
from ar_helpers import grader_log_prob, randomize

from gradelib.checks import CheckFailure
from gradelib.checks.likelihood import mean_nll
from gradelib.data import load_binarized_digits8x8
from gradelib.metrics import nats_to_bits_per_dim
from gradelib.sandbox.expr import MODEL, X, call
from gradelib.sandbox.probes import fit_recording, run_stage

KEY = "train/nll_nats"


def _fit(model, device, steps, batch_size=64):
    images, labels = load_binarized_digits8x8("train")
    return fit_recording(model, images, labels, batch_size=batch_size, max_steps=steps, device=device,
                         log_keys=[KEY], before_step=call(mean_nll, MODEL, X), shuffle_seed=0)


def _check_logged(history, what):
    logged, expected, returned = history["logged"][KEY], history["before"], history["returned"]
    if all(value is None for value in logged):
        raise CheckFailure(
            f"training_step did not log `{KEY}` at each step (the keys logged were {history['keys']}): "
            f"log the batch's mean NLL with self.log(f\"{{stage}}/nll_nats\", nll) in _common_step (default on_step)."
        )
    for step, (want, got, back) in enumerate(zip(expected, logged, returned, strict=False)):
        if back is None:
            raise CheckFailure("training_step must return the loss (a scalar tensor, the mean NLL in nats) so that Lightning can minimise it.")
        for name, value in (("the loss training_step returned", back), (f"the value logged as {KEY}", got)):
            if value is None or want is None or not math.isclose(value, want, rel_tol=1e-4, abs_tol=1e-3):
                ratio = f" (ratio {value / want:.4f})" if value is not None and want else ""
                raise CheckFailure(
                    f"At training step {step} of {what}, {name} is {value}; the batch's mean NLL is {want:.4f} nats "
                    f"per image{ratio}. Return and log -log p(x) averaged over the batch (formula (3)), in nats: not "
                    "summed over the batch, not per pixel, not in bits."
                )
    return logged


@pytest.mark.points(3)
def test_training_logs_and_lowers_nll(submission, device):
    """Does training with Lightning log train/nll_nats (the batch's mean NLL) at each step, and lower it?"""
    model = submission.FVSBN(image_shape=(8, 8), learning_rate=1e-2)
    logged = _check_logged(_fit(model, device, steps=30), "an FVSBN")
    first, last = sum(logged[:5]) / 5, sum(logged[-5:]) / 5
    if not last < first - 1.0:
        raise CheckFailure(
            f"In 30 training steps of an FVSBN with learning rate 1e-2, the logged NLL went from {first:.2f} to {last:.2f} nats "
            "(averages of the first and last five steps); it should fall by several nats. Check that training_step "
            "returns the NLL (a quantity to minimise, not the log-likelihood)."
        )


@pytest.mark.points(2)
def test_validation_and_test_steps_log_nll(submission, device):
    """Do validation and test runs log val/nll_nats, test/nll_nats (nats per image) and val/bpd, test/bpd (bits per pixel)?"""
    model = randomize(submission.FVSBN(image_shape=(8, 8)), what="FVSBN", weight=0.3, bias=1.0)
    for stage, split in (("val", "val"), ("test", "test")):
        images, labels = load_binarized_digits8x8(split)
        expected = -grader_log_prob(model, images, what="FVSBN's forward").mean().item()
        # one batch: an exact mean
        results = run_stage(model, stage, images, labels, batch_size=images.shape[0], device=device)
        for key, value in ((f"{stage}/nll_nats", expected), (f"{stage}/bpd", nats_to_bits_per_dim(expected, 64))):
            if key not in results:
                step = "validation_step" if stage == "val" else "test_step"
                raise CheckFailure(f"The {stage} run did not log `{key}` (it logged {sorted(results)}): log it in _common_step "
                                   f"with self.log(f\"{{stage}}/...\", ...), which {step} calls with stage \"{stage}\".")
            if not math.isclose(results[key], value, rel_tol=1e-4, abs_tol=1e-4):
                unit = "nats per image" if key.endswith("nll_nats") else "bits per pixel: the NLL in nats divided by D ln 2"
                raise CheckFailure(f"The {stage} run logged {key} = {results[key]:.5f}; expected {value:.5f} ({unit}, "
                                   f"formula (3)); the ratio is {results[key] / value:.4f} (1/ln 2 = 1.4427 means bits "
                                   "instead of nats, 1/64 an average over pixels).")


@pytest.mark.points(1)
def test_pixelcnn_trains(submission, device):
    """Does your PixelCNN, trained with your training_step, log a falling NLL in a short Lightning run?"""
    model = submission.PixelCNN(image_shape=(8, 8), hidden_channels=8, num_hidden_layers=1, kernel_size=5, learning_rate=1e-2)
    logged = _check_logged(_fit(model, device, steps=25), "a PixelCNN")
    first, last = sum(logged[:5]) / 5, sum(logged[-5:]) / 5
    if not last < first - 1.0:
        raise CheckFailure(f"In 25 training steps of a PixelCNN the logged NLL went from {first:.2f} to {last:.2f} nats; "
                           "it should fall by several nats. Check PixelCNN's forward (the ReLUs, the layers) and training_step.")
