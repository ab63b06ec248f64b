"""Do correct notebooks pass under other seeds? (slow: it grades each one 20 times)

Grading uses seed offset 0; a check whose tolerance or threshold only holds for that seed would fail a
correct student whose code draws random numbers in a different order. So the reference solution and every
correct variant (tests/known_bugs/<id>/bugs.py) of every assignment are graded with ``--seed-offset 1 .. N``
(N = 20, or $GRADELIB_FALSE_FAILURE_OFFSETS) through gradelib.grader.grade_notebook (through the course tests' warm
start), and every test must pass every time. The count is recorded beside the thresholds, in calibration.json
under ``false_failures``.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from gradelib.course import Course
from gradelib.grader import GradingOptions, grade_notebook
from gradelib.kit.calibration import record_false_failures
from gradelib.kit.known_bugs import apply_bug, load_bugs

COURSE = Course.find(Path(__file__).resolve().parent)
OFFSETS = int(os.environ.get("GRADELIB_FALSE_FAILURE_OFFSETS", "20"))
WORKERS = 2  # the warm start of tests/course/conftest.py keeps two spares


@pytest.mark.slow
@pytest.mark.timeout(4 * 3600)  # about 120 gradings per assignment: far beyond the project's 900 s per test
@pytest.mark.parametrize("assignment", COURSE.assignments())
def test_do_correct_notebooks_pass_under_every_seed_offset(assignment, tmp_path, warm):
    """Do the reference and every correct variant get full marks with seed offsets 1 .. N (N = 20)?"""
    notebooks = {"reference": COURSE.solution(assignment)}
    for variant in load_bugs(COURSE, assignment).correct_variants:
        notebooks[variant.name] = apply_bug(COURSE.solution(assignment), variant, tmp_path)

    def grade(name: str, offset: int) -> list[str]:
        options = GradingOptions(device="cpu", budget="quick", seed_offset=offset)
        report = grade_notebook(notebooks[name], assignment, options, course=COURSE, warm=warm)
        return [
            f"{name} offset {offset}: {t.group}::{t.name}: {t.output[:200]}"
            for t in report.tests
            if t.status != "passed"
        ]

    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        jobs = [pool.submit(grade, name, offset) for name in notebooks for offset in range(1, OFFSETS + 1)]
        failures = [line for job in jobs for line in job.result()]
    record_false_failures(
        COURSE, assignment, offsets=OFFSETS, count=len(failures), notebooks=sorted(notebooks), failures=failures
    )
    assert not failures, "correct notebooks failed under other seeds:\n" + "\n".join(failures)
