"""Tests of `gradelib release`: points from the markers, a leak-free release, stale releases caught."""

from __future__ import annotations

import nbformat
import pytest

from gradelib.release import ReleaseError, find_leaks, release_assignment, sync_points


def test_are_points_taken_from_the_markers(toy_course):
    """Does release set each grade cell's points to the sum of its group's markers?"""
    path = toy_course.solution("toy")
    notebook = nbformat.read(path, as_version=4)
    for cell in notebook.cells:
        if cell.metadata.get("nbgrader", {}).get("grade"):
            cell.metadata["nbgrader"]["points"] = 99
    nbformat.write(notebook, path)
    assert sync_points(toy_course, "toy") == {"arithmetic": 3, "counter": 2}
    points = [
        c.metadata["nbgrader"]["points"]
        for c in nbformat.read(path, as_version=4).cells
        if c.metadata.get("nbgrader", {}).get("grade")
    ]
    assert points == [3, 2]


def test_is_the_release_free_of_solutions_and_hidden_tests(toy_course):
    """Does the release keep the skeleton and lose every solution line and hidden call?"""
    folder = release_assignment(toy_course, "toy")
    text = (folder / "toy.ipynb").read_text()
    assert "raise NotImplementedError()" in text and "def square(x):" in text
    assert "return x * x" not in text and "grade_group" not in text and "BEGIN" not in text
    assert find_leaks(toy_course, "toy") == []


def test_is_a_planted_leak_found(toy_course):
    """Does the leak check catch a solution line, a hidden-test call and an output in a release?"""
    folder = release_assignment(toy_course, "toy")
    notebook = nbformat.read(folder / "toy.ipynb", as_version=4)
    notebook.cells.append(nbformat.v4.new_code_cell("    self.count += 1\nimport gradelib.nbgrader_bridge"))
    notebook.cells[-1].outputs = [nbformat.v4.new_output("stream", name="stdout", text="hi")]
    nbformat.write(notebook, folder / "toy.ipynb")
    (folder / "test_counter.py").write_text("# copied by mistake")
    problems = "\n".join(find_leaks(toy_course, "toy"))
    assert "self.count += 1" in problems
    assert "nbgrader_bridge" in problems
    assert "has outputs" in problems
    assert "hidden suite was copied" in problems


def test_is_a_group_without_a_grade_cell_refused(toy_course):
    """Is a hidden group that no grade cell calls an error, not silently ungraded?"""
    toy_course.group_file("toy", "extra").write_text(
        "import pytest\n@pytest.mark.points(1)\ndef test_x(submission):\n    '''X.'''\n    submission.square(1)\n"
    )
    with pytest.raises(ReleaseError, match="differ"):
        release_assignment(toy_course, "toy")
