"""Fixtures for the course-level tests: every assignment that has a source notebook and a hidden suite."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
ASSIGNMENTS = sorted(
    path.name
    for path in (REPO_ROOT / "solutions").iterdir()
    if path.is_dir() and (REPO_ROOT / "tests" / "hidden" / path.name).is_dir()
)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "assignment" in metafunc.fixturenames:
        metafunc.parametrize("assignment", ASSIGNMENTS)
