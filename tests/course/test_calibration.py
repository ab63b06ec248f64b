"""Is every assignment's recorded calibration still true of what its hidden quality tests measure?

A threshold is only as good as its record: if the training configuration, the data or the reference
solution changed since ``calibration.json`` was written, the recorded per-seed scores no longer describe
what the hidden test grades. For every assignment that :meth:`Course.assignments` lists, its quality runs
(``tests/hidden/<id>/quality.py``, see :mod:`gradelib.kit.calibration`) are checked against the record,
and the graded seed is re-run on the reference solution. An assignment whose record says it is not
calibrated yet (what ``gradelib new`` writes) is skipped with the command to run.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from gradelib.course import Course
from gradelib.kit.calibration import load_quality, passes, read_calibration, summarise, test_seed_of
from gradelib.loader import load_notebook

COURSE = Course.find(Path(__file__).resolve().parent)
ASSIGNMENTS = COURSE.assignments()
BUDGET = "quick"  # what a CPU-only CI machine can re-run
MIN_SEEDS = 10


def _runs() -> list:
    cases = []
    for assignment in ASSIGNMENTS:
        for name in load_quality(COURSE, assignment).QUALITY_RUNS:
            cases.append(pytest.param(assignment, name, id=f"{assignment}-{name}"))
    return cases


RUNS = _runs()


def recorded(assignment: str) -> dict:
    """The record's quick-budget entry; skips the test if the assignment is not calibrated yet."""
    entry = read_calibration(COURSE.calibration(assignment))["budgets"].get(BUDGET, {})
    if not entry.get("calibrated"):
        pytest.skip(
            f"{assignment} is not calibrated for the {BUDGET} budget yet: run `gradelib calibrate {assignment}`"
        )
    return entry


@pytest.fixture(scope="session")
def references() -> dict:
    """Each assignment's reference solution, loaded once (trusted code) and shared by the re-runs."""
    return {}


def reference_of(references: dict, assignment: str):
    if assignment not in references:
        references[assignment] = load_notebook(COURSE.solution(assignment))
    return references[assignment]


@pytest.mark.parametrize("assignment, run_name", RUNS)
def test_is_the_recorded_run_the_graded_run(assignment, run_name):
    """Does calibration.json record this run over enough seeds, with the graded seed, the graded training
    and the threshold its margin rule gives, and does that threshold reject every bad model it must?"""
    quality = load_quality(COURSE, assignment)
    run = quality.QUALITY_RUNS[run_name]
    budget_entry = recorded(assignment)
    assert run_name in budget_entry["models"], f"calibration.json has no entry for {run_name}: recalibrate"
    entry = budget_entry["models"][run_name]
    assert read_calibration(COURSE.calibration(assignment))["test_seed"] == test_seed_of(quality)
    assert test_seed_of(quality) in entry["seeds"], "the graded seed must be one of the calibration seeds"
    assert len(entry["seeds"]) >= MIN_SEEDS and len(entry["values"]) == len(entry["seeds"])
    assert entry["direction"] == run.direction and entry["unit"] == run.unit
    if run.settings is not None:
        assert entry["training"] == json.loads(json.dumps(run.settings(BUDGET))), (
            "the graded training changed: recalibrate"
        )
    expected = summarise(run, entry["seeds"], entry["values"])
    assert abs(entry["threshold"] - expected["threshold"]) <= 10**-run.decimals, (
        entry["threshold"],
        expected["threshold"],
    )
    assert all(passes(value, entry) for value in entry["values"]), "the reference fails its own threshold on a seed"
    for label, baseline in entry.get("baselines", {}).items():
        if baseline["must_reject"]:
            assert not any(passes(value, entry) for value in baseline["values"]), (
                f"the threshold accepts the bad model {label}"
            )


@pytest.mark.parametrize("assignment, run_name", RUNS)
def test_does_the_graded_seed_reproduce_its_recorded_score(assignment, run_name, references):
    """Does re-running the reference with the graded seed give the score recorded for that seed?"""
    import torch

    entry = recorded(assignment)["models"][run_name]
    quality = load_quality(COURSE, assignment)
    run = quality.QUALITY_RUNS[run_name]
    seed = test_seed_of(quality)
    torch.set_num_threads(1)
    found = run.function(reference_of(references, assignment), budget=BUDGET, seed=seed, device=torch.device("cpu"))
    expected = entry["values"][entry["seeds"].index(seed)]
    assert abs(found - expected) <= run.rerun_tolerance, (
        f"{assignment} {run_name}: seed {seed} now gives {found:.4f} {run.unit}, calibration.json says {expected:.4f}: "
        f"recalibrate with `gradelib calibrate {assignment} --budget {BUDGET}`"
    )


@pytest.mark.slow
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_does_a_fresh_calibration_pass_the_recorded_thresholds(assignment, tmp_path, course):
    """Does `gradelib calibrate` on three unseen seeds give scores that pass every recorded threshold?"""
    entry = recorded(assignment)
    output = tmp_path / "calibration.json"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "gradelib.cli.main",
            "calibrate",
            assignment,
            "--budget",
            BUDGET,
            "--seeds",
            "3",
            "--seed-offset",
            "100",
            "--no-baselines",
            "--output",
            str(output),
        ],
        cwd=course.root,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    fresh = read_calibration(output)["budgets"][BUDGET]["models"]
    for name, run in fresh.items():
        failing = [
            (seed, value)
            for seed, value in zip(run["seeds"], run["values"], strict=False)
            if not passes(value, entry["models"][name])
        ]
        assert not failing, (
            f"{assignment} {name}: seeds failing the recorded threshold {entry['models'][name]['threshold']}: {failing}"
        )
