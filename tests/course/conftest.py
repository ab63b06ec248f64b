"""Fixtures for the course-level tests: every assignment that has a source notebook and a hidden suite."""

from __future__ import annotations

import pytest
from checkout import COURSE


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "assignment" in metafunc.fixturenames:
        metafunc.parametrize("assignment", COURSE.assignments())
