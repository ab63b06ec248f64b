"""The calibrated thresholds of gan's quality tests (calibration.json beside this file)."""

from __future__ import annotations

import json
from pathlib import Path

from gradelib.checks import CheckFailure

CALIBRATION_PATH = Path(__file__).resolve().parent / "calibration.json"


def threshold(run: str, budget: str) -> tuple[float, dict]:
    """The threshold of a quality run at a budget, and its calibration entry.

    Raises:
        CheckFailure: addressed to the instructor, when that budget is not calibrated.
    """
    record = json.loads(CALIBRATION_PATH.read_text()).get("budgets", {}).get(budget, {})
    entry = record.get("models", {}).get(run)
    if not record.get("calibrated") or not entry or entry.get("threshold") is None:
        raise CheckFailure(
            f"Note for the instructor: the quality test '{run}' has no calibrated threshold for the '{budget}' budget "
            f"(see tests/hidden/gan/calibration.json: {record.get('note', 'no entry')}). Run `gradelib calibrate "
            f"gan --budget {budget}` on the grading hardware, or grade with --budget quick. This is not the student's fault."
        )
    return float(entry["threshold"]), entry
