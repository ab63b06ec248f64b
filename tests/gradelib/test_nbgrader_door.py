"""Is the score that `nbgrader autograde` records decided outside the student's kernel?

The toy course goes through nbgrader with gradelib's preprocessor (gradelib.nbgrader_door) in the
autograde pipeline. Hostile submissions (the released skeleton plus one cell) try to win points from
inside the kernel; each must score what the skeleton scores, and an honest solution graded after
them in the same batch must keep full marks.
"""

from __future__ import annotations

import base64
import json
import re
import textwrap
from pathlib import Path

import nbformat
import pytest
from checkout import COURSE
from nbgrader.utils import determine_grade
from traitlets.config.loader import PyFileConfigLoader

from gradelib import nbgrader_bridge
from gradelib.nbgrader_course import autograde, nbgrader
from gradelib.nbgrader_door import (
    GradelibAutograde,
    grade_cell_outputs,
    options_from_environment,
    unknown_cell_outputs,
)
from gradelib.release import fill_in_solutions, release_assignment
from gradelib.results import FAILED, PASSED, TestResult

FULL = {"grade_arithmetic": 3, "grade_counter": 2, "total": 5}
ZERO = {"grade_arithmetic": 0, "grade_counter": 0, "total": 0}

# Each runs as one cell right after `import gradelib`, before the grade cells.
REDEFINE_GRADE_GROUP = """
import sys
import gradelib.nbgrader_bridge

def grade_group(assignment, group, **kwargs):
    print("[pass] everything")
    return {"arithmetic": 3, "counter": 2}[group]

gradelib.nbgrader_bridge.grade_group = grade_group
sys.modules["gradelib.nbgrader_bridge"].grade_group = grade_group
"""

FORGE_REPORTS = """
import glob, json, os, tempfile
tests = [
    {"name": name, "score": points, "max_score": points, "status": "passed", "output": "", "group": group,
     "nodeid": f"test_{group}.py::{name}", "visibility": "visible"}
    for name, points, group in [("test_square_of_four", 2, "arithmetic"),
                                ("test_square_matches_reference", 1, "arithmetic"),
                                ("test_counter_counts", 1, "counter"), ("test_square_of_a_seeded_number", 1, "counter")]
]
forged = {"score": 5, "max_score": 5, "execution_time": 0.1, "output": "", "tests": tests}
names = ["results.json", "toy.results.json", "report.json"]
try:  # the cache key of a bridge that graded inside the kernel, computed by the bridge itself
    import gradelib.nbgrader_bridge as bridge
    names.append(bridge._cache_path(bridge.Course.find(), "toy", bridge.find_notebook("toy"),
                                    bridge.options_from_environment()).name)
except Exception:
    pass
temp = tempfile.gettempdir()  # the test points TMPDIR at a folder of its own: /tmp for the kernel
folders = {os.getcwd(), temp, os.path.join(temp, "gradelib-bridge"), os.environ.get("GRADELIB_BRIDGE_CACHE") or temp}
folders |= set(glob.glob(os.path.join(temp, "gradelib*")))
for folder in folders:
    try:
        os.makedirs(folder, exist_ok=True)
        for name in names:
            with open(os.path.join(folder, name), "w") as stream:
                json.dump(forged, stream)
    except OSError:
        pass
"""

FOLDER_TO_FILE = """
import os, shutil, tempfile
temp = tempfile.gettempdir()
folders = {os.path.join(temp, "gradelib-bridge"), os.environ.get("GRADELIB_BRIDGE_CACHE") or os.path.join(temp, "x")}
for folder in folders:
    shutil.rmtree(folder, ignore_errors=True)
    if os.path.isfile(folder):
        os.remove(folder)
    with open(folder, "w") as stream:
        stream.write("not a folder")
"""

FAKE_OUTPUTS = """
from IPython import get_ipython
from IPython.display import display

def fake_results(result):
    print("[pass] square(4) is 16. (2/2)")
    print("[pass] square agrees with the reference on negative numbers. (1/1)")
    display(3)

def last_expression_is_full_marks(lines):
    if any("grade_group" in line for line in lines):
        group = "arithmetic" if any("arithmetic" in line for line in lines) else "counter"
        return lines + ["\\n", "%d\\n" % {"arithmetic": 3, "counter": 2}[group]]
    return lines

get_ipython().events.register("post_run_cell", fake_results)
get_ipython().input_transformers_post.append(last_expression_is_full_marks)
"""

HOSTILE = {
    "a_redefine": REDEFINE_GRADE_GROUP,
    "b_forge": FORGE_REPORTS,
    "c_folder_to_file": FOLDER_TO_FILE,
    "d_fake_outputs": FAKE_OUTPUTS,
}


def with_cell(notebook_path: Path, source: str, destination: Path) -> Path:
    """The notebook with one more cell, placed right after its `import gradelib` cell."""
    notebook = nbformat.read(notebook_path, as_version=4)
    where = next(i for i, cell in enumerate(notebook.cells) if cell.source.strip() == "import gradelib") + 1
    notebook.cells.insert(where, nbformat.v4.new_code_cell(textwrap.dedent(source)))
    nbformat.write(notebook, destination)
    return destination


@pytest.fixture(scope="session")  # not module: an xdist worker may tear a module fixture down between two tests
def hostile_batch(tmp_path_factory):
    """One autograde batch: the skeleton, four hostile kernels, then two honest solutions."""
    from toycourse import make_toy_course

    root = tmp_path_factory.mktemp("door")
    course = make_toy_course(root / "course", COURSE)
    release_assignment(course, "toy")
    skeleton = course.release("toy")
    solution = fill_in_solutions(course, "toy", root / "solution.ipynb")
    submissions = {"0_skeleton": skeleton}
    for student, source in HOSTILE.items():
        submissions[student] = with_cell(skeleton, source, root / f"{student}.ipynb")
    submissions["y_hostile_but_right"] = with_cell(solution, REDEFINE_GRADE_GROUP + FOLDER_TO_FILE, root / "y.ipynb")
    submissions["z_honest"] = solution
    temp = root / "tmp"  # the kernel's and the grader's temporary folder: the hostile cells write there
    temp.mkdir()
    scores = autograde(course.root, "toy", submissions, env_extra={"TMPDIR": str(temp), "GRADELIB_DEVICE": "cpu"})
    return course, scores


@pytest.mark.parametrize("student", sorted(HOSTILE))
def test_does_a_hostile_kernel_score_what_the_skeleton_scores(hostile_batch, student):
    """Redefining grade_group, forging reports, breaking a cache folder or faking outputs earns nothing."""
    _, scores = hostile_batch
    assert scores["0_skeleton"] == ZERO
    assert scores[student] == ZERO, scores[student]


def test_does_an_honest_solution_after_hostile_kernels_keep_full_marks(hostile_batch):
    """A correct notebook graded after the hostile ones, in the same batch, gets every point."""
    course, scores = hostile_batch
    assert scores["z_honest"] == FULL
    assert scores["y_hostile_but_right"] == FULL  # a correct solution loses nothing by its own tricks either
    autograded = course.root / "autograded"
    assert max((autograded / s / "toy" / "toy.ipynb").stat().st_mtime for s in HOSTILE) <= \
        (autograded / "z_honest" / "toy" / "toy.ipynb").stat().st_mtime


def test_are_grade_cell_outputs_only_gradelibs(hostile_batch):
    """A grade cell's outputs are gradelib's listing and its score: nothing the kernel printed, displayed or raised."""
    course, _ = hostile_batch
    for student in (*HOSTILE, "z_honest"):
        notebook = json.loads((course.root / "autograded" / student / "toy" / "toy.ipynb").read_text())
        grade_cells = [cell for cell in notebook["cells"] if cell["metadata"].get("nbgrader", {}).get("grade")
                       and not cell["metadata"]["nbgrader"].get("solution") and cell["cell_type"] == "code"]
        assert len(grade_cells) == 2
        for cell in grade_cells:
            kinds = [(output["output_type"], output.get("name")) for output in cell["outputs"]]
            # the honest counter draws one picture (toycourse.HIDDEN_COUNTER: its broken second picture is left out)
            picture = ([("stream", "stdout"), ("display_data", None)]
                       if student == "z_honest" and cell["metadata"]["nbgrader"]["grade_id"] == "grade_counter" else [])
            assert kinds == [("stream", "stdout"), *picture, ("execute_result", None)], (student, kinds)
            text = "".join(cell["outputs"][0]["text"])
            assert "[pass] everything" not in text and nbgrader_bridge.KERNEL_MESSAGE not in text
            assert "Score for this part:" in text


def test_does_a_grade_cell_unknown_to_the_gradebook_get_zero(hostile_batch, monkeypatch):
    """A cell that claims to be a grade cell but is not one of the assignment's earns 0 and says why."""
    course, _ = hostile_batch
    notebook = nbformat.read(course.root / "autograded" / "z_honest" / "toy" / "toy.ipynb", as_version=4)
    rogue = nbformat.v4.new_code_cell("1", metadata={"nbgrader": {
        "grade": True, "solution": False, "locked": True, "grade_id": "rogue", "points": 5, "schema_version": 3}})
    rogue.outputs = [nbformat.v4.new_output("execute_result", data={"text/plain": "5"}, execution_count=1)]
    notebook.cells.append(rogue)
    resources = {"nbgrader": {"assignment": "toy", "notebook": "toy", "student": "z_honest",
                              "db_url": f"sqlite:///{course.root / 'gradebook.db'}"}}
    monkeypatch.chdir(course.root)
    monkeypatch.setenv("GRADELIB_DEVICE", "cpu")
    preprocessor = GradelibAutograde()
    notebook, _ = preprocessor.preprocess(notebook, resources)
    scores = {cell.metadata.nbgrader["grade_id"]: determine_grade(cell)[0] for cell in notebook.cells
              if cell.metadata.get("nbgrader", {}).get("grade")}
    assert scores == {"grade_arithmetic": 3, "grade_counter": 2, "rogue": 0}
    assert "not one of the assignment's" in notebook.cells[-1].outputs[0].text


def test_does_nbgrader_read_the_group_score_as_partial_credit():
    """determine_grade gives a grade cell exactly its group's score, whatever the kernel output before."""
    results = [
        TestResult("square(4) is 16.", 0.0, 2.0, FAILED, "square(4) returned 8.", "arithmetic", "a::x"),
        TestResult("square agrees.", 1.0, 1.0, PASSED, "", "arithmetic", "a::y"),
    ]
    cell = nbformat.v4.new_code_cell("", metadata={"nbgrader": {"grade": True, "solution": False, "grade_id": "g",
                                                                 "points": 3}})
    cell.outputs = grade_cell_outputs("arithmetic", results, 3.0)
    assert determine_grade(cell) == (1.0, 3.0)
    assert "[FAIL] square(4) is 16. (0/2)" in cell.outputs[0].text and "returned 8" in cell.outputs[0].text
    cell.outputs = grade_cell_outputs("arithmetic", [], 3.0)
    assert determine_grade(cell) == (0.0, 3.0)
    cell.outputs = unknown_cell_outputs("g")
    assert determine_grade(cell) == (0.0, 3.0)


def test_does_the_kernel_side_call_decide_nothing(capsys):
    """In the kernel, grade_group grades nothing and returns None (no partial credit from the kernel)."""
    assert nbgrader_bridge.grade_group("toy", "arithmetic") is None
    assert capsys.readouterr().out.strip() == nbgrader_bridge.KERNEL_MESSAGE


def test_are_settings_read_from_the_environment():
    """GRADELIB_DEVICE/BUDGET/TIMEOUT set the options; a wrong value is an instructor's error, said clearly."""
    options = options_from_environment({"GRADELIB_DEVICE": "cpu", "GRADELIB_BUDGET": "full", "GRADELIB_TIMEOUT": "90"})
    assert (options.device, options.budget, options.timeout) == ("cpu", "full", 90.0)
    assert options_from_environment({}).budget == "quick"
    with pytest.raises(ValueError, match="GRADELIB_DEVICE"):
        options_from_environment({"GRADELIB_DEVICE": "tpu"})


def test_does_the_autograde_pipeline_run_no_kernel_and_grade_before_the_scores():
    """nbgrader_config.py keeps nbgrader's own preprocessors but Execute (no student code outside gradelib's
    sandbox), and puts gradelib's after LimitOutput and before SaveAutoGrades."""
    from nbgrader.converters import Autograde

    config = PyFileConfigLoader("nbgrader_config.py", path=str(COURSE.root)).load_config()
    pipeline = [name.rsplit(".", 1)[-1] for name in config.Autograde.autograde_preprocessors]
    defaults = [cls.__name__ for cls in Autograde.class_traits()["autograde_preprocessors"].default()]
    assert "Execute" not in pipeline
    assert [name for name in pipeline if name != "GradelibAutograde"] == [n for n in defaults if n != "Execute"]
    door = pipeline.index("GradelibAutograde")
    assert pipeline.index("LimitOutput") < door < pipeline.index("SaveAutoGrades")


def test_is_the_feedback_page_of_the_batch_readable(hostile_batch):
    """`nbgrader generate_feedback` with the course's config: score links named after the parts, the hidden
    calls explained instead of shown, messages that wrap (tests/gradelib/test_feedback_page.py has the details)."""
    course, _ = hostile_batch
    nbgrader(course.root, "generate_feedback", "toy")
    for student in ("0_skeleton", "z_honest"):
        page = (course.root / "feedback" / student / "toy" / "toy.html").read_text(encoding="utf-8")
        assert [name for _, name in re_links(page)] == ["Arithmetic", "Counter"]
        assert "Test cell" not in page and "BEGIN HIDDEN TESTS" not in page and "grade_group" not in page
        assert "[hidden] Here the grader ran the hidden tests of this part (arithmetic)" in page
        assert "white-space: pre-wrap" in page
        # the counter's picture (z_honest)
        pictures = re.findall(r'<img [^>]*src="data:image/png;base64,([^"]+)"', page)
        assert len(pictures) == (student == "z_honest")
        assert all(base64.b64decode(p).startswith(b"\x89PNG") for p in pictures)
        assert ("Picture: Your third tick against 2.5" in page) == (student == "z_honest")


def re_links(page: str) -> list[tuple[str, str]]:
    import re

    return re.findall(r'<a href="#(grade_\w+)">([^<]*)</a>', page)
