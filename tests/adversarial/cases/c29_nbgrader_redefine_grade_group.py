"""The nbgrader door: redefine gradelib.nbgrader_bridge.grade_group in the kernel.

Attack: nbgrader runs the student's cells and the grade cells in the same kernel; a cell placed
before the first grade cell replaces ``grade_group`` (in the module and in sys.modules) with one
that prints a passing report and returns a string: nbgrader gives full credit to a grade cell whose
result cannot be read as a number (and to one with no result at all); a number above the cell's
points would make nbgrader raise instead.
Old grader: see BASELINE.md (expected: full marks through nbgrader; no effect through the others).
"""
EXPECT = {"max_score": 0, "doors": ["grade", "grade_all", "nbgrader"], "place": "early", "leaves_no_trace": []}

import sys as _sys

import gradelib.nbgrader_bridge as _bridge


def grade_group(assignment, group, *, notebook=None):
    print(f"[pass] every test of {group}")
    return "all passed"


_bridge.grade_group = grade_group
_sys.modules["gradelib.nbgrader_bridge"].grade_group = grade_group
