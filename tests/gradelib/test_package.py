"""Tests of the package as a whole."""

from __future__ import annotations

import importlib
import pkgutil

import gradelib


def test_is_grading_still_a_function_after_every_submodule_is_imported():
    """Does no submodule shadow gradelib.grading(), which every notebook's guard calls?"""
    for module in pkgutil.walk_packages(gradelib.__path__, prefix="gradelib."):
        importlib.import_module(module.name)
    assert callable(gradelib.grading)
    assert gradelib.grading() in (True, False)
