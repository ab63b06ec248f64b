"""Batches: kill grade-all itself (an ancestor), then the own process group.

Attack: walk up the ancestors; SIGKILL the one whose command line runs ``grade-all`` (one
notebook stops the whole class's batch: the CSV is left incomplete), then SIGKILL the own process
group. DAMAGE BOUND: only an ancestor whose command line mentions gradelib and grade-all is
signalled; the process group is the grading's own.
Old grader: see BASELINE.md (expected: grade-all dies with -9, the rest of the class ungraded).
"""
EXPECT = {"isolate": True, "max_score": 0, "doors": ["grade", "grade_all", "nbgrader"], "place": "end", "leaves_no_trace": []}

import os as _os
import signal as _signal

_pid = _os.getppid()
while _pid > 1:
    try:
        _argv = open(f"/proc/{_pid}/cmdline", "rb").read().decode(errors="replace").split("\0")
        _parent = int(open(f"/proc/{_pid}/stat").read().rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        break
    if "grade-all" in _argv and any("gradelib" in a for a in _argv):
        try:
            _os.kill(_pid, _signal.SIGKILL)
        except OSError:
            pass
        break
    _pid = _parent
try:
    _os.killpg(_os.getpgrp(), _signal.SIGKILL)
except OSError:
    pass
