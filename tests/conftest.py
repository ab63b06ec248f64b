"""Shared fixtures of the project's own tests (not of the hidden suites, which have their own)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))  # for the helper module toycourse

from toycourse import REPO_ROOT, make_toy_course  # noqa: E402

pytest_plugins = ["pytester"]


@pytest.fixture
def toy_course(tmp_path: Path) -> Path:
    """A complete toy course (assignment ``toy``) in a temporary folder."""
    return make_toy_course(tmp_path / "course")


@pytest.fixture(scope="session")
def repo_root() -> Path:
    """The checkout under test."""
    return REPO_ROOT
