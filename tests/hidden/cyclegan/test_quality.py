"""Hidden tests of Part 6: pix2pix and CycleGAN after short seeded runs, scored against the true pairing.

The runs and the measurements are cyclegan_quality.evaluate, the very function the calibration used; the thresholds
and how they were set are in calibration.json.
"""

import pytest
from cyclegan_quality import TEST_SEED, describe_run, evaluate
from cyclegan_thresholds import threshold

from gradelib.checks import CheckFailure
from gradelib.pictures import attach_image, attach_number

_MEASURED: dict = {}


def _measure(submission, which: str, budget, device) -> dict:
    """Train once per grading and model (the tests of this file share the runs)."""
    key = (which, budget, str(device))
    if key not in _MEASURED:
        _MEASURED[key] = evaluate(submission, which, budget=budget, seed=TEST_SEED, device=device)
    return _MEASURED[key]


def _attach(run: str, name: str, found: float, budget: str, better: str, caption: str) -> None:
    """The number against its threshold (a picture: never graded)."""
    limit, entry = threshold(run, budget)
    attach_number(name, found, threshold=limit, better=better, marks={"reference (mean)": entry["mean"]}, caption=caption)


def _translations(submission, which: str, budget, device) -> None:
    attach_image(f"{which} translations", _measure(submission, which, budget, device)["showcase"], value_range=(-1, 1),
                 caption=f"Test digits a, your {'Pix2Pix' if which == 'pix2pix' else 'CycleGAN'}'s translations"
                         f"{' and cycles' if which == 'cyclegan' else ''}, and the true renderings")


def _below(run: str, which: str, found: float, budget: str, cause: str) -> None:
    limit, entry = threshold(run, budget)
    _attach(run, run.replace("_", " "), found, budget, "lower", f"{describe_run(budget, which)}: {cause[0]}")
    if not found < limit:
        raise CheckFailure(
            f"{describe_run(budget, which)}, {cause[0]} is {found:.4f}; it should be below {limit:.4f} (the reference: "
            f"{entry['mean']:.4f} on average over {len(entry['seeds'])} seeds, at worst {entry['max']:.4f}). {cause[1]}")


@pytest.mark.points(3)
def test_pix2pix_translation_error(submission, device, budget):
    """After a short seeded run on the pairs, is pix2pix's translation error against the truth below the calibrated threshold?"""
    found = _measure(submission, "pix2pix", budget, device)["error"]
    _translations(submission, "pix2pix", budget, device)
    _below("pix2pix_error", "pix2pix", found, budget,
           ("the translation error of pix2pix (half the mean |G(a) - b*(a)| over the 500 test digits)",
            "If the other tests pass, check that generator_loss adds lambda_l1 * L1 to the adversarial term and that "
            "training_step updates G with it."))


@pytest.mark.points(3)
def test_cyclegan_translation_error(submission, device, budget):
    """After a short seeded run on unpaired domains, is CycleGAN's translation error against the hidden truth below the calibrated threshold?"""
    found = _measure(submission, "cyclegan", budget, device)["error"]
    _translations(submission, "cyclegan", budget, device)
    _below("cyclegan_error", "cyclegan", found, budget,
           ("the translation error of CycleGAN's G against the true renderings",
            "Check the cycle and identity terms and that both generators are updated by one optimiser."))


@pytest.mark.points(2)
def test_cyclegan_keeps_the_digit(submission, device, budget):
    """Does the digit classifier read the right digit in the strokes of CycleGAN's translations (above the calibrated rate)?"""
    limit, entry = threshold("cyclegan_accuracy", budget)
    found = _measure(submission, "cyclegan", budget, device)["accuracy"]
    _attach("cyclegan_accuracy", "digit accuracy", found, budget, "higher",
            "The rate at which the digit classifier reads the right digit in the strokes of your G(a)")
    if not found > limit:
        raise CheckFailure(
            f"{describe_run(budget, 'cyclegan')}, the digit classifier reads the right digit in {100 * found:.1f}% of "
            f"CycleGAN's translations of the 500 test digits; at least {100 * limit:.1f}% expected (the reference: "
            f"{100 * entry['mean']:.1f}% on average). G loses the content: check the cycle-consistency term (L1, both "
            "directions, weight 10).")


@pytest.mark.points(2)
def test_cyclegan_cycle_error(submission, device, budget):
    """Does F(G(a)) come back close to a (cycle error below the calibrated threshold)?"""
    found = _measure(submission, "cyclegan", budget, device)["cycle"]
    _below("cyclegan_cycle_error", "cyclegan", found, budget,
           ("CycleGAN's cycle error (half the mean |F(G(a)) - a|)", "Check cycle_consistency_loss and that it is part "
            "of the generators' loss."))


@pytest.mark.points(2)
def test_pix2pix_at_least_as_close_as_cyclegan(submission, device, budget):
    """Is pix2pix, trained with the pairs, at least as close to the truth as CycleGAN, trained without them?"""
    p2p = _measure(submission, "pix2pix", budget, device)["error"]
    cyc = _measure(submission, "cyclegan", budget, device)["error"]
    limit, entry = threshold("pix2pix_minus_cyclegan", budget)
    if not p2p - cyc < limit:
        raise CheckFailure.build("the translation errors of the two models on the same test digits",
                                 expected=f"pix2pix's at most CycleGAN's (the pairs are an upper bound), within the "
                                          f"seed-to-seed noise of the reference: pix2pix - CycleGAN below {limit:.4f} "
                                          f"(the reference: {entry['mean']:.4f} on average)",
                                 found=f"pix2pix {p2p:.4f}, CycleGAN {cyc:.4f}",
                                 cause="pix2pix is not using its pairs: check its L1 term (lambda_l1 = 100) and that its "
                                       "discriminator judges (a, b) pairs.")
