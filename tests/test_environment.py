"""Tests of the set-up files: do pyproject.toml, environment.yml and the CI script agree?"""

from __future__ import annotations

import re

import tomllib
import yaml


def test_do_pyproject_and_environment_yml_list_the_same_dependencies(course):
    """Is every dependency of pyproject.toml (test extras included) in environment.yml, and nothing else?"""
    project = tomllib.loads((course.root / "pyproject.toml").read_text())["project"]
    expected = set(project["dependencies"]) | {
        req for group in project["optional-dependencies"].values() for req in group
    }
    environment = yaml.safe_load((course.root / "environment.yml").read_text())
    pip_section = next(item["pip"] for item in environment["dependencies"] if isinstance(item, dict))
    listed = {req for req in pip_section if not req.startswith("-e")}
    assert listed == expected, f"only in pyproject: {expected - listed}; only in environment.yml: {listed - expected}"


def test_does_ci_run_the_readme_test_command(course):
    """Does .ci/run run exactly the test command that the README gives?"""
    readme = (course.root / "README.md").read_text()
    ci = (course.root / ".ci" / "run").read_text()
    command = re.search(r"^source \.ci/env\.sh && .*python -m pytest.*$", ci, re.M).group(0)
    assert command in readme


def test_is_the_gradelib_command_installed(course):
    """Is the console script and pytest11 entry point declared?"""
    project = tomllib.loads((course.root / "pyproject.toml").read_text())["project"]
    assert project["scripts"]["gradelib"] == "gradelib.cli.main:main"
    assert project["entry-points"]["pytest11"]["gradelib"] == "gradelib.pytest_plugin"
