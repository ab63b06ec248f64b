"""Hidden tests of Part 4: the class-conditional VAE, trained briefly, writes the digits it is asked for."""

import pytest
from vae_quality import CONFIGS, TEST_SEED, evaluate_conditional
from vae_thresholds import threshold

from gradelib.checks import CheckFailure
from gradelib.pictures import attach_image, attach_number


@pytest.mark.points(3)
def test_conditional_samples_have_requested_class(submission, device, budget):
    """Does the digit classifier recognise the requested class in your conditional VAE's samples above the calibrated rate?"""
    limit, entry = threshold("class_accuracy", budget)
    measured = evaluate_conditional(submission, budget=budget, seed=TEST_SEED, device=device)
    found = measured["accuracy"]
    config = CONFIGS[budget]
    attach_number("class accuracy", found, threshold=limit, better="higher", marks={"reference (mean)": entry["mean"]},
                  caption="The rate at which the digit classifier reads the requested class in your samples")
    attach_image("samples by class", measured["showcase"], cmap="gray_r",
                 caption="Your conditional VAE's samples, one row per requested class (sample(N, y))")
    if not found > limit:
        raise CheckFailure(
            f"After {config['conditional']['max_steps']} training steps of VAE(num_classes=10), the digit classifier "
            f"recognises the requested class in {100 * found:.1f}% of {10 * config['samples_per_class']} samples; at least "
            f"{100 * limit:.1f}% expected (the reference: {100 * entry['mean']:.1f}% on average). Check that _common_step "
            "passes the labels to elbo_terms when num_classes > 0, and that sample(N, y) decodes with y.")
