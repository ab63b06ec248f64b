"""The nbgrader door: replace the bridge's cache folder by a file.

Attack: delete ``$GRADELIB_BRIDGE_CACHE`` and put a file in its place; every later grade cell of
every notebook in the batch fails to write its report, and an error in a grade cell is worth 0:
the neighbours lose all their points.
DAMAGE BOUND: only when ``GRADELIB_BRIDGE_CACHE`` is set to a folder under /tmp
folder (the harness's own); the shared default folder is never touched.
Old grader: see BASELINE.md (expected: the neighbours graded after it get 0 through nbgrader).
"""
EXPECT = {"isolate": ["nbgrader"], "max_score": 0, "doors": ["grade", "grade_all", "nbgrader"], "place": "early", "leaves_no_trace": []}

import os as _os
import shutil as _shutil

_cache = _os.environ.get("GRADELIB_BRIDGE_CACHE", "")
if _cache and _os.path.realpath(_cache).startswith(_os.path.realpath("/tmp") + "/"):
    try:
        if _os.path.isdir(_cache):
            _shutil.rmtree(_cache)
        with open(_cache, "w") as _stream:
            _stream.write("not a folder\n")
    except OSError:
        pass
