"""The quality runs of gan, for ``gradelib calibrate gan`` (the convention: gradelib.kit.calibration).

The runs themselves live in gan_quality.py, which the hidden tests import; the thresholds are read by
gan_thresholds.py from calibration.json. What the student's models drew in these runs is kept beside the scores
(gan_quality's "samples" and "rows") and shown in the feedback by the quality tests.
"""

from __future__ import annotations

from gan_quality import (
    CONFIGS,
    TEST_SEED,
    class_accuracy,
    digits,
    digits_fid,
    digits_kid,
    ring_high_quality,
    ring_modes,
)

from gradelib.kit.calibration import QualityRun

__all__ = ["QUALITY_RUNS", "TEST_SEED", "describe", "baselines"]


def _settings(which: str):
    def settings(budget: str) -> dict:
        return {key: value for key, value in CONFIGS[budget][which].items() if key != "data"}
    return settings


#: Ring: the number of modes captured (recorded per seed; the test asks for at least 7 of 8 whatever the record) and
#: the fraction of high-quality samples, higher is better (its spread over seeds is wide, about 0.08, so its margin is
#: one standard deviation with a floor of 0.125: three would put the threshold near 0, where an untrained blob
#: passes; seeds 10-20 scored 0.47-0.66). Digits: FID and KID of the DCGAN's samples on the digit classifier's
#: features, lower is better. Conditional: the digit classifier's accuracy on the requested classes,
#: higher is better; its spread over seeds is wider than ten seeds show (seeds 0-9: 0.52-0.62; seeds 10-20: 0.38-0.66),
#: so its margin has a floor of 0.25: the threshold stays far above chance (0.1, what a GAN that ignores the label
#: scores, give or take 0.013 on 500 samples) and below every seed measured.
QUALITY_RUNS = {
    "ring_modes": QualityRun(function=ring_modes, direction="higher", unit="modes", min_margin=1.5, std_factor=3.0,
                             decimals=1, rerun_tolerance=1.0, settings=_settings("ring")),
    "ring_high_quality": QualityRun(function=ring_high_quality, direction="higher", unit="fraction", min_margin=0.125,
                                    std_factor=1.0, decimals=3, rerun_tolerance=0.02, settings=_settings("ring")),
    "digits_fid": QualityRun(function=digits_fid, direction="lower", unit="", min_margin=150.0, std_factor=3.0,
                             decimals=0, rerun_tolerance=10.0, settings=_settings("digits")),
    "digits_kid": QualityRun(function=digits_kid, direction="lower", unit="", min_margin=80.0, std_factor=3.0,
                             decimals=0, rerun_tolerance=8.0, settings=_settings("digits")),
    "class_accuracy": QualityRun(function=class_accuracy, direction="higher", unit="", min_margin=0.25, std_factor=3.0,
                                 decimals=3, rerun_tolerance=0.02, settings=_settings("conditional")),
}


def describe(budget: str) -> dict:
    """What the budget trains on (recorded in calibration.json)."""
    return {"data": {which: CONFIGS[budget][which]["data"] for which in ("ring", "digits", "conditional")}}


def baselines(budget: str, *, device) -> dict:
    """Scores of bad generators that the thresholds must reject (measured with the grader's metrics)."""
    import math

    import torch

    from gradelib.data.ring import RING_RADIUS, RING_STD, ring_centres
    from gradelib.metrics import KEY_FID, KEY_KID_MEAN, compute_fid_kid
    from gradelib.metrics.modes import mode_coverage

    generator = torch.Generator().manual_seed(0)
    n = CONFIGS[budget]["ring"]["samples"]
    angles = 2 * math.pi * torch.rand(n, generator=generator)
    ring = {
        "untrained": (torch.randn(n, 2, generator=generator) * 0.1, True,
                      "an untrained generator: a small blob at the origin"),
        "collapsed": (ring_centres()[3] + RING_STD * torch.randn(n, 2, generator=generator), True,
                      "total mode collapse: every sample from one mode"),
        "half_the_modes": (ring_centres()[torch.arange(n) % 4 * 2] + RING_STD * torch.randn(n, 2, generator=generator),
                           True, "partial collapse: 4 of the 8 modes, perfectly"),
        "circle": (RING_RADIUS * torch.stack([angles.cos(), angles.sin()], 1), False,
                   "uniform on the circle through the modes (no modes learned; for reference)"),
    }
    coverage = {name: (mode_coverage(points, ring_centres(), RING_STD), reject, text)
                for name, (points, reject, text) in ring.items()}

    test, _ = digits(budget, "test")
    train, _ = digits(budget, "train")
    m = CONFIGS[budget]["digits"]["samples"]
    test = test[:m]
    images = {
        "mean_image": (train.mean(0, keepdim=True).repeat(m, 1, 1, 1), True,
                       "every sample the mean training image (what regression to noise learns)"),
        "uniform_noise": (torch.rand(m, 1, 28, 28, generator=generator), True, "uniform noise images"),
        "one_digit": (train[:1].repeat(m, 1, 1, 1), True, "total mode collapse: one training digit repeated"),
        "ten_digits": (train[:10].repeat(math.ceil(m / 10), 1, 1, 1)[:m], True,
                       "partial collapse: ten training digits repeated"),
        "training_digits": (train[:m], False, "real training digits (the best a generator can do)"),
    }
    scores = {name: (compute_fid_kid(test, x), reject, text) for name, (x, reject, text) in images.items()}
    return {
        "ring_modes": {name: {"values": [float(c["modes"])], "must_reject": reject, "description": text}
                       for name, (c, reject, text) in coverage.items()},
        # a collapsed generator draws high-quality samples of few modes: the modes test rejects it, not this one
        "ring_high_quality": {name: {"values": [c["high_quality"]], "must_reject": name == "untrained", "description": text}
                              for name, (c, reject, text) in coverage.items()},
        "digits_fid": {name: {"values": [s[KEY_FID]], "must_reject": reject, "description": text}
                       for name, (s, reject, text) in scores.items()},
        "digits_kid": {name: {"values": [s[KEY_KID_MEAN]], "must_reject": reject, "description": text}
                       for name, (s, reject, text) in scores.items()},
        "class_accuracy": {"chance": {"values": [0.1], "must_reject": True, "description": "the label ignored"}},
    }

