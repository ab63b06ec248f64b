"""Make the student release ``assignments/<id>/`` from the source ``solutions/<id>/``, and prove it leaks nothing.

The pipeline, in order:

1. :func:`sync_points`: the points of each grade cell are set from the hidden suite's
   ``@pytest.mark.points`` markers (the one place points are written); every group of the suite
   must have exactly one grade cell and every grade cell a group. Outputs are cleared.
2. :func:`generate_release`: ``nbgrader generate_assignment`` runs in a scratch course directory
   (so no gradebook or log lands in the checkout), and its release replaces ``assignments/<id>/``.
3. :func:`find_leaks`: no solution line, no hidden-test marker or call, no hidden test file and no
   output may be in the release.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from gradelib.course import Course
from gradelib.grader import collect_suite, tool_environment
from gradelib.nbgrader_bridge import GRADE_GROUP_CALL

if TYPE_CHECKING:
    import nbformat

__all__ = [
    "ReleaseError",
    "grade_cell_groups",
    "sync_points",
    "generate_release",
    "find_leaks",
    "release_assignment",
    "fill_in_solutions",
    "FORBIDDEN_IN_RELEASE",
]

#: Text that must never reach a student's notebook.
FORBIDDEN_IN_RELEASE = (
    "BEGIN SOLUTION",
    "END SOLUTION",
    "BEGIN HIDDEN TESTS",
    "END HIDDEN TESTS",
    "nbgrader_bridge",
    "grade_group(",
)
_SOLUTION_REGION = re.compile(r"### BEGIN SOLUTION\n(.*?)### END SOLUTION", re.S)
_MIN_LEAK_LINE_CHARS = 12


class ReleaseError(RuntimeError):
    """The release could not be made, or it would leak solutions or hidden tests."""


def grade_cell_groups(notebook: nbformat.NotebookNode, assignment: str) -> dict[str, nbformat.NotebookNode]:
    """Map each hidden-test group to the grade cell that calls it (raises ReleaseError on a mismatch)."""
    groups: dict[str, nbformat.NotebookNode] = {}
    for cell in notebook.cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if cell.cell_type != "code" or not meta.get("grade") or meta.get("solution"):
            continue
        calls = GRADE_GROUP_CALL.findall(cell.source)
        if len(calls) != 1 or calls[0][0] != assignment:
            raise ReleaseError(
                f"Grade cell {meta.get('grade_id')!r} must call grade_group({assignment!r}, '<group>') exactly once; "
                f"found {calls or 'no call'}."
            )
        group = calls[0][1]
        if group in groups:
            raise ReleaseError(f"Two grade cells grade the group {group!r}: each group needs exactly one.")
        groups[group] = cell
    return groups


def sync_points(course: Course, assignment: str) -> dict[str, float]:
    """Set each grade cell's points to the sum of its group's markers; clear outputs. Returns the points."""
    import nbformat  # imported here: it takes seconds, and `gradelib grade` never needs it

    path = course.solution(assignment)
    notebook = nbformat.read(path, as_version=4)
    suite = collect_suite(assignment, course)
    points: dict[str, float] = {}
    for test in suite.tests:
        points[test.group] = points.get(test.group, 0.0) + test.max_score
    cells = grade_cell_groups(notebook, assignment)
    if set(cells) != set(points):
        raise ReleaseError(
            f"The notebook's grade cells and the hidden suite's groups differ: cells call {sorted(cells)}, "
            f"the suite has {sorted(points)}."
        )
    for group, cell in cells.items():
        value = points[group]
        cell.metadata["nbgrader"]["points"] = int(value) if value.is_integer() else value
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    text = nbformat.writes(notebook) + "\n"
    if path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")
    return points


def generate_release(course: Course, assignment: str, output_root: Path | None = None) -> Path:
    """Run ``nbgrader generate_assignment`` in a scratch course; copy its release to ``output_root/<id>/``.

    Args:
        output_root: where releases go; the course's ``assignments/`` by default.

    Returns:
        The release folder.
    """
    with tempfile.TemporaryDirectory(prefix="gradelib-release-") as scratch:
        scratch = Course(Path(scratch))
        shutil.copytree(course.source_dir(assignment), scratch.source_dir(assignment))
        if course.nbgrader_config.is_file():
            shutil.copy(course.nbgrader_config, scratch.nbgrader_config)
        command = [
            sys.executable, "-m", "nbgrader", "generate_assignment", assignment, "--force",
            f"--CourseDirectory.root={scratch.root}",
            f"--CourseDirectory.source_directory={course.source_dir(assignment).parent.name}",
            f"--CourseDirectory.release_directory={course.release_dir(assignment).parent.name}",
            f"--CourseDirectory.db_url=sqlite:///{scratch.root / 'gradebook.db'}",
        ]
        done = subprocess.run(command, cwd=scratch.root, capture_output=True, text=True, env=tool_environment())
        produced = scratch.release_dir(assignment)
        if done.returncode != 0 or not produced.is_dir():
            raise ReleaseError(f"nbgrader generate_assignment failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
        destination = output_root / assignment if output_root else course.release_dir(assignment)
        if destination.exists():
            shutil.rmtree(destination)
        shutil.copytree(produced, destination)
    return destination


def find_leaks(course: Course, assignment: str, release_folder: Path | None = None) -> list[str]:
    """Everything in a release that a student must not see; an empty list for a clean release."""
    import nbformat  # imported here: it takes seconds, and `gradelib grade` never needs it

    release_folder = release_folder or course.release_dir(assignment)
    problems: list[str] = []
    hidden = course.hidden_suite(assignment)
    hidden_names = {path.name for path in hidden.rglob("*") if path.is_file()}
    hidden_lines = _code_lines(path.read_text(encoding="utf-8") for path in hidden.rglob("*.py"))
    source = nbformat.read(course.solution(assignment), as_version=4)
    solution_lines, shared_lines = set(), set()
    for cell in source.cells:
        regions = _SOLUTION_REGION.findall(cell.source)
        solution_lines |= _code_lines(regions)
        shared_lines |= _code_lines([_SOLUTION_REGION.sub("", cell.source)])
    secret_lines = (solution_lines | hidden_lines) - shared_lines
    for path in sorted(release_folder.rglob("*")):
        if not path.is_file():
            continue
        relative = path.relative_to(release_folder)
        if path.name in hidden_names:
            problems.append(f"{relative}: a file of the hidden suite was copied into the release")
        if path.suffix != ".ipynb":
            continue
        notebook = nbformat.read(path, as_version=4)
        for number, cell in enumerate(notebook.cells, start=1):
            for marker in FORBIDDEN_IN_RELEASE:
                if marker in cell.source:
                    problems.append(f"{relative} cell {number}: contains {marker!r}")
            for line in _code_lines([cell.source]) & secret_lines:
                problems.append(f"{relative} cell {number}: solution or hidden-test line {line!r}")
            if cell.cell_type == "code" and (cell.get("outputs") or cell.get("execution_count")):
                problems.append(f"{relative} cell {number}: has outputs")
    return problems


def release_assignment(course: Course, assignment: str, output_root: Path | None = None) -> Path:
    """The whole pipeline: sync points, generate the release, and refuse it if it leaks."""
    if not course.solution(assignment).is_file():
        raise ReleaseError(f"No source notebook {course.solution(assignment)}")
    sync_points(course, assignment)
    folder = generate_release(course, assignment, output_root)
    problems = find_leaks(course, assignment, folder)
    if problems:
        raise ReleaseError("The release would leak:\n" + "\n".join(problems))
    return folder


def fill_in_solutions(course: Course, assignment: str, destination: Path) -> Path:
    """Write the release notebook with every solution cell filled in as a student would (no markers).

    This is a perfect student's submission: the release's cells and metadata, the source's code.
    """
    import nbformat  # imported here: it takes seconds, and `gradelib grade` never needs it

    source = nbformat.read(course.solution(assignment), as_version=4)
    release = nbformat.read(course.release(assignment), as_version=4)
    answers = {
        cell.metadata["nbgrader"]["grade_id"]: cell.source
        for cell in source.cells
        if cell.get("metadata", {}).get("nbgrader", {}).get("solution")
    }
    for cell in release.cells:
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if grade_id in answers:
            cell.source = re.sub(r"[ \t]*### (BEGIN|END) SOLUTION\n", "", answers[grade_id])
    destination.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(release, destination)
    return destination


def _code_lines(texts) -> set[str]:
    """Stripped, non-trivial code lines (no comments, markers or short lines) of some texts."""
    lines = set()
    for text in texts:
        for line in text.splitlines():
            stripped = line.strip()
            if (
                len(stripped) >= _MIN_LEAK_LINE_CHARS
                and not stripped.startswith("#")
                and not stripped.startswith(("import ", "from "))
            ):
                lines.add(stripped)
    return lines
