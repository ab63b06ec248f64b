"""The bridge between an nbgrader grade cell and the hidden pytest suite.

Each grade cell of a source notebook ends, inside ``### BEGIN HIDDEN TESTS``, with::

    import gradelib.nbgrader_bridge
    gradelib.nbgrader_bridge.grade_group("autoregressive", "nade")

During ``nbgrader autograde`` that call grades the notebook on disk (the autograded copy in the
kernel's working directory) with :func:`gradelib.grader.grade_notebook`, the very function
behind ``gradelib grade``, so both doors give the same score. The whole suite runs once per
notebook; the other grade cells read the cached report. The call:

- prints one line per test of its group, with the student-facing message of each failure
  (never hidden test code or tracebacks);
- writes nothing to stderr, since nbgrader gives 0 to a test cell with any stderr output
  (warnings from PyTorch or Lightning included);
- returns the group's score as a number, which nbgrader takes as the cell's partial credit.

Settings come from the environment: ``GRADELIB_DEVICE``, ``GRADELIB_BUDGET``, ``GRADELIB_TIMEOUT``
(seconds for the whole suite), ``GRADELIB_NOTEBOOK`` (path of the notebook to grade),
``GRADELIB_COURSE_ROOT`` and ``GRADELIB_BRIDGE_CACHE`` (folder of cached reports; by default
``gradelib-bridge`` in the system's temporary folder).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import tempfile
import warnings
from dataclasses import asdict
from pathlib import Path

from gradelib import settings
from gradelib.course import Course
from gradelib.grader import GradingOptions, grade_notebook
from gradelib.loader import NotebookFormatError, read_code_cells
from gradelib.results import GradeReport

__all__ = ["grade_group", "options_from_environment", "find_notebook", "ENV_NOTEBOOK", "ENV_BRIDGE_CACHE"]

#: The notebook to grade, when it is not ``<assignment>.ipynb`` in the kernel's working directory.
ENV_NOTEBOOK = "GRADELIB_NOTEBOOK"
#: Folder of cached reports (default: ``gradelib-bridge`` in the system's temporary folder).
ENV_BRIDGE_CACHE = "GRADELIB_BRIDGE_CACHE"

PASS_MARK = "[pass]"
FAIL_MARK = "[FAIL]"


def grade_group(assignment: str, group: str, *, notebook: str | os.PathLike | None = None) -> float:
    """Grade one group of hidden tests for the notebook being autograded; return its score.

    Args:
        assignment: the assignment id, e.g. ``autoregressive``.
        group: the group, i.e. the hidden test file ``test_<group>.py``.
        notebook: the notebook to grade; by default found with :func:`find_notebook`.

    Returns:
        Points earned in this group (an int when whole), for nbgrader's partial credit.
    """
    stderr = io.StringIO()
    with warnings.catch_warnings(), contextlib.redirect_stderr(stderr):
        warnings.simplefilter("ignore")
        report = _suite_report(assignment, Path(notebook) if notebook else find_notebook(assignment))
    results = report.group_results(group)
    if not results:
        print(f"No hidden tests were found for group {group!r}: please tell your instructor (course set-up problem).")
        return 0
    for test in results:
        mark = PASS_MARK if test.passed else FAIL_MARK
        print(f"{mark} {test.name} ({test.score:g}/{test.max_score:g})")
        if not test.passed and test.output:
            print("       " + test.output.replace("\n", "\n       "))
    score = sum(test.score for test in results)
    print(f"Score for this part: {score:g} / {sum(test.max_score for test in results):g}")
    return int(score) if float(score).is_integer() else float(score)


def options_from_environment() -> GradingOptions:
    """Grading options from ``GRADELIB_DEVICE``, ``GRADELIB_BUDGET`` and ``GRADELIB_TIMEOUT`` (names and
    defaults in :mod:`gradelib.settings`)."""
    return GradingOptions(
        device=os.environ.get(settings.ENV_DEVICE, settings.DEFAULT_DEVICE),
        budget=os.environ.get(settings.ENV_BUDGET, settings.DEFAULT_BUDGET),
        timeout=float(os.environ.get(settings.ENV_TIMEOUT, settings.DEFAULT_TIMEOUT)),
    )


def find_notebook(assignment: str, folder: Path | None = None) -> Path:
    """The notebook being autograded: ``$GRADELIB_NOTEBOOK``, else ``<assignment>.ipynb`` or the
    only notebook in the working directory (nbgrader runs the kernel in the notebook's folder)."""
    if os.environ.get(ENV_NOTEBOOK):
        return Path(os.environ[ENV_NOTEBOOK])
    folder = folder or Path.cwd()
    named = folder / f"{assignment}.ipynb"
    if named.is_file():
        return named
    notebooks = sorted(folder.glob("*.ipynb"))
    if len(notebooks) == 1:
        return notebooks[0]
    raise FileNotFoundError(
        f"Cannot tell which notebook to grade in {folder}: expected {named.name}; set {ENV_NOTEBOOK}."
    )


def _suite_report(assignment: str, notebook: Path) -> GradeReport:
    """Grade the notebook with the whole suite once; later calls with the same code reuse the report."""
    course = Course.find(notebook.resolve().parent)
    options = options_from_environment()
    cache = _cache_path(course, assignment, notebook, options)
    if cache.is_file():
        return GradeReport.read(cache)
    report = grade_notebook(notebook, assignment, options, course=course)
    report.write(cache)
    return report


def _cache_path(course: Course, assignment: str, notebook: Path, options: GradingOptions) -> Path:
    """A cache file named by everything the report depends on: the student's code, the suite, the options."""
    digest = hashlib.sha256()
    try:
        code = [cell.source for cell in read_code_cells(notebook)]
    except (NotebookFormatError, OSError):
        code = [notebook.read_bytes().hex() if notebook.is_file() else str(notebook)]
    digest.update(json.dumps([assignment, code, asdict(options)]).encode())
    suite = course.hidden_suite(course.require(assignment))
    for path in sorted(suite.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(path.name.encode() + path.read_bytes())
    solution = course.solution(assignment)
    if solution.is_file():
        digest.update(solution.read_bytes())
    folder = Path(os.environ.get(ENV_BRIDGE_CACHE) or Path(tempfile.gettempdir()) / "gradelib-bridge")
    return folder / f"{digest.hexdigest()[:32]}.json"
