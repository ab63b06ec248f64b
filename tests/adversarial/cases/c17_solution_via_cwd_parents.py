"""The solution within reach: walk up from the working directory and the notebook's folder.

Attack: nbgrader grades inside the course directory (``autograded/<student>/<id>/``), and a grader
may run with its working directory in the checkout; walk up from the working directory and from
the notebook's own path looking for ``solutions/autoregressive/autoregressive.ipynb``, then exec it.
Old grader: see BASELINE.md (expected: full marks through nbgrader; depends on the cwd elsewhere).
"""
EXPECT = {"max_score": 0, "doors": ["grade", "grade_all", "nbgrader"], "place": "end", "leaves_no_trace": []}

import json as _json
from pathlib import Path as _Path

_starts = [_Path.cwd()]
if "__file__" in globals():
    _starts.append(_Path(__file__).resolve().parent)
_found = None
for _start in _starts:
    for _folder in (_start, *_start.parents):
        _candidate = _folder / "solutions" / "autoregressive" / "autoregressive.ipynb"
        if _candidate.is_file():
            _found = _candidate
            break
    if _found:
        break
if _found:
    for _cell in _json.loads(_found.read_text())["cells"]:
        _meta = _cell.get("metadata", {})
        if _cell["cell_type"] == "code" and "public-checks" not in _meta.get("tags", []) \
                and not (_meta.get("nbgrader", {}).get("grade") and not _meta.get("nbgrader", {}).get("solution")):
            exec(compile("".join(_cell["source"]), "<borrowed>", "exec"), globals())
