"""Hidden tests of Part 1 and Part 6: the training, validation and test steps inside a Lightning Trainer.

The steps are the student's base-class ``_common_step``, run on the FVSBN given in the notebook (the
last test trains the student's PixelCNN). A callback records, at every training step, the NLL that
the grader computes from the model's logits before the step and the values the step logged and returned.
"""

import math

import pytest
from ar_helpers import grader_log_prob

from gradelib.checks import CheckFailure
from gradelib.checks.likelihood import mean_nll
from gradelib.checks.weights import randomize_parameters
from gradelib.data import load_binarized_digits8x8
from gradelib.metrics import nats_to_bits_per_dim
from gradelib.sandbox.expr import MODEL, X, call
from gradelib.sandbox.probes import fit_recording, run_stage

KEY = "train/nll_nats"


def _fit(model, device, steps, batch_size=64):
    images, labels = load_binarized_digits8x8("train")
    return fit_recording(model, images, labels, batch_size=batch_size, max_steps=steps, device=device,
                         log_keys=[KEY], before_step=call(mean_nll, MODEL, X), shuffle_seed=0)


def _diagnose(value: float, expected: float, batch_size: int) -> str:
    """The likely cause of a loss or logged value that is not the batch's mean NLL in nats."""
    causes = {
        -1.0: "it has the wrong sign: training must minimise the NLL, -log p(x), not the log-likelihood",
        1 / math.log(2.0): "it is in bits: use natural logarithms (nats)",
        1 / 64: "it is an average over the 64 pixels: sum over the pixels, then average over the batch",
        float(batch_size): "it is summed over the batch: average over the images of the batch",
    }
    for ratio, cause in causes.items():
        if expected and math.isclose(value / expected, ratio, rel_tol=1e-3):
            return f"The ratio is {value / expected:.4f}: {cause}."
    return (f"The ratio is {value / expected:.4f}. " if expected else "") + (
        "Return and log -log p(x) averaged over the batch (formula (3)), in nats.")


def _epoch_means(history) -> dict[int, float]:
    """The batch-size-weighted mean of the grader's NLL over the steps of each epoch (what on_epoch logging gives)."""
    sums: dict[int, list[float]] = {}
    for nll, size, epoch in zip(history["before"], history["batch_sizes"], history["epochs"], strict=False):
        total = sums.setdefault(epoch, [0.0, 0.0])
        total[0] += nll * size
        total[1] += size
    return {epoch: total / count for epoch, (total, count) in sums.items()}


def _check_logged(history, what):
    """Check what training_step returned (every step) and logged (every step, or per epoch); return the losses."""
    logged, expected, returned = history["logged"][KEY], history["before"], history["returned"]
    for step, (want, back, size) in enumerate(zip(expected, returned, history["batch_sizes"], strict=False)):
        if back is None:
            raise CheckFailure("training_step must return the loss (a scalar tensor, the mean NLL in nats) so that "
                               "Lightning can minimise it.")
        if want is None or not math.isclose(back, want, rel_tol=1e-4, abs_tol=1e-3):
            raise CheckFailure(f"At training step {step} of {what}, the loss training_step returned is {back:.4f}; the "
                               f"batch's mean NLL is {want:.4f} nats per image. " + _diagnose(back, want, size))
    if all(value is None for value in logged) and KEY not in history["final"]:
        raise CheckFailure(
            f"training_step did not log `{KEY}` (the keys logged were {history['keys']}): log the batch's mean NLL "
            f"with self.log(f\"{{stage}}/nll_nats\", nll) in _common_step."
        )
    if logged and logged[0] is not None:  # logged at every step (Lightning's default in training_step)
        for step, (want, got, size) in enumerate(zip(expected, logged, history["batch_sizes"], strict=False)):
            if got is None or not math.isclose(got, want, rel_tol=1e-4, abs_tol=1e-3):
                raise CheckFailure(f"At training step {step} of {what}, the value logged as {KEY} is {got}; the "
                                   f"batch's mean NLL is {want:.4f} nats per image. " + _diagnose(got or 0.0, want, size))
    else:  # logged per epoch (on_epoch=True): the last epoch's mean, weighted by batch size
        last_epoch = max(history["epochs"])
        want = _epoch_means(history)[last_epoch]
        got = history["final"].get(KEY, history["final"].get(f"{KEY}_epoch"))
        if got is None or not math.isclose(got, want, rel_tol=1e-4, abs_tol=1e-3):
            raise CheckFailure(f"{KEY}, logged per epoch, is {got} at the end of {what}'s run; the mean NLL of the "
                               f"last epoch's batches is {want:.4f} nats per image. "
                               + _diagnose(got or 0.0, want, history["batch_sizes"][-1]))
    return returned


@pytest.mark.points(3)
def test_training_logs_and_lowers_nll(submission, device):
    """Does training with Lightning return and log train/nll_nats (the batch's mean NLL, per step or per epoch), and lower it?"""
    model = submission.FVSBN(image_shape=(8, 8), learning_rate=1e-2)
    losses = _check_logged(_fit(model, device, steps=30), "an FVSBN")
    first, last = sum(losses[:5]) / 5, sum(losses[-5:]) / 5
    if not last < first - 1.0:
        raise CheckFailure(
            f"In 30 training steps of an FVSBN with learning rate 1e-2, the logged NLL went from {first:.2f} to {last:.2f} nats "
            "(averages of the first and last five steps); it should fall by several nats. Check that training_step "
            "returns the NLL (a quantity to minimise, not the log-likelihood)."
        )


@pytest.mark.points(2)
def test_validation_and_test_steps_log_nll(submission, device):
    """Do validation and test runs log val/nll_nats, test/nll_nats (nats per image) and val/bpd, test/bpd (bits per pixel)?"""
    model = randomize_parameters(submission.FVSBN(image_shape=(8, 8)), what="FVSBN", weight=0.3, bias=1.0)
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
    losses = _check_logged(_fit(model, device, steps=25), "a PixelCNN")
    first, last = sum(losses[:5]) / 5, sum(losses[-5:]) / 5
    if not last < first - 1.0:
        raise CheckFailure(f"In 25 training steps of a PixelCNN the logged NLL went from {first:.2f} to {last:.2f} nats; "
                           "it should fall by several nats. Check PixelCNN's forward (the ReLUs, the layers) and training_step.")
