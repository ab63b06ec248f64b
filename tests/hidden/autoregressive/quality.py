"""The quality runs of the autoregressive assignment, for ``gradelib calibrate autoregressive``.

The convention is :mod:`gradelib.kit.calibration`'s: ``QUALITY_RUNS`` (what test_quality.py grades with),
``TEST_SEED``, ``describe(budget)`` and ``baselines(budget, *, device)``. The runs themselves live in
ar_quality.py, which the hidden tests import.
"""

from __future__ import annotations

import functools
from pathlib import Path

from ar_quality import CONFIGS, TEST_SEED, independent_pixel_nll, train_and_evaluate

from gradelib.course import Course
from gradelib.kit.calibration import QualityRun
from gradelib.kit.known_bugs import apply_bug, load_bugs
from gradelib.loader import load_notebook

__all__ = ["QUALITY_RUNS", "TEST_SEED", "describe", "baselines"]


def _settings(model_name: str, budget: str) -> dict:
    config = CONFIGS[budget]["models"][model_name]
    return {"kwargs": config["kwargs"], "max_steps": config["max_steps"]}


#: Test NLL (nats per image) after the seeded training run of each model: lower is better.
QUALITY_RUNS = {
    name: QualityRun(
        function=functools.partial(train_and_evaluate, model_name=name),
        direction="lower",
        unit="nats",
        min_margin=0.5,
        std_factor=3.0,
        decimals=2,
        rerun_tolerance=0.1,
        settings=functools.partial(_settings, name),
    )
    for name in ("NADE", "PixelCNN")
}

#: Known bugs whose trained models are recorded beside the threshold: (run, bug, must the threshold reject it?).
#: nade_shift_two is nearly as good as the reference; test_nade.py catches it, not the threshold.
BAD_MODELS = (("NADE", "nade_shift_two", False), ("NADE", "log_prob_sign_flipped", True),
              ("PixelCNN", "pixelcnn_all_type_a", True))
BAD_MODEL_SEEDS = (0, 1, 2)


def describe(budget: str) -> dict:
    """What the budget trains on (recorded in calibration.json)."""
    config = CONFIGS[budget]
    return {"data": config["data"], "batch_size": config["batch_size"], "image_shape": config["image_shape"],
            "independent_pixel_nll": round(independent_pixel_nll(budget), 4)}


def baselines(budget: str, *, device) -> dict:
    """Bad models the thresholds are measured against: independent pixels, and known bugs trained the same way."""
    import tempfile

    course = Course.find(Path(__file__).resolve().parent)
    bugs = load_bugs(course, "autoregressive").by_name
    independent = independent_pixel_nll(budget)
    found = {name: {"independent_pixel_nll": independent} for name in QUALITY_RUNS}
    with tempfile.TemporaryDirectory(prefix="gradelib-calibrate-") as folder:
        for model_name, bug_name, must_reject in BAD_MODELS:
            module = load_notebook(apply_bug(course.solution("autoregressive"), bugs[bug_name], folder))
            values = [train_and_evaluate(module, model_name, budget=budget, seed=s, device=device) for s in BAD_MODEL_SEEDS]
            found[model_name][bug_name] = {"description": bugs[bug_name].description, "seeds": list(BAD_MODEL_SEEDS),
                                           "values": values, "must_reject": must_reject}
    return found
