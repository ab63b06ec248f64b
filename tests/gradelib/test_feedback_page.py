"""Is the feedback page a student reads readable? (gradelib.nbgrader_feedback, gradelib.feedback_math)

The page is made as `nbgrader generate_feedback` makes it (the course's nbgrader_config.py: its
preprocessors and template) from an autograded notebook; the real command runs in
tests/gradelib/test_nbgrader_door.py on the toy course's autograded batch.
"""

from __future__ import annotations

import base64
import re

import nbformat
from nbconvert.exporters import HTMLExporter
from traitlets.config import Config
from traitlets.config.loader import PyFileConfigLoader

from gradelib.feedback_math import plain_text_formula, render_formula, render_markdown_math
from gradelib.nbgrader_door import grade_cell_outputs
from gradelib.nbgrader_feedback import GradelibFeedback, explain_hidden_region, part_name
from gradelib.results import FAILED, PASSED, TestResult

LONG_MESSAGE = ("log_prob returned -12.5 nats for the all-zero image; -8.3 was expected (tolerance 1e-4). "
                "The sum over pixels is probably missing a term: check that every pixel i adds "
                "x_i log sigma(l_i) + (1 - x_i) log(1 - sigma(l_i)), " * 3)
GRADE_SOURCE = ("# Hidden tests for the log-likelihood (log_prob) run here when your notebook is graded.\n"
                "### BEGIN HIDDEN TESTS\nimport gradelib.nbgrader_bridge\n"
                'gradelib.nbgrader_bridge.grade_group("autoregressive", "log_prob")\n### END HIDDEN TESTS')


def autograded_notebook() -> nbformat.NotebookNode:
    notebook = nbformat.v4.new_notebook()
    markdown = nbformat.v4.new_markdown_cell(
        "The likelihood factorises: $$p(x) = \\prod_{i=0}^{D-1} p(x_i \\mid x_{<i}). \\tag{1}$$ "
        "Each factor is $\\sigma(\\ell_i)$; in code, `x[$i$]` stays code.")
    results = [
        TestResult(name="log_prob sums the pixels", score=0, max_score=2, status=FAILED, output=LONG_MESSAGE,
                   group="log_prob", nodeid="test_log_prob.py::t"),
        TestResult(name="log_prob has the batch shape", score=1, max_score=1, status=PASSED, output="",
                   group="log_prob", nodeid="test_log_prob.py::u"),
    ]
    grade = nbformat.v4.new_code_cell(GRADE_SOURCE, outputs=grade_cell_outputs("log_prob", results, 3))
    grade.metadata["nbgrader"] = {"grade": True, "solution": False, "locked": True, "grade_id": "grade_log_prob",
                                  "points": 3, "score": 1, "schema_version": 3}
    notebook.cells = [markdown, grade]
    return notebook


def feedback_html(course) -> str:
    """The page, with the course's feedback preprocessors (after GetGrades) and template."""
    config = PyFileConfigLoader("nbgrader_config.py", path=str(course.root)).load_config()
    names = config.GenerateFeedback.preprocessors
    assert names[0].endswith("GetGrades") and "gradelib.nbgrader_feedback.GradelibFeedback" in names
    c = Config(config)
    c.HTMLExporter.extra_template_paths = [_bootstrap_css()]  # what nbgrader's GenerateFeedback adds
    exporter = HTMLExporter(config=c)
    exporter.register_preprocessor(GradelibFeedback(config=c), enabled=True)
    resources = {"nbgrader": {"notebook": "autoregressive", "score": 1, "max_score": 3, "late_penalty": 0}}
    html, _ = exporter.from_notebook_node(autograded_notebook(), resources=resources)
    return html


def _bootstrap_css() -> str:
    from pathlib import Path

    import nbgrader

    return str(Path(nbgrader.__file__).parent / "server_extensions" / "formgrader" / "static" / "node_modules"
               / "bootstrap" / "dist" / "css")


def test_is_the_feedback_page_readable(course):
    """The score link reads the part's name, the hidden call is explained and not shown, long messages
    wrap, and formulas are pictures (no raw TeX left in the page's text)."""
    html = feedback_html(course)
    links = re.findall(r'<a href="#grade_log_prob">([^<]*)</a>', html)
    assert links == ["The log-likelihood (log_prob)"]
    assert "Test cell" not in html
    assert "BEGIN HIDDEN TESTS" not in html and "grade_group" not in html
    assert "[hidden] Here the grader ran the hidden tests of this part (log_prob)" in html
    assert "white-space: pre-wrap" in html and "overflow-wrap: anywhere" in html
    assert "The sum over pixels is probably missing a term" in html
    images = [tag for tag in re.findall(r"<img [^>]*>", html) if 'class="gradelib-math"' in tag]
    pictures = [re.search(r'src="data:image/svg\+xml;base64,([^"]+)"', tag).group(1) for tag in images]
    assert len(pictures) == 2 and all(base64.b64decode(p).lstrip().startswith(b"<?xml") for p in pictures)
    body_text = re.sub(r"<[^>]+>", "", html.split("<body>", 1)[1])
    assert "\\prod" not in body_text and "\\sigma" not in body_text
    assert "x[$i$]" in html  # code spans keep their dollars


def test_are_part_names_and_explanations_made_from_the_grade_cell():
    assert part_name(GRADE_SOURCE, "grade_log_prob") == "The log-likelihood (log_prob)"
    assert part_name('grade_group("toy", "arithmetic")', "grade_x") == "Part 'arithmetic'"
    assert part_name("print(1)", "grade_x") == "grade_x"
    explained = explain_hidden_region(GRADE_SOURCE)
    assert explained.startswith("# Hidden tests for the log-likelihood")
    assert "nbgrader_bridge" not in explained and "(log_prob)" in explained


def test_do_formulas_mathtext_cannot_draw_show_as_plain_text():
    assert render_formula("\\frac{1}{2}") is not None
    assert render_formula("\\unknowncommand{x}") is None
    text = render_markdown_math("so $\\unknowncommand \\alpha \\le \\frac{a}{b}$ holds")
    assert '<code class="gradelib-math-text">' in text and "$" not in text
    assert plain_text_formula("\\alpha \\le \\frac{a}{b} \\tag{3}") == "α ≤ (a)/(b) (3)"
