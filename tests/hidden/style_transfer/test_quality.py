"""Hidden tests of Part 6: style transfer, PGD, adversarial training and fast style transfer after short seeded runs.

The runs and the measurements are style_quality's functions, the very functions the calibration used; the thresholds
and how they were set are in calibration.json.
"""

import pytest
from style_quality import (
    TEST_SEED,
    describe_fast,
    describe_pgd,
    describe_robust,
    describe_transfer,
    fast_run,
    pgd_run,
    robust_run,
    transfer_run,
)
from style_thresholds import threshold

from gradelib.checks import CheckFailure

_MEASURED: dict = {}


def _measure(run, submission, budget, device) -> dict:
    """Run once per grading (each test gets a fresh copy of the notebook's process; the tests of a run share it)."""
    key = (run.__name__, budget, str(device))
    if key not in _MEASURED:
        _MEASURED[key] = run(submission, budget=budget, seed=TEST_SEED, device=device)
    return _MEASURED[key]


def _above(run: str, found: float, budget: str, what: str, cause: str, unit: str = "x") -> None:
    limit, entry = threshold(run, budget)
    if not found > limit:
        fmt = (lambda v: f"{v:.3g}x") if unit == "x" else (lambda v: f"{100 * v:.1f}%")
        raise CheckFailure(f"{what} is {fmt(found)}; at least {fmt(limit)} expected (the reference: {fmt(entry['mean'])} "
                           f"on average over {len(entry['seeds'])} seeds, at worst {fmt(entry['min'])}). {cause}")


@pytest.mark.points(3)
def test_style_transfer_loss_falls(submission, device, budget):
    """From noise, does a short L-BFGS run of StyleTransfer lower the total loss (the grader's formula (5)) by the calibrated factor?"""
    found = _measure(transfer_run, submission, budget, device)["loss_factor"]
    _above("transfer_loss_factor", found, budget, f"{describe_transfer(budget)}, the factor by which the total loss fell",
           "If the tests of Part 3 pass, check that training_step returns the total loss of formula (5).")


@pytest.mark.points(2)
def test_style_transfer_gram_distance_falls(submission, device, budget):
    """Does the same run bring the image's Gram matrices closer to the style image's (the style term falls by the calibrated factor)?"""
    found = _measure(transfer_run, submission, budget, device)["style_factor"]
    _above("transfer_style_factor", found, budget,
           f"{describe_transfer(budget)}, the factor by which the style term (the Gram distance to the style image) fell",
           "Check the style term: Gram matrices of the style layers, weights summing to one, beta.")


@pytest.mark.points(3)
def test_pgd_flips_the_classifier(submission, device, budget):
    """Within the stated budget (epsilon 0.2 in L-infinity), does pgd flip the frozen digit classifier on the calibrated share of digits it read right?"""
    found = _measure(pgd_run, submission, budget, device)["success"]
    _above("pgd_success", found, budget, f"{describe_pgd(budget)}, the share of digits whose decision it flips",
           "Each step must go up the loss (x + step_size * sign(gradient)) and be projected onto the budget.", unit="%")


@pytest.mark.points(3)
def test_adversarial_training_resists_pgd(submission, device, budget):
    """Is the adversarially trained MLP flipped by PGD less often than the calibrated rate and than the standard one, while keeping its clean accuracy?"""
    result = _measure(robust_run, submission, budget, device)
    limit, entry = threshold("robust_accuracy", budget)
    if not result["robust_accuracy"] > limit:
        raise CheckFailure(f"{describe_robust(budget)}, the adversarially trained model reads "
                           f"{100 * result['robust_accuracy']:.1f}% of the test digits right; at least {100 * limit:.1f}% "
                           f"expected (the reference: {100 * entry['mean']:.1f}%). Training on FGSM examples should cost "
                           "little clean accuracy: check formula (8).")
    limit, entry = threshold("robust_success", budget)
    robust, standard = result["robust_success"], result["standard_success"]
    if not (robust < limit and robust < standard):
        raise CheckFailure(f"{describe_robust(budget)}, PGD flips {100 * robust:.1f}% of the digits the adversarially "
                           f"trained model reads right, and {100 * standard:.1f}% for the standard model; at most "
                           f"{100 * limit:.1f}% expected, and fewer than the standard model (the reference: "
                           f"{100 * entry['mean']:.1f}%). Train on FGSM examples made against the model itself at each "
                           "step, with the weight adversarial_weight (formula (8)).")


@pytest.mark.points(3)
def test_fast_style_transfer_learns(submission, device, budget):
    """After a short run, has the fast network's perceptual loss on photographs it never saw fallen by the calibrated factor?"""
    found = _measure(fast_run, submission, budget, device)["loss_factor"]
    _above("fast_loss_factor", found, budget,
           f"{describe_fast(budget)}, the factor by which the perceptual loss (9) of its outputs on 16 held-out crops fell",
           "If the tests of Part 5 pass, check that training_step returns perceptual_loss(content)['loss'].")
