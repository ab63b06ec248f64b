"""Forged results: rewrite results.json found in argv, then os._exit.

Attack: the hidden suite's results path is in the grading process's own argv
(``--gradelib-results PATH``); the recorder has already written every collected test there as
"not run". Mark every test passed with full points, then ``os._exit(0)`` so that the recorder
never writes again.
Old grader: see BASELINE.md (expected: full marks, 62/62).
"""
EXPECT = {"max_score": 0, "doors": ["grade", "grade_all", "nbgrader"], "place": "end", "leaves_no_trace": []}

import json as _json
import os as _os
import sys as _sys


def _forge(path, points=None):
    data = _json.load(open(path))
    for test in data.get("tests", []):
        test["score"] = test["max_score"] if points is None else points
        test["status"], test["output"] = "passed", ""
    data["score"] = sum(t["score"] for t in data.get("tests", []))
    with open(path, "w") as stream:
        _json.dump(data, stream)


if "--gradelib-results" in _sys.argv:
    _forge(_sys.argv[_sys.argv.index("--gradelib-results") + 1])
    _os._exit(0)
