"""Tests of gradelib.kit: the known-bug records, the margin rule of calibration, the scaffold's templates."""

from __future__ import annotations

import json
import statistics

import nbformat
import pytest

from gradelib.course import Course
from gradelib.kit.calibration import QualityRun, passes, summarise, uncalibrated_record
from gradelib.kit.known_bugs import Bug, BugError, apply_bug, load_bugs, parse_test_id
from gradelib.kit.scaffold import new_assignment
from gradelib.release import grade_cell_groups


def _score(module, *, budget, seed, device):
    return 0.0


def test_is_the_lower_is_better_threshold_the_worst_seed_plus_the_margin():
    """Is the threshold max + max(min_margin, 3 std), and does the worst seed pass it?"""
    values = [1.0, 1.2, 1.1]
    entry = summarise(QualityRun(_score, "lower", "nats", min_margin=0.5), [0, 1, 2], values)
    assert entry["threshold"] == round(1.2 + 0.5, 2) and entry["direction"] == "lower"
    assert all(passes(v, entry) for v in values) and not passes(1.8, entry)


def test_is_the_higher_is_better_threshold_the_mirror():
    """For 'higher is better', is the threshold min - max(min_margin, 3 std)?"""
    values = [0.9, 0.5, 0.7]
    entry = summarise(QualityRun(_score, "higher", "accuracy", min_margin=0.01, std_factor=3.0), [0, 1, 2], values)
    assert entry["threshold"] == round(0.5 - 3 * statistics.stdev(values), 2)
    assert all(passes(v, entry) for v in values) and not passes(entry["threshold"] - 0.1, entry)


def test_is_a_direction_other_than_lower_or_higher_refused():
    with pytest.raises(Exception, match="direction"):
        QualityRun(_score, "smaller")


def test_does_apply_bug_edit_exactly_its_cell(toy_course, tmp_path):
    """Does apply_bug replace the snippet in the named cell, and refuse a snippet that is not there once?"""
    solution = toy_course.solution("toy")
    bug = Bug(name="cube", cell="square", edits=[("return x * x", "return x * x * x")], fails=["arithmetic"],
              message_mentions="16")
    path = apply_bug(solution, bug, tmp_path)
    sources = {cell.metadata.get("nbgrader", {}).get("grade_id"): cell.source for cell in nbformat.read(path, 4).cells}
    assert "return x * x * x" in sources["square"] and bug.groups == ["arithmetic"]
    with pytest.raises(BugError, match="occurs 0 times"):
        apply_bug(solution, Bug(name="x", cell="square", edits=[("nowhere", "")]), tmp_path)
    with pytest.raises(BugError, match="cells with grade_id"):
        apply_bug(solution, Bug(name="y", cell="no_such_cell", edits=[("a", "b")]), tmp_path)
    with pytest.raises(BugError, match="message_mentions"):
        Bug(name="z", cell="square", edits=[("a", "b")], fails=["arithmetic"])
    assert parse_test_id("masked_conv::test_mask[A-3]") == ("masked_conv", "test_mask[A-3]")
    assert load_bugs(toy_course, "toy").bugs == []


def test_does_new_write_a_notebook_whose_grade_cells_call_its_hidden_groups(tmp_path):
    """Does the scaffold's notebook have the four kinds of cells, its grade cells calling the suite's groups?"""
    (tmp_path / "tests" / "hidden").mkdir(parents=True)
    course = Course(tmp_path)
    written = new_assignment(course, "demo")
    assert course.assignments() == ["demo"] and len(written) == 5
    notebook = nbformat.read(course.solution("demo"), as_version=4)
    nbformat.validate(notebook)
    groups = grade_cell_groups(notebook, "demo")
    assert set(groups) == {path.stem.removeprefix("test_") for path in course.hidden_suite("demo").glob("test_*.py")}
    kinds = [cell.metadata.get("nbgrader", {}) for cell in notebook.cells]
    assert any(k.get("solution") for k in kinds) and any(k.get("grade") for k in kinds)
    assert any("public-checks" in cell.metadata.get("tags", []) for cell in notebook.cells)
    assert json.loads(course.calibration("demo").read_text()) == uncalibrated_record("demo")
    assert "__ID__" not in "".join(path.read_text() for path in written)
