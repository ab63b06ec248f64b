"""The course tree writable: modify gradelib's own source files.

Attack: gradelib is imported from the course checkout (editable install or PYTHONPATH) and its
files are writable by the submission. Append to ``gradelib/pytest_plugin.py`` a hook that passes
every test without running it, so that every later grading process that imports the plugin is
fooled (a re-grade, the rest of a batch, every nbgrader notebook after this one). Only a gradelib
under /tmp is written (damage bound).
Old grader: see BASELINE.md (expected: this case 0, gradelib changed, later neighbours full marks).
"""
EXPECT = {"isolate": True, "max_score": 0, "doors": ["grade", "grade_all", "nbgrader"], "place": "end",
          "leaves_no_trace": []}  # the harness's hash of the checkout catches the change

import os as _os
from pathlib import Path as _Path

import gradelib as _gradelib

_PATCH = '''

# --- appended by a submission ---
pytest_pyfunc_call = pytest.hookimpl(tryfirst=True)(lambda pyfuncitem: True)
'''
_plugin = _Path(_gradelib.__file__).resolve().parent / "pytest_plugin.py"
if str(_plugin).startswith(_os.path.realpath("/tmp") + "/") and _plugin.is_file():
    try:
        if "appended by a submission" not in _plugin.read_text():
            with open(_plugin, "a") as _stream:
                _stream.write(_PATCH)
    except OSError:
        pass
