"""A tiny course (one assignment, ``toy``) built in a temporary folder, for testing gradelib's doors.

It has what a real course has, at toy size: a source notebook with solution regions, a public
check cell and grade cells naming their group (`grade_group`, read by gradelib's autograde
preprocessor); a hidden suite of two groups with points markers; and the course's nbgrader_config.py.
Tests build broken variants from it with :func:`write_notebook`.
"""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import nbformat

from gradelib.course import Course

SQUARE_SOLUTION = '''\
def square(x):
    """Return x squared (any number)."""
    ### BEGIN SOLUTION
    return x * x
    ### END SOLUTION
'''

COUNTER_SOLUTION = '''\
class Counter:
    """Counts calls: ``Counter().tick()`` returns 1, then 2, ..."""

    def __init__(self):
        self.count = 0

    def tick(self):
        ### BEGIN SOLUTION
        self.count += 1
        return self.count
        ### END SOLUTION
'''

HIDDEN_ARITHMETIC = '''\
import pytest


@pytest.mark.points(2)
def test_square_of_four(submission):
    """square(4) is 16."""
    found = submission.square(4)
    if found != 16:
        raise AssertionError(f"square(4) returned {found!r}; 16 was expected. Multiply x by itself.")


@pytest.mark.points(1)
def test_square_matches_reference(submission, reference):
    """square agrees with the reference on negative numbers."""
    if submission.square(-3) != reference.square(-3):
        raise AssertionError("square(-3) is not 9: a square is never negative.")
'''

HIDDEN_COUNTER = '''\
import random

import pytest

from gradelib.pictures import attach_image, attach_number


@pytest.mark.points(1)
def test_counter_counts(submission):
    """Counter.tick counts from 1."""
    counter = submission.Counter()
    ticks = [counter.tick() for _ in range(3)]
    last = ticks[-1] if isinstance(ticks[-1], (int, float)) else float("nan")
    attach_number("third tick", last, threshold=2.5, better="higher", caption="Your third tick against 2.5")
    attach_image("broken", lambda: 1 / 0, caption="a picture that cannot be drawn (it costs nothing)")
    if ticks != [1, 2, 3]:
        raise AssertionError(f"three ticks returned {ticks}; [1, 2, 3] was expected.")


@pytest.mark.points(1)
def test_square_of_a_seeded_number(submission):
    """square works on the number the seeded generator draws."""
    x = random.random()
    if x != random.Random(SEED).random():
        raise AssertionError("the grader did not seed this test (a grader problem)")
    if submission.square(x) != x * x:
        raise AssertionError(f"square({x}) is not {x * x}.")


SEED = __import__("zlib").crc32(b"test_counter.py::test_square_of_a_seeded_number") & 0x7FFFFFFF
'''


def grade_cell(group: str, points: int) -> nbformat.NotebookNode:
    source = (
        f"# Hidden tests for {group} run here when your notebook is graded.\n"
        "### BEGIN HIDDEN TESTS\n"
        "import gradelib.nbgrader_bridge\n"
        f'gradelib.nbgrader_bridge.grade_group("toy", "{group}")\n'
        "### END HIDDEN TESTS"
    )
    meta = {
        "grade": True,
        "solution": False,
        "locked": True,
        "grade_id": f"grade_{group}",
        "points": points,
        "schema_version": 3,
    }
    return nbformat.v4.new_code_cell(source, metadata={"nbgrader": meta})


def solution_cell(source: str, grade_id: str) -> nbformat.NotebookNode:
    meta = {"grade": False, "solution": True, "locked": False, "grade_id": grade_id, "schema_version": 3}
    return nbformat.v4.new_code_cell(source, metadata={"nbgrader": meta})


def public_check_cell(source: str, grade_id: str) -> nbformat.NotebookNode:
    meta = {"grade": False, "solution": False, "locked": True, "grade_id": grade_id, "schema_version": 3}
    return nbformat.v4.new_code_cell(source, metadata={"tags": ["public-checks"], "nbgrader": meta})


def toy_source_notebook() -> nbformat.NotebookNode:
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    notebook.cells = [
        nbformat.v4.new_markdown_cell("# Toy assignment\nFill in `square` and `Counter.tick`."),
        nbformat.v4.new_code_cell("import gradelib"),
        solution_cell(SQUARE_SOLUTION, "square"),
        public_check_cell("assert square(3) == 9, 'square(3) should be 9'", "check_arithmetic"),
        grade_cell("arithmetic", 3),
        solution_cell(COUNTER_SOLUTION, "counter"),
        grade_cell("counter", 2),
    ]
    for index, cell in enumerate(notebook.cells):
        cell["id"] = f"cell-{index}"
    return notebook


def make_toy_course(root: Path, real: Course) -> Course:
    """Write the toy course into ``root`` (with the nbgrader config of the ``real`` course) and return it."""
    toy = Course(root)
    toy.source_dir("toy").mkdir(parents=True)
    toy.hidden_suite("toy").mkdir(parents=True)
    nbformat.write(toy_source_notebook(), toy.solution("toy"))
    toy.group_file("toy", "arithmetic").write_text(HIDDEN_ARITHMETIC)
    toy.group_file("toy", "counter").write_text(HIDDEN_COUNTER)
    shutil.copy(real.nbgrader_config, toy.nbgrader_config)
    return toy


def write_notebook(path: Path, cells: list[str], *, valid_json: bool = True) -> Path:
    """A student-like notebook with plain code cells (no nbgrader metadata)."""
    if not valid_json:
        path.write_text('{"cells": [ {"cell_type": "code", "source": "x = 1"', encoding="utf-8")
        return path
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(textwrap.dedent(source)) for source in cells]
    nbformat.write(notebook, path)
    return path
