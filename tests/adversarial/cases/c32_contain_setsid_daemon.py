"""Containment: a setsid daemon that sleeps through the grading and writes afterwards.

Attack: double-fork into a new session (out of the grading's process group, so a group kill
misses it); sleep 20 s, then write a file into /tmp and into the notebook's folder, and stay
alive. The daemon carries the case's marker in its argv and exits after 120 s (damage bound).
Old grader: see BASELINE.md (expected: the daemon outlives grading, files appear afterwards).
"""
EXPECT = {"max_score": 0, "doors": ["grade", "grade_all", "nbgrader"], "place": "end",
          "leaves_no_trace": ["/tmp/__ADV_MARKER__-late.txt", "{notebook_dir}/__ADV_MARKER__-late.txt"]}

import os as _os
import subprocess as _subprocess
import sys as _sys

MARKER = "__ADV_MARKER__"
_DAEMON = r'''
import os, sys, time
marker, folder = sys.argv[1], sys.argv[2]
if os.fork():
    os._exit(0)
os.setsid()
start = time.time()
time.sleep(20)
for path in (f"/tmp/{marker}-late.txt", os.path.join(folder, f"{marker}-late.txt")):
    try:
        open(path, "w").write("written after grading\n")
    except OSError:
        pass
time.sleep(max(0, 120 - (time.time() - start)))
'''
if not getattr(_sys, "_adv_daemon", False):
    _sys._adv_daemon = True
    _folder = _os.path.dirname(_os.path.abspath(__file__)) if "__file__" in globals() else _os.getcwd()
    _subprocess.Popen([_sys.executable, "-c", _DAEMON, MARKER, _folder], start_new_session=True,
                      stdin=_subprocess.DEVNULL, stdout=_subprocess.DEVNULL, stderr=_subprocess.DEVNULL).wait()
