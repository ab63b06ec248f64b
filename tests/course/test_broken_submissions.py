"""Is every broken submission of each assignment graded with score 0, a clear message and exit code 0,
within the time limit, with a results file written?"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

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


@pytest.mark.parametrize("case", sorted(CASES))
def test_is_a_broken_submission_graded_zero_with_a_clear_message(assignment, course, tmp_path, case):
    """A student's filled-in notebook, broken one way, scores 0 with the reason, exit 0, within --timeout."""
    break_it, expected = CASES[case]
    notebook = nbformat.read(fill_in_solutions(course, assignment, tmp_path / "filled.ipynb"), as_version=4)
    submission = tmp_path / f"{case}.ipynb"
    break_it(notebook, submission)
    results = tmp_path / "results.json"
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "gradelib.cli.main", "grade", str(submission), "--assignment", assignment,
         "--timeout", str(TIMEOUT_S), "--results", str(results)],
        cwd=course.root, capture_output=True, text=True, timeout=TIMEOUT_S + 120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert time.monotonic() - started < TIMEOUT_S + 60  # the time limit plus starting Python twice
    report = json.loads(results.read_text())
    assert report["score"] == 0 and report["max_score"] > 0
    outputs = [test["output"] for test in report["tests"]]
    assert all(expected in output for output in outputs), outputs[:3]
