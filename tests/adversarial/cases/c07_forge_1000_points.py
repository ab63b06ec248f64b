"""Forged results: 1000 points per test, plus tests that were never collected.

Attack: rewrite results.json (path from argv) so that every test is worth and earns 1000 points,
and add 50 invented tests of 1000 points each; then os._exit(0). A parent that trusts the file's
numbers reports 84,000 points.
Old grader: see BASELINE.md.
"""
EXPECT = {"max_score": 0, "doors": ["grade", "grade_all", "nbgrader"], "place": "end", "leaves_no_trace": []}

import json as _json
import os as _os
import sys as _sys

if "--gradelib-results" in _sys.argv:
    _path = _sys.argv[_sys.argv.index("--gradelib-results") + 1]
    _data = _json.load(open(_path))
    for _t in _data["tests"]:
        _t.update(score=1000.0, max_score=1000.0, status="passed", output="")
    for _i in range(50):
        _data["tests"].append({"name": f"bonus {_i}", "score": 1000.0, "max_score": 1000.0, "status": "passed",
                               "output": "", "group": "nade", "nodeid": f"tests/hidden/x.py::test_bonus_{_i}"})
    _data["score"] = _data["max_score"] = 1000.0 * len(_data["tests"])
    with open(_path, "w") as _s:
        _json.dump(_data, _s)
    _os._exit(0)
