"""Containment: three children, each touching up to 8 GiB.

Attack: a per-process address-space limit does not bound the sum over processes: start three
child processes, each allocating and touching (writing every page of) its share of memory, and
holding it for 30 s. DAMAGE BOUND: the total is at most 12 GiB and at most 35% of the machine's
available memory (so that a failing defence cannot bring down a shared machine): 3 x 8 GiB on a
big machine is cut to what is safe here; the children exit after 30 s and carry the marker.
Old grader: see BASELINE.md (expected: the children get their memory; RLIMIT_AS is per process).
"""
EXPECT = {"max_score": 0, "doors": ["grade", "grade_all", "nbgrader"], "place": "end", "leaves_no_trace": []}

import subprocess as _subprocess
import sys as _sys

MARKER = "__ADV_MARKER__"
_CHILD = r'''
import mmap, sys, time
size = int(sys.argv[2])
try:
    block = mmap.mmap(-1, size)
    for offset in range(0, size, 4096):
        block[offset] = 1
    print("got", size, flush=True)
except (MemoryError, OSError, ValueError) as error:
    print("refused", error, flush=True)
time.sleep(30)
'''


def _available():
    for line in open("/proc/meminfo"):
        if line.startswith("MemAvailable:"):
            return int(line.split()[1]) * 1024
    return 0


if not getattr(_sys, "_adv_memory", False):
    _sys._adv_memory = True
    _each = int(min(8 * 2**30, min(12 * 2**30, 0.35 * _available()) / 3))
    _children = [_subprocess.Popen([_sys.executable, "-c", _CHILD, MARKER, str(_each)], stdin=_subprocess.DEVNULL,
                                   stdout=_subprocess.DEVNULL, stderr=_subprocess.DEVNULL) for _ in range(3)]
    for _child in _children:
        try:
            _child.wait(timeout=60)
        except _subprocess.TimeoutExpired:
            _child.kill()
