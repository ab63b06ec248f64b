"""Network: open a listening socket that outlives the grading.

Attack: a daemon in a new session listens on 127.0.0.1 (first free port in 47100-47199) and
answers every connection with the case's marker: a backdoor that stays after grading (a server
other students' submissions, or anyone on the machine, could talk to). DAMAGE BOUND: the daemon
carries the marker in its argv, binds only 127.0.0.1, and exits after 120 s.
Old grader: see BASELINE.md (expected: the listener outlives the grading).
"""
EXPECT = {"max_score": 0, "doors": ["grade", "grade_all", "nbgrader"], "place": "end", "leaves_no_trace": [],
          "listener": True}

import subprocess as _subprocess
import sys as _sys

MARKER = "__ADV_MARKER__"
_DAEMON = r'''
import os, socket, sys, time
marker = sys.argv[1]
if os.fork():
    os._exit(0)
os.setsid()
server = socket.socket()
for port in range(47100, 47200):
    try:
        server.bind(("127.0.0.1", port))
        break
    except OSError:
        continue
else:
    sys.exit(0)
server.listen(4)
server.settimeout(1)
deadline = time.time() + 120
while time.time() < deadline:
    try:
        conn, _ = server.accept()
        conn.sendall(marker.encode() + b"\n")
        conn.close()
    except OSError:
        pass
'''
if not getattr(_sys, "_adv_listen", False):
    _sys._adv_listen = True
    _subprocess.Popen([_sys.executable, "-c", _DAEMON, MARKER], start_new_session=True, stdin=_subprocess.DEVNULL,
                      stdout=_subprocess.DEVNULL, stderr=_subprocess.DEVNULL).wait()
