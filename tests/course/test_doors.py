"""Does each assignment's solution get full marks through all three doors, with the same total,
and does its released skeleton get zero, every test saying what is not implemented yet?"""

from __future__ import annotations

import json
import subprocess
import sys

from checkout import OPTIONS

from gradelib.grader import grade_notebook
from gradelib.nbgrader_course import autograde, copy_course
from gradelib.release import fill_in_solutions
from gradelib.settings import NOT_IMPLEMENTED_PREFIX


def test_does_the_solution_get_full_marks_through_every_door(assignment, course, tmp_path, warm):
    """`gradelib grade` and `nbgrader autograde` both give the solution full marks, the same total, and a student
    who left the last part undone the same partial total. (`pytest tests/hidden/<id> --submission ...` is the engine
    of `gradelib grade`; the plugin itself is tested on the toy course, tests/gradelib/test_pytest_plugin.py.)"""
    solution = course.solution(assignment)
    cli = subprocess.run(
        [sys.executable, "-m", "gradelib.cli.main", "grade", str(solution), "--assignment", assignment,
         "--results", str(tmp_path / "cli.json")],
        cwd=course.root, capture_output=True, text=True, timeout=900,
    )
    assert cli.returncode == 0, cli.stderr[-4000:]
    through_cli = json.loads((tmp_path / "cli.json").read_text())
    failures = [(t["name"], t["output"]) for t in through_cli["tests"] if t["status"] != "passed"]
    assert not failures, failures
    assert through_cli["score"] == through_cli["max_score"] > 0

    scratch = copy_course(course, tmp_path / "course", assignment)
    student = fill_in_solutions(course, assignment, tmp_path / f"{assignment}.ipynb")
    partial = leave_last_part_undone(course, assignment, student, tmp_path / "partial" / f"{assignment}.ipynb")
    scores = autograde(scratch, assignment, {"perfect": student, "partial": partial})
    assert scores["perfect"]["total"] == through_cli["score"], scores
    partial_report = grade_notebook(partial, assignment, OPTIONS, course=course, warm=warm)
    assert 0 < partial_report.score < partial_report.max_score
    assert scores["partial"]["total"] == partial_report.score, (scores["partial"], partial_report.score)


def leave_last_part_undone(course, assignment, filled, destination):
    """A student who did every part but the last: its solution cell is left as released."""
    import nbformat

    released = nbformat.read(course.release(assignment), as_version=4)
    notebook = nbformat.read(filled, as_version=4)
    grade_id = lambda cell: cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")  # noqa: E731
    last = [grade_id(cell) for cell in released.cells if cell.get("metadata", {}).get("nbgrader", {}).get("solution")][
        -1
    ]
    stub = next(cell.source for cell in released.cells if grade_id(cell) == last)
    for cell in notebook.cells:
        if grade_id(cell) == last:
            cell.source = stub
    destination.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, destination)
    return destination


def test_does_the_released_skeleton_score_zero(assignment, course, warm):
    """The student release, untouched, scores 0, and every test says it is not implemented yet; no crash."""
    skeleton = course.release(assignment)
    report = grade_notebook(skeleton, assignment, OPTIONS, course=course, warm=warm)
    assert report.max_score > 0
    assert report.score == 0
    wrong = [(test.name, test.output) for test in report.tests if not test.output.startswith(NOT_IMPLEMENTED_PREFIX)]
    assert not wrong, wrong


def test_is_the_release_current_and_leak_free(assignment, course):
    """assignments/<id> is exactly what `gradelib release` makes from solutions/, and it leaks nothing."""
    done = subprocess.run(
        [sys.executable, "-m", "gradelib.cli.main", "release", assignment, "--check"],
        cwd=course.root, capture_output=True, text=True, timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr
