"""The nbgrader door: a preprocessor in ``nbgrader autograde``'s pipeline that grades outside the kernel.

nbgrader runs a submitted notebook in a kernel (its ``Execute`` preprocessor) and then scores each
grade cell from that cell's outputs. Anything the student's code does in that kernel can reach
those outputs, so gradelib never lets them count. :class:`GradelibAutograde` runs after
``Execute`` and ``LimitOutput`` and before ``SaveAutoGrades`` (see ``nbgrader_config.py``):

1. it writes the notebook as nbgrader holds it (the student's cells, the locked cells restored
   from the gradebook) to a private temporary file, and grades it once with
   :func:`gradelib.grader.grade_notebook`, in the nbgrader process, exactly as ``gradelib grade``
   does (the student's code runs in a submission process of its own, never here);
2. it replaces the outputs of every grade cell with the result of that cell's group of hidden
   tests: one stdout listing (``[pass]``/``[FAIL]``, title, points, the student-facing message), the
   pictures the tests drew (each a stdout line naming it and an ``image/png`` display, which the
   feedback page shows; :mod:`gradelib.pictures`) and an ``execute_result`` holding the group's score,
   which ``nbgrader.utils.determine_grade`` takes as the cell's partial credit. Whatever the kernel
   printed, displayed or raised there is dropped.

A grade cell's group is read from the gradebook's copy of the cell (the locked source, with its
``grade_group("<id>", "<group>")`` call), never from the submitted notebook. A grade cell that the
gradebook does not know (a student-made or duplicated cell) gets 0 and says why.

Settings: ``GRADELIB_DEVICE``, ``GRADELIB_BUDGET``, ``GRADELIB_TIMEOUT`` (seconds for the whole
suite); the course is nbgrader's course directory (``CourseDirectory.root``), or found as gradelib
finds it.
"""

from __future__ import annotations

import atexit
import base64
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path

import nbformat
from nbformat.notebooknode import NotebookNode
from nbgrader.api import Gradebook, MissingEntry
from nbgrader.coursedir import CourseDirectory
from nbgrader.preprocessors import NbGraderPreprocessor

from gradelib.course import Course
from gradelib.grader import GradingOptions, grade_notebook
from gradelib.nbgrader_bridge import GRADE_GROUP_CALL
from gradelib.results import GradeReport, TestResult
from gradelib.settings import (
    BUDGETS,
    DEFAULT_BUDGET,
    DEFAULT_CELL_TIMEOUT,
    DEFAULT_DEVICE,
    DEFAULT_TEST_TIMEOUT,
    DEFAULT_TIMEOUT,
    DEVICES,
    ENV_BUDGET,
    ENV_DEVICE,
    ENV_TIMEOUT,
)
from gradelib.warm import WarmStart

__all__ = [
    "GradelibAutograde",
    "options_from_environment",
    "grade_cell_outputs",
    "unknown_cell_outputs",
    "picture_outputs",
    "PASS_MARK",
    "FAIL_MARK",
]

PASS_MARK = "[pass]"
FAIL_MARK = "[FAIL]"


class GradelibAutograde(NbGraderPreprocessor):
    """Grade the notebook with gradelib and write each grade cell's result as its only output."""

    def preprocess(self, nb: NotebookNode, resources: dict) -> tuple[NotebookNode, dict]:
        info = resources["nbgrader"]
        assignment, notebook_id = info["assignment"], info["notebook"]
        groups = self._groups_of_grade_cells(info["db_url"], notebook_id, assignment)
        course = Course.find(CourseDirectory(config=self.config).root)
        options = options_from_environment()
        self.log.info("gradelib: grading %s (%s) with the hidden suite of %r", notebook_id, info.get("student"),
                      assignment)
        report = grade_submitted(nb, notebook_id, assignment, options, course, warm=_warm_start(course, options))
        self.log.info("gradelib: %s scored %g / %g in %.1f s", notebook_id, report.score, report.max_score,
                      report.execution_time)
        for cell in nb.cells:
            meta = cell.get("metadata", {}).get("nbgrader", {})
            if cell.cell_type != "code" or not meta.get("grade") or meta.get("solution") or not meta.get("grade_id"):
                continue
            points = float(meta.get("points", 0))
            group = groups.get(meta["grade_id"])
            if group is None:
                self.log.warning("gradelib: grade cell %r is not a grade cell of the assignment: 0 points",
                                 meta["grade_id"])
                cell.outputs = unknown_cell_outputs(meta["grade_id"])
                continue
            results = report.group_results(group)
            if sum(test.max_score for test in results) != points:
                self.log.warning("gradelib: grade cell %r is worth %g points but group %r of the suite %g; "
                                 "run `gradelib release %s`", meta["grade_id"], points, group,
                                 sum(test.max_score for test in results), assignment)
            cell.outputs = grade_cell_outputs(group, results, points)
        return nb, resources

    @staticmethod
    def _groups_of_grade_cells(db_url: str, notebook_id: str, assignment: str) -> dict[str, str]:
        """{grade_id: group} for the grade cells in the gradebook, from their locked source (trusted)."""
        groups: dict[str, str] = {}
        with Gradebook(db_url) as gradebook:
            try:
                notebook = gradebook.find_notebook(notebook_id, assignment)
            except MissingEntry:
                return groups
            for grade_cell in notebook.grade_cells:
                if grade_cell.cell_type != "code":
                    continue
                try:
                    source = gradebook.find_source_cell(grade_cell.name, notebook_id, assignment).source
                except MissingEntry:
                    continue
                calls = GRADE_GROUP_CALL.findall(source)
                if len(calls) == 1 and calls[0][0] == assignment:
                    groups[grade_cell.name] = calls[0][1]
        return groups


def grade_submitted(nb: NotebookNode, notebook_id: str, assignment: str, options: GradingOptions,
                    course: Course, warm: WarmStart | None = None) -> GradeReport:
    """Grade an in-memory notebook once: write it to a private temporary folder and grade that file.

    Grade cells keep their metadata (the loader skips them, and cell numbers in messages stay the
    student's) but lose their source: the hidden calls never reach the submission process.
    """
    copy = nbformat.from_dict(nb)
    for cell in copy.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
            meta = cell.get("metadata", {}).get("nbgrader", {})
            if meta.get("grade") and not meta.get("solution"):
                cell.source = ""
    with tempfile.TemporaryDirectory(prefix="gradelib-nbgrader-") as scratch:
        path = Path(scratch) / f"{notebook_id}.ipynb"
        nbformat.write(copy, path)
        return grade_notebook(path, assignment, options, course=course, warm=warm)


_warm_starts: dict[tuple, WarmStart] = {}


def _warm_start(course: Course, options: GradingOptions) -> WarmStart:
    """One warm start per course and options for the whole ``nbgrader autograde`` run (it grades one notebook after
    another in this process), ended when the process ends."""
    key = (str(course.root), options)
    if key not in _warm_starts:
        warm = WarmStart.for_grading(course, options)
        warm.start()
        atexit.register(warm.close)
        _warm_starts[key] = warm
    return _warm_starts[key]


def options_from_environment(environ: Mapping[str, str] = os.environ) -> GradingOptions:
    """Grading options from ``GRADELIB_DEVICE``, ``GRADELIB_BUDGET`` and ``GRADELIB_TIMEOUT``.

    Raises:
        ValueError: a value is not one gradelib knows (an instructor's set-up error, not a student's).
    """
    device = environ.get(ENV_DEVICE) or DEFAULT_DEVICE
    budget = environ.get(ENV_BUDGET) or DEFAULT_BUDGET
    if device not in DEVICES:
        raise ValueError(f"{ENV_DEVICE}={device!r}: expected one of {', '.join(DEVICES)}")
    if budget not in BUDGETS:
        raise ValueError(f"{ENV_BUDGET}={budget!r}: expected one of {', '.join(BUDGETS)}")
    try:
        timeout = float(environ.get(ENV_TIMEOUT) or DEFAULT_TIMEOUT)
    except ValueError:
        raise ValueError(f"{ENV_TIMEOUT}={environ.get(ENV_TIMEOUT)!r}: expected seconds, e.g. 600") from None
    return GradingOptions(device=device, budget=budget, timeout=timeout,
                          test_timeout=DEFAULT_TEST_TIMEOUT, cell_timeout=DEFAULT_CELL_TIMEOUT)


def grade_cell_outputs(group: str, results: list[TestResult], points: float) -> list[NotebookNode]:
    """A grade cell's outputs: the group's tests on stdout, then its score (at most ``points``) as the result."""
    lines = []
    for test in results:
        lines.append(f"{PASS_MARK if test.passed else FAIL_MARK} {test.name} ({test.score:g}/{test.max_score:g})")
        if not test.passed and test.output:
            lines.append("       " + test.output.replace("\n", "\n       "))
    if not results:
        lines.append(f"No hidden tests were found for group {group!r}: please tell your instructor "
                     "(course set-up problem).")
    score = min(sum(test.score for test in results), points)
    lines.append(f"Score for this part: {score:g} / {points:g}")
    return [_stdout("\n".join(lines) + "\n"), *picture_outputs(results), _score(score)]


def picture_outputs(results: list[TestResult]) -> list[NotebookNode]:
    """The pictures of a group's tests as notebook outputs: for each, a stdout line (its caption) and an
    ``image/png`` display (never stderr, which nbgrader would take for an error, and before the score)."""
    outputs = []
    for test in results:
        for picture in test.pictures:
            outputs.append(_stdout(f"Picture: {picture.caption or picture.name}\n"))
            outputs.append(nbformat.v4.new_output(
                "display_data", data={"image/png": base64.b64encode(picture.png).decode("ascii"),
                                      "text/plain": f"<picture: {picture.name}>"},
                metadata={"image/png": {"alt": picture.caption or picture.name}}))
    return outputs


def unknown_cell_outputs(grade_id: str) -> list[NotebookNode]:
    """The outputs of a grade cell that the assignment does not have: 0 points, and why."""
    text = (f"This cell ({grade_id!r}) is marked as a grade cell but is not one of the assignment's: "
            "it earns no points. Tests run only in the grade cells your instructor released.\n")
    return [_stdout(text), _score(0)]


def _stdout(text: str) -> NotebookNode:
    return nbformat.v4.new_output("stream", name="stdout", text=text)


def _score(score: float) -> NotebookNode:
    value = int(score) if float(score).is_integer() else float(score)
    return nbformat.v4.new_output("execute_result", data={"text/plain": repr(value)}, execution_count=None)
