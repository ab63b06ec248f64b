"""Shared fixtures of the project's own tests (not of the hidden suites, which have their own).

The checkout under test is the ``course`` fixture (built in tests/checkout.py). The folder of this file
is on ``sys.path`` (pytest puts it there to import this conftest), so ``checkout`` and ``toycourse`` import.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from checkout import COURSE
from scheduling import pytest_xdist_make_scheduler  # noqa: F401 - a hook: modules sharing a fixture go whole to one worker
from toycourse import make_toy_course

from gradelib.course import Course

pytest_plugins = ["pytester"]

# What one pytest-xdist worker holds at its peak: a warm fork server, its spare submission processes and a grading
# (a quality run of the hidden suite at the quick budget stays under 2.5 GiB; see README "Measured").
GIB_PER_TEST_WORKER = 4


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """``-n auto``: one worker per core this process may use, but no more than the memory holds."""
    cores = len(os.sched_getaffinity(0))
    memory_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return max(1, min(cores, int(memory_gib // GIB_PER_TEST_WORKER)))


@pytest.fixture(scope="session")
def course() -> Course:
    """The checkout under test, as a course (its solutions, releases, hidden suites, known bugs)."""
    return COURSE


@pytest.fixture
def toy_course(tmp_path: Path, course: Course) -> Course:
    """A complete toy course (assignment ``toy``) in a temporary folder."""
    return make_toy_course(tmp_path / "course", course)
