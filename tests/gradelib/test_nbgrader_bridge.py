"""Tests of the nbgrader door on the toy course: same score as `gradelib grade`, partial credit, no leaks."""

from __future__ import annotations

import json

import nbformat

from gradelib.grader import GradingOptions, grade_notebook
from gradelib.nbgrader_course import autograde
from gradelib.release import fill_in_solutions, release_assignment


def half_right(course, destination):
    """The solution with `square` wrong: 1 of the 5 points is earned."""
    notebook = nbformat.read(fill_in_solutions(course, "toy", destination), as_version=4)
    for cell in notebook.cells:
        if "def square" in cell.source:
            cell.source = "def square(x):\n    return 2 * x\n"
    nbformat.write(notebook, destination)
    return destination


def test_does_autograde_give_the_same_scores_as_gradelib_grade(toy_course, tmp_path):
    """Do nbgrader autograde and gradelib grade agree, with partial credit, and show no hidden code?"""
    release_assignment(toy_course, "toy")
    perfect = fill_in_solutions(toy_course, "toy", tmp_path / "perfect.ipynb")
    partial = half_right(toy_course, tmp_path / "partial.ipynb")
    scores = autograde(toy_course.root, "toy", {"ada": perfect, "bob": partial})
    assert scores["ada"] == {"grade_arithmetic": 3, "grade_counter": 2, "total": 5}
    assert scores["bob"] == {"grade_arithmetic": 0, "grade_counter": 1, "total": 1}
    for name, path in (("ada", perfect), ("bob", partial)):
        report = grade_notebook(path, "toy", GradingOptions(timeout=120), course=toy_course)
        assert report.score == scores[name]["total"]
    autograded = json.loads((toy_course.root / "autograded/bob/toy/toy.ipynb").read_text())
    grade_outputs = [
        "".join(output.get("text", "")) for cell in autograded["cells"] if cell["cell_type"] == "code"
        for output in cell.get("outputs", []) if output.get("name") == "stdout"
    ]
    text = "\n".join(grade_outputs)
    assert "[FAIL] square(4) is 16." in text and "returned 8" in text
    assert "reference" not in text.lower() or "agrees with the reference" in text
    assert not any(output.get("name") == "stderr" for cell in autograded["cells"] for output in cell.get("outputs", []))
