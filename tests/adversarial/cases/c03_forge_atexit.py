"""Forged results: rewrite results.json from an atexit handler.

Attack: let pytest finish normally (the recorder writes its last, honest file at session
finish), and rewrite the file with full marks in an ``atexit`` handler, which runs after that.
Old grader: see BASELINE.md (expected: full marks).
"""
EXPECT = {"max_score": 0, "doors": ["grade", "grade_all", "nbgrader"], "place": "end", "leaves_no_trace": []}

import atexit as _atexit
import json as _json
import sys as _sys


def _forge_at_exit(path):
    try:
        data = _json.load(open(path))
    except (OSError, ValueError):
        return
    for test in data.get("tests", []):
        test["score"], test["status"], test["output"] = test["max_score"], "passed", ""
    with open(path, "w") as stream:
        _json.dump(data, stream)


if "--gradelib-results" in _sys.argv and not getattr(_sys, "_adv_atexit", False):
    _sys._adv_atexit = True  # the notebook is loaded once per test: register once
    _atexit.register(_forge_at_exit, _sys.argv[_sys.argv.index("--gradelib-results") + 1])
