"""Hidden tests of Part 4: the GAN on the ring of 8 Gaussians after a short seeded run, scored by mode coverage
(the criterion of the unrolled-GAN, VEEGAN and PacGAN papers: 2,500 samples; a sample is of high quality within 3
standard deviations of its nearest mode; a mode is captured when a high-quality sample is nearest to it).

The run and the measurement are gan_quality.evaluate_ring, the very function the calibration used; the threshold of
the high-quality fraction and how it was set are in calibration.json.
"""

import pytest
from gan_pictures import ring_figure
from gan_quality import TEST_SEED, describe_run, evaluate_ring
from gan_thresholds import threshold

from gradelib.checks import CheckFailure
from gradelib.pictures import attach_figure, attach_number

#: Modes of the 8 that a correct GAN captures in the graded run (the reference captured 8 on every calibration seed).
MIN_MODES = 7
_MEASURED: dict = {}


def _measure(submission, budget, device, seed_offset) -> dict:
    """Train once per grading (the tests of this file share the run)."""
    key = (budget, str(device), seed_offset)
    if key not in _MEASURED:
        _MEASURED[key] = evaluate_ring(submission, budget=budget, seed=TEST_SEED + seed_offset, device=device)
    return _MEASURED[key]


@pytest.mark.points(4)
def test_ring_modes_captured(submission, device, budget, seed_offset):
    """After a short seeded run on the ring of 8 Gaussians, does your GAN capture at least 7 of the 8 modes?"""
    found = _measure(submission, budget, device, seed_offset)
    attach_figure("ring samples", lambda: ring_figure(found["samples"], found, describe_run(budget, "ring")),
                  caption="2,500 samples of your GAN (blue) over the ring's data (grey); a mode's circle (3 standard "
                          "deviations) is green when captured, red when not")
    attach_number("modes captured", found["modes"], threshold=MIN_MODES - 0.5, better="higher", unit="of 8",
                  caption=f"Modes of the ring your GAN captured (at least {MIN_MODES} pass)")
    if found["modes"] < MIN_MODES:
        raise CheckFailure.build(
            f"{describe_run(budget, 'ring')}, the modes of the ring captured by 2,500 samples",
            expected=f"at least {MIN_MODES} of 8", found=f"{found['modes']} (high-quality samples per mode: {found['counts']})",
            cause="if the tests of the training step pass, check that the generator's step uses the non-saturating cost "
                  "through the discriminator just updated, and that both optimisers use learning_rate and betas.")


@pytest.mark.points(4)
def test_ring_high_quality_fraction(submission, device, budget, seed_offset):
    """After the same run, is the fraction of high-quality samples (within 3 standard deviations of a mode) above the calibrated threshold?"""
    limit, entry = threshold("ring_high_quality", budget)
    found = _measure(submission, budget, device, seed_offset)
    attach_number("high-quality fraction", found["high_quality"], threshold=limit, better="higher",
                  marks={"reference (mean)": entry["mean"]},
                  caption="The fraction of your 2,500 samples within 3 standard deviations of a mode, against the "
                          "calibrated threshold (higher is better)")
    if not found["high_quality"] > limit:
        raise CheckFailure.build(
            f"{describe_run(budget, 'ring')}, the fraction of 2,500 samples within 3 standard deviations of a mode",
            expected=f"above {limit:.3f} (the reference: {entry['mean']:.3f} on average over {len(entry['seeds'])} seeds, "
                     f"at worst {entry['min']:.3f})", found=f"{found['high_quality']:.3f}",
            cause="the generator does not learn the modes: check the losses' signs and labels, and that training_step "
                  "steps the discriminator on the detached fakes and then the generator on the same fakes.")
