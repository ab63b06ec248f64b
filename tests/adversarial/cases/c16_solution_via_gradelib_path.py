"""The solution within reach: the checkout gradelib was installed from holds solutions/.

Attack: ``gradelib.__file__`` points into the course checkout (an editable install or a
PYTHONPATH); its parent holds ``solutions/autoregressive/autoregressive.ipynb``. Exec its
solution cells into the notebook's namespace.
Old grader: see BASELINE.md (expected: full marks through every door).
"""
EXPECT = {"max_score": 0, "doors": ["grade", "grade_all", "nbgrader"], "place": "end", "leaves_no_trace": []}

import json as _json
from pathlib import Path as _Path

import gradelib as _gradelib

_candidate = _Path(_gradelib.__file__).resolve().parents[1] / "solutions" / "autoregressive" / "autoregressive.ipynb"
if _candidate.is_file():
    for _cell in _json.loads(_candidate.read_text())["cells"]:
        _meta = _cell.get("metadata", {})
        if _cell["cell_type"] == "code" and "public-checks" not in _meta.get("tags", []) \
                and not (_meta.get("nbgrader", {}).get("grade") and not _meta.get("nbgrader", {}).get("solution")):
            exec(compile("".join(_cell["source"]), "<borrowed>", "exec"), globals())
