"""Fixtures for the course-level tests: every assignment that :meth:`Course.assignments` lists.

A test that takes an ``assignment`` argument runs once per assignment, so a new assignment
(``gradelib new ID`` then ``gradelib release ID``) is tested with no edit here.
"""

from __future__ import annotations

import pytest
from checkout import COURSE

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
