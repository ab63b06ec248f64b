"""The solution within reach, leaked: raise AssertionError carrying hidden test source and the solution.

Attack: every model method, when a hidden test calls it, walks the call stack to the test's
frame, reads the hidden test file, and raises ``AssertionError`` whose message is a slice of that
file followed by a slice of the solution notebook's solution regions (found through gradelib's
install path). A grader that forwards assertion messages to the student writes them into
results.json, the CSV's source, nbgrader's feedback.
Old grader: see BASELINE.md (expected: hidden test code and solution code in results.json).
"""
EXPECT = {"max_score": 0, "doors": ["grade", "grade_all", "nbgrader"], "place": "end", "leaves_no_trace": []}

import inspect as _inspect
import json as _json
from pathlib import Path as _Path

import gradelib as _gradelib


def _solution_text():
    notebook = _Path(_gradelib.__file__).resolve().parents[1] / "solutions" / "autoregressive" / "autoregressive.ipynb"
    try:
        cells = _json.loads(notebook.read_text())["cells"]
    except (OSError, ValueError):
        return ""
    text = "".join("".join(c["source"]) for c in cells if c.get("metadata", {}).get("nbgrader", {}).get("solution"))
    regions = [part.split("### END SOLUTION")[0] for part in text.split("### BEGIN SOLUTION")[1:]]
    return "\n".join(regions)


def _leak(*args, **kwargs):
    hidden = ""
    for frame in _inspect.stack():
        if "/tests/hidden/" in frame.filename:
            try:
                source = _Path(frame.filename).read_text()
            except OSError:
                continue
            body = source.split('"""', 2)[-1]  # past the module docstring
            hidden = "\n".join("| " + line for line in body.splitlines() if line.strip())
            break
    raise AssertionError("LEAK hidden:\n" + hidden[:900] + "\nLEAK solution:\n" +
                         "\n".join("| " + l for l in _solution_text().splitlines() if l.strip())[:900])


for _cls in (AutoregressiveImageModel, FVSBN, NADE, PixelCNN):
    for _method in ("forward", "log_prob", "sample", "complete", "_common_step"):
        setattr(_cls, _method, _leak)
PixelCNN.__init__ = _leak
MaskedConv2d.__init__ = _leak
