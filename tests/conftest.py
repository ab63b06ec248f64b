"""Shared fixtures of the project's own tests (not of the hidden suites, which have their own).

The checkout under test is the ``course`` fixture (built in tests/checkout.py). The folder of this file
is on ``sys.path`` (pytest puts it there to import this conftest), so ``checkout`` and ``toycourse`` import.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from checkout import COURSE
from toycourse import make_toy_course

from gradelib.course import Course

pytest_plugins = ["pytester"]


@pytest.fixture(scope="session")
def course() -> Course:
    """The checkout under test, as a course (its solutions, releases, hidden suites, known bugs)."""
    return COURSE


@pytest.fixture
def toy_course(tmp_path: Path, course: Course) -> Course:
    """A complete toy course (assignment ``toy``) in a temporary folder."""
    return make_toy_course(tmp_path / "course", course)
