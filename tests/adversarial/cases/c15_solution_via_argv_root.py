"""The solution within reach: find the course root in argv (--rootdir) and exec the solution notebook.

Attack: the grading process's argv names the course root (``--rootdir``) and the hidden suite's
path; ``<root>/solutions/autoregressive/autoregressive.ipynb`` is readable by the same user.
Exec its code cells (solution cells included; grade and check cells skipped) into the notebook's namespace: a perfect submission.
Old grader: see BASELINE.md (expected: full marks).
"""
EXPECT = {"max_score": 0, "doors": ["grade", "grade_all", "nbgrader"], "place": "end", "leaves_no_trace": []}

import json as _json
import os as _os
import sys as _sys


def _exec_solution(notebook):
    for cell in _json.load(open(notebook))["cells"]:
        _meta = cell.get("metadata", {})
        if cell["cell_type"] == "code" and "public-checks" not in _meta.get("tags", []) \
                and not (_meta.get("nbgrader", {}).get("grade") and not _meta.get("nbgrader", {}).get("solution")):
            exec(compile("".join(cell["source"]), "<borrowed>", "exec"), globals())


for _i, _arg in enumerate(_sys.argv):
    _roots = [_sys.argv[_i + 1]] if _arg == "--rootdir" and _i + 1 < len(_sys.argv) else []
    if "/tests/hidden/" in _arg:
        _roots.append(_arg.split("/tests/hidden/")[0])
    for _root in _roots:
        _candidate = _os.path.join(_root, "solutions", "autoregressive", "autoregressive.ipynb")
        if _os.path.isfile(_candidate):
            _exec_solution(_candidate)
            break
