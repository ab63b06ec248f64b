"""A new assignment from templates (``gradelib new ID``): everything the course's generic tests need.

Writes, from the templates in ``gradelib/kit/templates/`` (``__ID__`` and ``__TITLE__`` filled in):

- ``solutions/<id>/<id>.ipynb``: the source notebook, one worked part: teaching markdown, a solution cell
  (``### BEGIN SOLUTION`` inside a function, so the released stub still runs), a locked ``public-checks``
  cell, and a grade cell whose hidden region calls ``gradelib.nbgrader_bridge.grade_group(<id>, <group>)``;
- ``tests/hidden/<id>/test_log_prob.py``: the example group of hidden tests (points marker, docstring,
  CheckFailure message);
- ``tests/hidden/<id>/quality.py``: the quality runs (gradelib.kit.calibration's convention);
- ``tests/hidden/<id>/calibration.json``: an uncalibrated record;
- ``tests/known_bugs/<id>/bugs.py``: empty ``BUGS`` and ``CORRECT_VARIANTS``.

Then ``gradelib release <id>`` makes ``assignments/<id>/``, and the project's tests in tests/course/ grade
the new assignment with no edit (the solution gets full marks, the release zero).
"""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

from gradelib.kit.calibration import uncalibrated_record, write_calibration

__all__ = ["ScaffoldError", "ASSIGNMENT_ID", "new_assignment"]

#: An assignment id: a Python identifier in lower case (it names files, modules and nbgrader folders).
ASSIGNMENT_ID = re.compile(r"^[a-z][a-z0-9_]*$")


class ScaffoldError(ValueError):
    """The id is not valid, or the assignment exists already."""


def _template(name: str, assignment: str) -> str:
    text = resources.files("gradelib.kit").joinpath("templates", name).read_text(encoding="utf-8")
    return text.replace("__TITLE__", assignment.replace("_", " ").capitalize()).replace("__ID__", assignment)


def new_assignment(course, assignment: str) -> list[Path]:
    """Write a new assignment's files into a :class:`gradelib.course.Course`; return them.

    Raises:
        ScaffoldError: ``assignment`` is not a lower-case identifier, or one of its folders exists already.
    """
    if not ASSIGNMENT_ID.match(assignment):
        raise ScaffoldError(
            f"{assignment!r} is not a valid assignment id: use lower-case letters, digits and _, e.g. style_transfer"
        )
    folders = [course.source_dir(assignment), course.hidden_suite(assignment), course.known_bugs(assignment)]
    existing = [str(folder.relative_to(course.root)) for folder in folders if folder.exists()]
    if existing:
        raise ScaffoldError(f"{assignment} exists already ({', '.join(existing)}): nothing written")
    files = {
        course.solution(assignment): _template("notebook.ipynb.tmpl", assignment),
        course.group_file(assignment, "log_prob"): _template("test_log_prob.py.tmpl", assignment),
        course.hidden_suite(assignment) / "quality.py": _template("quality.py.tmpl", assignment),
        course.known_bugs(assignment) / "bugs.py": _template("bugs.py.tmpl", assignment),
    }
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    write_calibration(course.calibration(assignment), uncalibrated_record(assignment))
    return [*files, course.calibration(assignment)]
