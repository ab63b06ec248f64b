"""Does `gradelib new` make an assignment that the course's generic machinery grades with no edit?

On a scratch course (this checkout's nbgrader_config.py and an empty tests/hidden/), `gradelib new demo`
then `gradelib release demo`: the new assignment is listed by Course, its solution gets full marks and its
release zero through gradelib.grader.grade_notebook, `gradelib calibrate demo` records its thresholds, and
the project's generic calibration and known-bug tests, copied unchanged into the scratch course, pass on it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from gradelib.course import Course
from gradelib.grader import GradingOptions, grade_notebook
from gradelib.kit.calibration import read_calibration
from gradelib.kit.known_bugs import load_bugs
from gradelib.kit.scaffold import ScaffoldError, new_assignment
from gradelib.messages import NOT_IMPLEMENTED_PREFIX
from gradelib.settings import ENV_COURSE_ROOT

HERE = Path(__file__).resolve().parent


def gradelib_command(scratch: Path, *args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    env = {**os.environ, ENV_COURSE_ROOT: str(scratch)}
    return subprocess.run(
        [sys.executable, "-m", "gradelib.cli.main", *args],
        cwd=scratch,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.fixture(scope="module")
def scratch(tmp_path_factory, course) -> Path:
    """A scratch course with the assignment ``demo`` made by `gradelib new` and released by `gradelib release`."""
    root = tmp_path_factory.mktemp("scratch") / "course"
    (root / "tests" / "hidden").mkdir(parents=True)
    shutil.copy(course.nbgrader_config, root / "nbgrader_config.py")
    for command in (("new", "demo"), ("release", "demo")):
        done = gradelib_command(root, *command)
        assert done.returncode == 0, f"gradelib {' '.join(command)}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return root


def test_is_the_new_assignment_listed_with_everything_it_needs(scratch):
    """Does Course list demo, with a source notebook, a release, a hidden suite, known bugs and a calibration record?"""
    course = Course(scratch)
    assert course.assignments() == ["demo"]
    for path in (
        course.solution("demo"),
        course.release("demo"),
        course.calibration("demo"),
        course.hidden_suite("demo") / "quality.py",
        course.known_bugs("demo") / "bugs.py",
    ):
        assert path.is_file(), path
    assert read_calibration(course.calibration("demo"))["budgets"]["quick"]["calibrated"] is False
    found = load_bugs(course, "demo")
    assert found.bugs == [] and found.correct_variants == []


def test_does_new_refuse_an_existing_or_invalid_id(scratch):
    """Does `gradelib new` refuse to overwrite an assignment, and refuse an id that is not an identifier?"""
    with pytest.raises(ScaffoldError, match="exists already"):
        new_assignment(Course(scratch), "demo")
    with pytest.raises(ScaffoldError, match="not a valid assignment id"):
        new_assignment(Course(scratch), "Style-Transfer")
    assert gradelib_command(scratch, "new", "demo").returncode == 2


def test_does_the_solution_get_full_marks_and_the_release_zero(scratch):
    """Through grade_notebook: the solution gets every point, the untouched release none, each test saying
    it is not implemented yet."""
    course = Course(scratch)
    options = GradingOptions(device="cpu", timeout=300)
    solved = grade_notebook(course.solution("demo"), "demo", options, course=Course(scratch))
    assert solved.max_score > 0 and solved.score == solved.max_score, [(t.name, t.output) for t in solved.tests]
    released = grade_notebook(course.release("demo"), "demo", options, course=Course(scratch))
    assert released.max_score == solved.max_score and released.score == 0
    assert all(test.output.startswith(NOT_IMPLEMENTED_PREFIX) for test in released.tests), [
        t.output for t in released.tests
    ]


def test_do_the_generic_tests_pick_up_the_calibrated_assignment(scratch):
    """After `gradelib calibrate demo`, do the project's calibration and known-bug tests, unchanged, pass on demo?"""
    done = gradelib_command(scratch, "calibrate", "demo", "--seeds", "10")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    record = read_calibration(Course(scratch).calibration("demo"))
    entry = record["budgets"]["quick"]["models"]["gaussian_fit"]
    assert record["budgets"]["quick"]["calibrated"] and entry["seeds"] == list(range(10))
    assert entry["baselines"]["standard_normal_nll"]["rejected"]
    tests = scratch / "tests" / "course"
    tests.mkdir()
    for name in ("conftest.py", "test_calibration.py", "test_known_bugs.py"):
        shutil.copy(HERE / name, tests / name)
    shutil.copy(HERE.parent / "checkout.py", scratch / "tests" / "checkout.py")  # the course under test, one home
    (scratch / "tests" / "conftest.py").write_text('"""Puts tests/ on sys.path (checkout.py)."""\n')
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            str(tests),
            "-m",
            "not slow",
            "-q",
            "-p",
            "no:cacheprovider",
            "-o",
            "addopts=",
            "--rootdir",
            str(scratch),
        ],
        cwd=scratch,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, ENV_COURSE_ROOT: str(scratch)},
    )
    assert run.returncode == 0, run.stdout[-4000:]
    assert "3 passed" in run.stdout, run.stdout[-2000:]  # two calibration tests of gaussian_fit, one known-bug test
