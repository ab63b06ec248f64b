"""Hidden tests of Part 6: the test NLL of NADE and PixelCNN after a short, seeded training run.

The run is :func:`ar_quality.train_and_evaluate`, the very function the calibration used; the
threshold and how it was set are in calibration.json.
"""

import pytest
from ar_quality import CONFIGS, TEST_SEED, require_autoregressive, showcase, threshold, train_and_measure

from gradelib.checks import CheckFailure
from gradelib.pictures import attach_image, attach_number

CAUSES = {
    "NADE": "formula (7) (the shift of the running sum, the sigmoid, the rows of V)",
    "PixelCNN": "the layers (type A first, then type B, ReLUs between) and the masks",
}


def _check_quality(submission, model_name, budget, device, seed_offset):
    limit, entry = threshold(model_name, budget)
    require_autoregressive(submission, model_name)
    seed = TEST_SEED + seed_offset
    nll, model = train_and_measure(submission, model_name, budget=budget, seed=seed, device=device)
    _attach_pictures(submission, model, model_name, nll, limit, entry, budget, seed, device)
    if not nll < limit:
        config = CONFIGS[budget]
        steps = config["models"][model_name]["max_steps"]
        raise CheckFailure(
            f"After {steps} training steps on {config['data'].split(' (')[0]}, your {model_name} scores a test NLL of "
            f"{nll:.2f} nats per image; it should be below {limit:.2f} (the reference scores {entry['mean']:.2f} on "
            f"average over {len(entry['seeds'])} seeds, at worst {entry['max']:.2f}; a model of independent pixels "
            f"scores about {entry.get('independent_pixel_nll', float('nan')):.1f}). The other tests of this notebook "
            f"check each part on its own: if they pass, check {CAUSES[model_name]}, and that training_step returns "
            "the mean NLL in nats."
        )


def _attach_pictures(submission, model, model_name, nll, limit, entry, budget, seed, device) -> None:
    """The number against its threshold, and what the trained model draws (drawn after the verdict, never graded)."""
    steps = CONFIGS[budget]["models"][model_name]["max_steps"]
    attach_number(f"{model_name} test NLL", nll, threshold=limit, better="lower", unit="nats per image",
                  marks={"reference (mean)": entry["mean"], "independent pixels": entry.get("independent_pixel_nll")},
                  caption=f"Your {model_name}'s test NLL after {steps} seeded training steps, against the calibrated "
                          "threshold (lower is better)")
    shown: dict = {}

    def pictures(key):
        if not shown:
            shown.update(showcase(submission, model, budget=budget, seed=seed, device=device))
        return shown[key]

    attach_image(f"{model_name} samples", lambda: pictures("samples"), cmap="gray_r", ncols=8,
                 caption=f"16 digits your trained {model_name} drew with sample(16) (formula (4))")
    attach_image(f"{model_name} completions", lambda: pictures("completions"), cmap="gray_r",
                 caption=f"Test digits, their top halves (grey: hidden), and your {model_name}'s complete() of the "
                         "bottom halves (formula (5))")


@pytest.mark.points(4)
def test_nade_test_nll(submission, device, budget, seed_offset):
    """After a short seeded training run, is NADE's test NLL (nats per image) below the calibrated threshold?"""
    _check_quality(submission, "NADE", budget, device, seed_offset)


@pytest.mark.points(4)
def test_pixelcnn_test_nll(submission, device, budget, seed_offset):
    """After a short seeded training run, is PixelCNN's test NLL (nats per image) below the calibrated threshold?"""
    _check_quality(submission, "PixelCNN", budget, device, seed_offset)
