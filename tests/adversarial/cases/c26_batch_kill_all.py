"""Batches: ``kill -9 -1``, every process the submission may signal.

Attack: SIGKILL to pid -1 reaches every process of the same user (every process of the machine
when grading runs as root): the grader, the batch, the neighbours, nbgrader, the harness.
DAMAGE BOUND: the kill is sent only when this process sees fewer than 64 processes in /proc
(i.e. it is inside a PID namespace of its own, the sandbox); otherwise the cell does nothing.
The harness also skips this case when the grader reports no sandbox.
Old grader: not run (it would kill the machine's processes).
"""
EXPECT = {"max_score": 0, "doors": ["grade", "grade_all", "nbgrader"], "place": "end", "leaves_no_trace": [],
          "needs_sandbox": True}

import os as _os
import signal as _signal

if len([p for p in _os.listdir("/proc") if p.isdigit()]) < 64:
    try:
        _os.kill(-1, _signal.SIGKILL)
    except OSError:
        pass
