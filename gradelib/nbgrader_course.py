"""Run nbgrader's own commands on a course directory, as an instructor would, and read the gradebook.

Used by the project's tests (the nbgrader door must give the same score as the others) and by
``scripts/benchmark_grading.py``::

    course = copy_course(Course.find(), Path("/tmp/course"), "autoregressive")
    scores = autograde(course, "autoregressive", {"alice": Path("alice.ipynb")})
    scores["alice"]["total"]
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from gradelib.course import Course
from gradelib.grader import tool_environment

__all__ = ["NbgraderError", "nbgrader", "autograde", "copy_course"]


class NbgraderError(RuntimeError):
    """An nbgrader command failed."""


def nbgrader(
    course: Path, *args: str, env_extra: dict | None = None, timeout: float = 1200
) -> subprocess.CompletedProcess:
    """Run ``nbgrader ARGS`` in the course directory with this interpreter; raise NbgraderError if it fails."""
    env = tool_environment()
    env.update(env_extra or {})
    done = subprocess.run(
        [sys.executable, "-m", "nbgrader", *args], cwd=course, capture_output=True, text=True, env=env, timeout=timeout
    )
    if done.returncode != 0:
        raise NbgraderError(f"nbgrader {' '.join(args)} failed:\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}")
    return done


def autograde(
    course: Path, assignment: str, submissions: dict[str, Path], env_extra: dict | None = None
) -> dict[str, dict[str, float]]:
    """Autograde notebooks with nbgrader; returns {student: {grade_id: score, "total": score}}."""
    nbgrader(course, "generate_assignment", assignment, "--force", env_extra=env_extra)
    for student, notebook in submissions.items():
        folder = course / "submitted" / student / assignment
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copy(notebook, folder / f"{assignment}.ipynb")
    nbgrader(course, "autograde", assignment, "--force", env_extra=env_extra)
    from nbgrader.api import Gradebook

    scores = {}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        for student in submissions:
            submission = gradebook.find_submission(assignment, student)
            grades = {grade.name: grade.score for notebook in submission.notebooks for grade in notebook.grades}
            grades["total"] = submission.score
            scores[student] = grades
    return scores


def copy_course(course: Course, destination: Path, assignment: str) -> Path:
    """A scratch course directory holding one assignment's source, hidden suite and the config; returns its root."""
    copy = Course(destination)
    shutil.copytree(course.source_dir(assignment), copy.source_dir(assignment))
    shutil.copytree(course.hidden_suite(assignment), copy.hidden_suite(assignment),
                    ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(course.nbgrader_config, copy.nbgrader_config)
    return destination
