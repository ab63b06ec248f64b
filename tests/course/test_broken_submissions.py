"""Is every broken submission of each assignment graded with score 0 and a clear message in every test, within the
time limit?

Graded through grade_notebook with the command line's options and the course tests' warm start; that `gradelib grade`
itself exits 0 with a results file for such notebooks (and that an endless loop ends at the time limit) is asked on
the toy course, tests/gradelib/test_grader.py. The endless loop of every real assignment is slow-marked: it costs its
cell time limit whatever the suite.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import nbformat
import pytest

from gradelib.cli.options import grading_options
from gradelib.grader import grade_notebook
from gradelib.release import fill_in_solutions


def first_code_cell(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    return next(cell for cell in notebook.cells if cell.cell_type == "code")


def not_json(notebook, path: Path) -> None:
    path.write_text(nbformat.writes(notebook)[: 2000], encoding="utf-8")  # cut off mid-way, as a bad download is


def syntax_error(notebook, path: Path) -> None:
    """A syntax error in the imports and in every cell the student fills in.

    (A syntax error in the imports alone is not a zero: a filled-in function that needs no import, such as a loss
    written with tensor methods, still works, and earns its points through every door.)"""
    cells = [first_code_cell(notebook)] + [
        cell for cell in notebook.cells if cell.get("metadata", {}).get("nbgrader", {}).get("solution")
    ]
    for cell in cells:
        cell.source = cell.source.replace("import", "imprt", 1) + "\ndef broken(:\n    pass\n"
    nbformat.write(notebook, path)


def missing_classes(notebook, path: Path) -> None:
    """Every cell the student fills in deleted: none of the classes the tests need is defined."""
    notebook.cells = [
        cell for cell in notebook.cells if not cell.get("metadata", {}).get("nbgrader", {}).get("solution")
    ]
    nbformat.write(notebook, path)


def endless_loop(notebook, path: Path) -> None:
    notebook.cells.append(nbformat.v4.new_code_cell("while True:\n    pass"))
    nbformat.write(notebook, path)


def exits(notebook, path: Path) -> None:
    notebook.cells.insert(1, nbformat.v4.new_code_cell("import os\nos._exit(0)"))
    nbformat.write(notebook, path)


CASES = {
    "not_json": (not_json, "not valid JSON"),
    "syntax_error": (syntax_error, "SyntaxError"),
    "missing_classes": (missing_classes, "does not define"),
    "endless_loop": (endless_loop, "did not finish loading"),
    "os_exit": (exits, "did not finish loading"),
}
TIMEOUT_S = 90  # a generous limit: a loaded CI machine starts three Python processes per grading
SLOW_CASES = {"endless_loop"}


@pytest.mark.parametrize(
    "case", [pytest.param(case, marks=[pytest.mark.slow] if case in SLOW_CASES else []) for case in sorted(CASES)]
)
def test_is_a_broken_submission_graded_zero_with_a_clear_message(assignment, course, tmp_path, case, warm):
    """A student's filled-in notebook, broken one way, scores 0 with the reason in every test, within the limit."""
    break_it, expected = CASES[case]
    notebook = nbformat.read(fill_in_solutions(course, assignment, tmp_path / "filled.ipynb"), as_version=4)
    submission = tmp_path / f"{case}.ipynb"
    break_it(notebook, submission)
    options = grading_options(argparse.Namespace(device="cpu", budget="quick", timeout=TIMEOUT_S, seed_offset=0))
    started = time.monotonic()
    report = grade_notebook(submission, assignment, options, course=course, warm=warm)
    assert time.monotonic() - started < TIMEOUT_S + 60  # the time limit plus starting the grading
    assert report.score == 0 and report.max_score > 0
    outputs = [test.output for test in report.tests]
    assert all(expected in output for output in outputs), outputs[:3]
