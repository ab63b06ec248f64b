"""Hidden tests of Part 6: the test NLL of NADE and PixelCNN after a short, seeded training run.

The run is :func:`ar_quality.train_and_evaluate`, the very function the calibration used; the
threshold and how it was set are in calibration.json.
"""

import pytest
from ar_quality import CONFIGS, TEST_SEED, require_autoregressive, threshold, train_and_evaluate

from gradelib.checks import CheckFailure

CAUSES = {
    "NADE": "formula (7) (the shift of the running sum, the sigmoid, the rows of V)",
    "PixelCNN": "the layers (type A first, then type B, ReLUs between) and the masks",
}


def _check_quality(submission, model_name, budget, device, seed_offset):
    limit, entry = threshold(model_name, budget)
    require_autoregressive(submission, model_name)
    nll = train_and_evaluate(submission, model_name, budget=budget, seed=TEST_SEED + seed_offset, device=device)
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


@pytest.mark.points(4)
def test_nade_test_nll(submission, device, budget, seed_offset):
    """After a short seeded training run, is NADE's test NLL (nats per image) below the calibrated threshold?"""
    _check_quality(submission, "NADE", budget, device, seed_offset)


@pytest.mark.points(4)
def test_pixelcnn_test_nll(submission, device, budget, seed_offset):
    """After a short seeded training run, is PixelCNN's test NLL (nats per image) below the calibrated threshold?"""
    _check_quality(submission, "PixelCNN", budget, device, seed_offset)
