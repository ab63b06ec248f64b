"""Containment: an infinite loop at load that survives the cell's time limit.

Attack: loop forever at top level, catching every exception (so a time limit delivered as an
exception, e.g. SIGALRM raising in the cell, does not end it). Only a hard kill from outside ends
the grading. DAMAGE BOUND: the loop gives up after 300 s.
Old grader: see BASELINE.md (expected: 0, after the whole --timeout).
"""
EXPECT = {"max_score": 0, "doors": ["grade", "grade_all", "nbgrader"], "place": "end", "leaves_no_trace": [],
          "slow": True}

import time as _time

_deadline = _time.monotonic() + 300
while _time.monotonic() < _deadline:
    try:
        while _time.monotonic() < _deadline:
            pass
    except BaseException:  # noqa: BLE001
        pass
