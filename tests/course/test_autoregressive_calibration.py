"""Is the recorded calibration of the autoregressive quality thresholds still true of the graded run?

A threshold is only as good as its record: if the training configuration, the data or the
reference solution changed since calibration.json was written, the recorded per-seed NLLs no
longer describe what the hidden test measures. These tests re-run the graded seed and compare.
"""

from __future__ import annotations

import pytest
import torch
from checkout import COURSE

from gradelib.loader import load_notebook

ar_quality = COURSE.import_helper(COURSE.hidden_suite("autoregressive"), "ar_quality")

#: How far a re-run may drift from the recorded NLL (nats): thread counts and library versions.
RERUN_TOLERANCE_NATS = 0.1


@pytest.fixture(scope="module")
def calibration() -> dict:
    return ar_quality.load_calibration()


@pytest.fixture(scope="module")
def reference(course):
    return load_notebook(course.solution("autoregressive"))


@pytest.mark.parametrize("model_name", ["NADE", "PixelCNN"])
def test_is_the_recorded_training_the_graded_training(calibration, model_name):
    """Does calibration.json record the same training configuration as the hidden test uses?"""
    record = calibration["budgets"]["quick"]
    assert record["calibrated"] is True
    entry = record["models"][model_name]
    assert entry["training"] == {
        "kwargs": ar_quality.CONFIGS["quick"]["models"][model_name]["kwargs"],
        "max_steps": ar_quality.CONFIGS["quick"]["models"][model_name]["max_steps"],
    }
    assert len(entry["seeds"]) >= 10 and len(entry["nll_nats"]) == len(entry["seeds"])
    assert entry["threshold"] >= max(entry["nll_nats"]) + entry["margin"] - 0.005  # recorded to 2 decimals
    assert entry["margin"] >= 0.5
    assert entry["threshold"] < record["independent_pixel_nll"], "the threshold must reject an independent-pixel model"


@pytest.mark.parametrize("model_name", ["NADE", "PixelCNN"])
def test_does_the_graded_seed_reproduce_its_recorded_nll(calibration, reference, model_name):
    """Does training the reference with the graded seed give the NLL recorded for that seed?"""
    torch.set_num_threads(1)
    entry = calibration["budgets"]["quick"]["models"][model_name]
    seed = ar_quality.TEST_SEED
    recorded = entry["nll_nats"][entry["seeds"].index(seed)]
    found = ar_quality.train_and_evaluate(reference, model_name, budget="quick", seed=seed, device=torch.device("cpu"))
    assert abs(found - recorded) <= RERUN_TOLERANCE_NATS, (
        f"{model_name}: seed {seed} now gives {found:.4f} nats, calibration.json says {recorded:.4f}: "
        "re-run tests/hidden/autoregressive/calibrate.py --budget quick --seeds 12 --bad"
    )


@pytest.mark.slow
def test_does_a_fresh_calibration_agree_with_the_record(calibration, reference):
    """Does re-running ten seeds give NLLs below the recorded thresholds (the reference passes every seed)?"""
    torch.set_num_threads(1)
    for model_name in ("NADE", "PixelCNN"):
        threshold = calibration["budgets"]["quick"]["models"][model_name]["threshold"]
        for seed in range(100, 110):
            nll = ar_quality.train_and_evaluate(
                reference, model_name, budget="quick", seed=seed, device=torch.device("cpu")
            )
            assert nll <= threshold, f"{model_name} seed {seed}: {nll:.3f} > threshold {threshold}"
