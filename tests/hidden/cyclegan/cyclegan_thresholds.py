"""The calibrated thresholds of cyclegan's quality tests (calibration.json beside this file)."""

from __future__ import annotations

from pathlib import Path

from gradelib.kit.calibration import recorded_threshold

CALIBRATION_PATH = Path(__file__).resolve().parent / "calibration.json"


def threshold(run: str, budget: str) -> tuple[float, dict]:
    """The threshold of a quality run at a budget, and its calibration entry (see
    :func:`gradelib.kit.calibration.recorded_threshold`)."""
    return recorded_threshold("cyclegan", run, budget, CALIBRATION_PATH)
