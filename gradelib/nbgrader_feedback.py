"""The feedback page a student reads (``nbgrader generate_feedback``), made readable.

nbgrader's page is written for instructors: the score links all read "Test cell", a grade cell shows
its ``### BEGIN HIDDEN TESTS`` region with gradelib's call in it, long messages scroll sideways, and
formulas are raw TeX when MathJax (loaded from a CDN) is out of reach. ``nbgrader_config.py`` adds
:class:`GradelibFeedback` to ``c.GenerateFeedback.preprocessors`` (after ``GetGrades``) and uses the
template file ``gradelib_feedback.html.j2``, which extends nbgrader's ``feedback`` template (it lives in
``TEMPLATE_BASEDIR/feedback``, found beside nbgrader's own ``feedback`` folder):

* each grade cell's score link is named after its part, from the cell's first line
  (``# Hidden tests for the log-likelihood (log_prob) run here ...``), else its group;
* the hidden region of a grade cell is replaced by a comment that says what happened there
  (:func:`explain_hidden_region`); the results below it are gradelib's;
* formulas in Markdown cells become inline pictures (:mod:`gradelib.feedback_math`), plain text
  where mathtext cannot draw them;
* messages and code wrap (the template's CSS).
"""

from __future__ import annotations

import re
from pathlib import Path

from nbformat.notebooknode import NotebookNode
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import List

from gradelib.feedback_math import render_markdown_math
from gradelib.nbgrader_bridge import GRADE_GROUP_CALL

__all__ = ["GradelibFeedback", "part_name", "explain_hidden_region", "TEMPLATE_BASEDIR", "TEMPLATE_NAME",
           "TEMPLATE_FILE",
           "nbgrader_template_basedir"]

#: Folder of gradelib's nbconvert templates; ``feedback/gradelib_feedback.html.j2`` extends nbgrader's ``feedback``.
TEMPLATE_BASEDIR = Path(__file__).resolve().parent / "nbgrader_templates"
TEMPLATE_NAME = "feedback"
TEMPLATE_FILE = "gradelib_feedback.html.j2"

_TITLE = re.compile(r"^#\s*Hidden tests for (?P<title>.+?) run here\b", re.M)
_HIDDEN = re.compile(r"^[ \t]*### BEGIN HIDDEN TESTS.*?^[ \t]*### END HIDDEN TESTS[^\n]*", re.S | re.M)


def nbgrader_template_basedir() -> str:
    """nbgrader's own template folder (where its ``feedback`` template lives)."""
    import nbgrader

    return str(Path(nbgrader.__file__).resolve().parent / "server_extensions" / "formgrader" / "templates")


def part_name(source: str, grade_id: str) -> str:
    """What a grade cell's score link reads: its part's title, else its group, else its grade id."""
    title = _TITLE.search(source)
    if title:
        text = title.group("title").strip()
        return text[:1].upper() + text[1:]
    calls = GRADE_GROUP_CALL.findall(source)
    if calls:
        return f"Part {calls[0][1]!r}"
    return grade_id


def explain_hidden_region(source: str) -> str:
    """The grade cell's source with its hidden region replaced by a comment saying what ran there."""
    calls = GRADE_GROUP_CALL.findall(source)
    group = f" of this part ({calls[0][1]})" if calls else ""
    note = (f"# [hidden] Here the grader ran the hidden tests{group} on your notebook, in a process of its own\n"
            "# (not in this cell). Each test's result and message is printed below; the number is this part's score.")
    return _HIDDEN.sub(lambda _: note, source)


class GradelibFeedback(NbGraderPreprocessor):
    """Name each part's score link, explain the hidden calls and draw the formulas of the feedback page."""

    #: The HTML exporter passes this to every preprocessor (as it does to nbgrader's GetGrades).
    display_data_priority = List(["text/html", "application/pdf", "text/latex", "image/svg+xml", "image/png",
                                  "image/jpeg", "text/plain"]).tag(config=True)

    def preprocess(self, nb: NotebookNode, resources: dict) -> tuple[NotebookNode, dict]:
        for cell in nb.cells:
            meta = cell.get("metadata", {}).get("nbgrader", {})
            if cell.cell_type == "markdown":
                cell.source = render_markdown_math(cell.source)
            elif meta.get("grade") and not meta.get("solution"):
                meta["gradelib_part"] = part_name(cell.source, meta.get("grade_id", "grade cell"))
                cell.source = explain_hidden_region(cell.source)
        return nb, resources
