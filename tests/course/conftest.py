"""Fixtures for the course-level tests: every assignment that :meth:`Course.assignments` lists.

A test that takes an ``assignment`` argument runs once per assignment, so a new assignment
(``gradelib new ID`` then ``gradelib release ID``) is tested with no edit here.
"""

from __future__ import annotations

import pytest
from checkout import COURSE, OPTIONS

from gradelib.warm import WarmStart

ASSIGNMENTS = COURSE.assignments()


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Run every test that takes ``assignment`` once per assignment, unless it parametrises ``assignment`` itself."""
    explicit = any(
        "assignment"
        in (marker.args[0].replace(" ", "").split(",") if isinstance(marker.args[0], str) else marker.args[0])
        for marker in metafunc.definition.iter_markers("parametrize")
    )
    if "assignment" in metafunc.fixturenames and not explicit:
        metafunc.parametrize("assignment", ASSIGNMENTS)


@pytest.fixture(scope="session")
def warm():
    """One warm start (gradelib.warm) for the course tests' gradings of every assignment, two at a time: the same
    gradings as cold ones (tests/gradelib/test_warm.py), without two fresh imports of torch and Lightning each."""
    with WarmStart.for_grading(COURSE, OPTIONS, parallel=2) as started:
        yield started
