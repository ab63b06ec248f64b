"""The solution within reach, leaked: print it, and put it in a cell error that failure messages quote.

Attack: at load time, read the solution notebook (gradelib's install path, or the working
directory's parents) and the hidden test files; print slices of both to stdout and stderr
(nbgrader keeps a cell's output in the autograded notebook and its feedback), delete ``NADE`` and
``PixelCNN`` and raise an exception whose message holds the slices: a grader that explains a
missing name by quoting the cells' errors writes them into every failure message.
Old grader: see BASELINE.md.
"""
EXPECT = {"max_score": 0, "doors": ["grade", "grade_all", "nbgrader"], "place": "end", "leaves_no_trace": []}

import json as _json
import os as _os
import sys as _sys
from pathlib import Path as _Path

import gradelib as _gradelib

_roots = [_Path(_gradelib.__file__).resolve().parents[1], *_Path.cwd().resolve().parents]
_leak = []
for _root in _roots:
    _notebook = _root / "solutions" / "autoregressive" / "autoregressive.ipynb"
    if _notebook.is_file():
        for _cell in _json.loads(_notebook.read_text())["cells"]:
            _source = "".join(_cell["source"])
            for _part in _source.split("### BEGIN SOLUTION")[1:]:
                _leak.extend("| " + l for l in _part.split("### END SOLUTION")[0].splitlines() if l.strip())
        for _test in sorted((_root / "tests" / "hidden" / "autoregressive").glob("*.py")):
            _leak.extend("| " + l for l in _test.read_text().splitlines() if l.strip())
        break
_text = "\n".join(_leak)
print("LEAK stdout:\n" + _text[:20000])
_sys.stdout.flush()
print("LEAK stderr:\n" + _text[:20000], file=_sys.stderr)
try:
    _os.write(1, ("LEAK fd1:\n" + _text[:20000]).encode())
except OSError:
    pass
NADE = PixelCNN = None
del NADE, PixelCNN
raise RuntimeError("LEAK cell error:\n" + _text[:1500])
