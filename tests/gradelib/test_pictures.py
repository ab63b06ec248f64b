"""Pictures in feedback (gradelib.pictures): drawn in the trusted process, shown by every door, never graded.

The toy course's counter test attaches a number against its threshold and a picture that cannot be drawn
(tests/toycourse.py); the real `nbgrader autograde` + `generate_feedback` of the toy batch is checked in
tests/gradelib/test_nbgrader_door.py.
"""

from __future__ import annotations

import base64
import json
import re
import textwrap
import time
from pathlib import Path

import nbformat
import pytest
import torch
from nbconvert.exporters import HTMLExporter
from traitlets.config import Config
from traitlets.config.loader import PyFileConfigLoader

from gradelib.grader import GradingOptions, grade_notebook
from gradelib.nbgrader_door import grade_cell_outputs
from gradelib.nbgrader_feedback import GradelibFeedback
from gradelib.pictures import Picture, accepted_pictures
from gradelib.pictures.picture import MAX_PICTURES_PER_TEST, MAX_PNG_BYTES, PNG_SIGNATURE
from gradelib.pictures.record import _Pending, draw_pending
from gradelib.pictures.render import PictureError, image_grid_png, number_png
from gradelib.results import PASSED, GradeReport, TestResult
from gradelib.submission_report import write_submission_report

OPTIONS = GradingOptions(device="cpu", timeout=180)


@pytest.fixture(scope="module")
def toy_report(tmp_path_factory):
    """The toy course's solution, graded once."""
    from checkout import COURSE
    from toycourse import make_toy_course

    root = tmp_path_factory.mktemp("pictures")
    course = make_toy_course(root / "course", COURSE)
    return grade_notebook(course.solution("toy"), "toy", OPTIONS, course=course)


def _counter(report: GradeReport) -> TestResult:
    return next(test for test in report.tests if test.name == "Counter.tick counts from 1.")


def test_does_a_picture_reach_the_report_and_a_broken_one_cost_nothing(toy_report):
    """The counter test's number against its threshold arrives as a PNG with its caption; the picture that raises
    while drawing is left out, and the solution keeps every point."""
    assert toy_report.score == toy_report.max_score == 5
    counter = _counter(toy_report)
    assert counter.status == PASSED and counter.output == ""
    assert [(p.name, p.caption) for p in counter.pictures] == [("third tick", "Your third tick against 2.5")]
    assert counter.pictures[0].png.startswith(PNG_SIGNATURE)
    assert all(not test.pictures for test in toy_report.tests if test is not counter)


def test_is_a_picture_in_gradescopes_results_as_html(toy_report, tmp_path):
    """results.json shows the test's output as HTML with the picture as a data URI; read back, the message is
    plain again and the picture the same."""
    path = tmp_path / "results.json"
    toy_report.write(path)
    data = json.loads(path.read_text())
    entry = next(test for test in data["tests"] if test["name"] == "Counter.tick counts from 1.")
    assert entry["output_format"] == "html" and entry["message"] == ""
    encoded = re.search(r'<img src="data:image/png;base64,([^"]+)" alt="Your third tick against 2.5">',
                        entry["output"]).group(1)
    assert base64.b64decode(encoded) == _counter(toy_report).pictures[0].png
    others = [test for test in data["tests"] if test is not entry]
    assert all("output_format" not in test and "pictures" not in test for test in others)
    again = GradeReport.read(path)
    assert _counter(again).pictures == _counter(toy_report).pictures and _counter(again).output == ""
    assert [t.output for t in again.tests] == [t.output for t in toy_report.tests]
    assert "output_format" not in json.dumps(toy_report.to_json(html=False))


def test_is_a_picture_a_png_beside_the_report_page(toy_report, tmp_path):
    """`gradelib grade --report DIR`: the picture is a PNG file beside index.html, shown with its caption."""
    page = write_submission_report(tmp_path / "report", "toy", toy_report, "solution.ipynb").read_text()
    names = re.findall(r'<img src="([^"]+\.png)" alt="Your third tick against 2\.5">', page)
    assert names == ["counter-0-third-tick.png"]
    assert (tmp_path / "report" / names[0]).read_bytes() == _counter(toy_report).pictures[0].png
    assert "<figcaption>Your third tick against 2.5</figcaption>" in page


def test_is_a_picture_an_image_output_of_the_grade_cell_and_on_the_feedback_page(toy_report, course):
    """nbgrader: the grade cell gets an image/png output before its score, and the feedback page shows it."""
    results = toy_report.group_results("counter")
    outputs = grade_cell_outputs("counter", results, 2)
    assert [o.output_type for o in outputs] == ["stream", "stream", "display_data", "execute_result"]
    assert base64.b64decode(outputs[2].data["image/png"]) == _counter(toy_report).pictures[0].png
    notebook = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("# Hidden tests for the counter run here when your notebook is graded.",
                                     outputs=outputs)
    cell.metadata["nbgrader"] = {"grade": True, "solution": False, "locked": True, "grade_id": "grade_counter",
                                 "points": 2, "score": 2, "schema_version": 3}
    notebook.cells = [cell]
    import nbgrader

    config = Config(PyFileConfigLoader("nbgrader_config.py", path=str(course.root)).load_config())
    config.HTMLExporter.extra_template_paths = [str(  # what nbgrader's GenerateFeedback adds
        Path(nbgrader.__file__).parent / "server_extensions/formgrader/static/node_modules/bootstrap/dist/css")]
    exporter = HTMLExporter(config=config)
    exporter.register_preprocessor(GradelibFeedback(config=config), enabled=True)
    resources = {"nbgrader": {"notebook": "toy", "score": 2, "max_score": 2, "late_penalty": 0}}
    page, _ = exporter.from_notebook_node(notebook, resources=resources)
    assert re.search(r'<img alt="Your third tick against 2.5" src="data:image/png;base64,[^"]+"', page)
    assert "Picture: Your third tick against 2.5" in page


# ------------------------------------------------------------------------------ what a results file may hold
def test_does_a_reader_take_only_real_small_pngs():
    """Anything but a PNG of at most MAX_PNG_BYTES, with text name and caption, is dropped; at most
    MAX_PICTURES_PER_TEST a test."""
    good = Picture("a", "b", PNG_SIGNATURE + b"data").to_json()
    bad = [
        {**good, "png_base64": base64.b64encode(b"<svg onload=alert(1)>").decode()},
        {**good, "png_base64": "not base64!"},
        {**good, "png_base64": base64.b64encode(PNG_SIGNATURE + bytes(MAX_PNG_BYTES)).decode()},
        {**good, "name": 3},
        "a string",
    ]
    assert accepted_pictures(bad) == []
    assert len(accepted_pictures([good] * (MAX_PICTURES_PER_TEST + 3))) == MAX_PICTURES_PER_TEST
    assert accepted_pictures("nope") == [] and accepted_pictures(None) == []
    assert Picture.from_json({**good, "caption": "x" * 5000}).caption == "x" * 300


def test_does_the_grader_keep_pictures_out_of_the_score(tmp_path):
    """The parent copies pictures from the child's file but decides the score only from status and points."""
    from gradelib.grader import _accept_results

    expected = GradeReport(tests=[TestResult("t", 0.0, 1.0, "failed", "not run", "g", "test_g.py::t")])
    child = TestResult("t", 1.0, 1.0, "failed", "wrong", "g", "test_g.py::t",
                       pictures=[Picture("n", "c", PNG_SIGNATURE + b"x")])
    (tmp_path / "results.json").write_text(json.dumps({"tests": [child.to_json()]}))
    report = _accept_results(expected, tmp_path / "results.json")
    assert report.tests[0].score == 0.0 and report.tests[0].output == "wrong"
    assert report.tests[0].pictures == child.pictures


# --------------------------------------------------------------------------------------- drawing and timing
@pytest.mark.parametrize("images", [
    torch.rand(5, 1, 8, 8), torch.rand(3, 16, 16), torch.rand(2, 3, 16, 16) * 2 - 1, torch.rand(28, 28),
    {"a": torch.rand(4, 3, 16, 16), "b": torch.full((4, 3, 16, 16), float("nan"))},
    [("row", torch.rand(2, 1, 300, 300))],
])
def test_are_tensors_of_every_image_shape_drawn_as_pngs(images):
    png = image_grid_png(images, value_range=(-1, 1))
    assert png.startswith(PNG_SIGNATURE) and len(png) <= MAX_PNG_BYTES


@pytest.mark.parametrize("images", [torch.rand(4, 5, 8, 8), torch.rand(7), "text", torch.zeros(0, 1, 8, 8)])
def test_is_what_is_not_an_image_refused_with_a_reason(images):
    with pytest.raises(PictureError):
        image_grid_png(images)


def test_is_a_number_drawn_whatever_its_value():
    for value in (1.0, 1e9, float("nan"), float("-inf")):
        png = number_png(value, threshold=2.0, better="lower", marks={"ref": 1.5, "none": None})
        assert png.startswith(PNG_SIGNATURE)


def test_is_a_picture_that_raises_or_hangs_left_out_and_logged(capfd):
    """draw_pending never raises: each failure is logged to stderr, and a slow source is cut at the time limit."""
    def slow():
        time.sleep(30)

    started = time.monotonic()
    pending = [_Pending("raises", "", lambda: 1 / 0, lambda data: b""),
               _Pending("hangs", "", slow, lambda data: b""),
               _Pending("fine", "c", 2.0, lambda data: PNG_SIGNATURE + str(data).encode())]
    pictures = draw_pending(pending, seconds=1.0)
    assert pictures == [] and time.monotonic() - started < 10
    err = capfd.readouterr().err
    assert "picture 'raises' not drawn: ZeroDivisionError" in err
    assert "picture 'hangs' not drawn: it took too long" in err
    assert "picture 'fine' left out: drawing this test's pictures took more than 1 s" in err


def test_do_attach_calls_outside_a_test_do_nothing():
    """In a calibration run or a notebook (no pytest session), attach_* return False and draw nothing."""
    import subprocess
    import sys

    code = ("from gradelib.pictures import attach_image, attach_number\n"
            "print(attach_image('x', [1, 2]), attach_number('x', 1.0, threshold=2.0, better='lower'))")
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True).stdout.split() == ["False", "False"]


HIDDEN = '''
import time
import pytest
import torch
from gradelib.pictures import attach_image, attach_number

def test_fails_but_shows(submission):
    """A failing test still shows what was attached before it failed."""
    attach_image("grid", torch.rand(4, 1, 8, 8), caption="four images")
    raise AssertionError("wrong on purpose")

def test_slow_picture_costs_nothing(submission):
    """A picture that hangs is cut off after the verdict."""
    attach_number("n", 1.0, threshold=2.0, better="lower", caption="a number")
    attach_image("slow", lambda: time.sleep(300), caption="never")
'''


def test_does_a_failing_test_keep_its_pictures_and_a_hanging_one_cost_nothing(pytester, tmp_path):
    """Through the plugin: the failing test's picture is in results.json; the hanging picture is cut at the
    pictures' own time limit (after the verdict, so the test still passes)."""
    # matplotlib imported before the tests, so that the grid is drawn well within the short limit even on a loaded
    # machine; the hanging picture is cut at it
    pytester.makeconftest("import matplotlib.figure\nimport gradelib.pictures.render\n"
                          "import gradelib.pictures.record as record\nrecord.SECONDS_PER_TEST = 8.0\n")
    notebook = tmp_path / "sub.ipynb"
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("x = 1")]
    nbformat.write(nb, notebook)
    pytester.makepyfile(test_hidden=textwrap.dedent(HIDDEN))
    results = tmp_path / "results.json"
    outcome = pytester.runpytest_subprocess("--submission", str(notebook), "--device", "cpu",
                                           "--gradelib-results", str(results), "-p", "no:cacheprovider")
    outcome.assert_outcomes(passed=1, failed=1)
    report = GradeReport.read(results)
    failing, slow = report.tests
    assert failing.output.startswith("wrong on purpose") and [p.name for p in failing.pictures] == ["grid"]
    assert slow.passed and [p.name for p in slow.pictures] == ["n"]
