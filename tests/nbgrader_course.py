"""Run nbgrader's own commands on a course directory, as an instructor would, and read the gradebook."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from gradelib.grading import tool_environment


def nbgrader(course: Path, *args: str, env_extra: dict | None = None, timeout: float = 1200) -> subprocess.CompletedProcess:
    env = tool_environment()
    env.update(env_extra or {})
    done = subprocess.run(
        [sys.executable, "-m", "nbgrader", *args], cwd=course, capture_output=True, text=True, env=env, timeout=timeout
    )
    if done.returncode != 0:
        raise AssertionError(f"nbgrader {' '.join(args)} failed:\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}")
    return done


def autograde(course: Path, assignment: str, submissions: dict[str, Path], env_extra: dict | None = None) -> dict[str, dict[str, float]]:
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


def copy_course(repo_root: Path, destination: Path, assignment: str) -> Path:
    """A scratch course directory holding one assignment's source, hidden suite and the config."""
    shutil.copytree(repo_root / "solutions" / assignment, destination / "solutions" / assignment)
    shutil.copytree(repo_root / "tests" / "hidden" / assignment, destination / "tests" / "hidden" / assignment,
                    ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(repo_root / "nbgrader_config.py", destination / "nbgrader_config.py")
    return destination
