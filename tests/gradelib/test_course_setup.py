"""Does a new instructor's set-up work as the README says?

`nbgrader generate_assignment ID` (no --force) on a fresh clone fills the gradebook without changing
the committed release; nbgrader's outputs stay out of git; an untouched release gives no "checksum
has changed" warning while a tampered locked cell still does.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
from pathlib import Path

import nbformat
import pytest
from nbgrader.api import Gradebook
from nbgrader.coursedir import CourseDirectory
from nbgrader.plugins.export import CsvExportPlugin
from nbgrader.preprocessors import OverwriteCells
from traitlets.config.loader import PyFileConfigLoader

from gradelib.nbgrader_course import nbgrader
from gradelib.nbgrader_sanitize import GradelibOverwriteCells, released_source

ASSIGNMENT = "autoregressive"


def _git(folder: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=folder, capture_output=True, text=True, check=True)
    return done.stdout


def _course_config(course) -> object:
    return PyFileConfigLoader(course.nbgrader_config.name, path=str(course.root)).load_config()


@pytest.fixture(scope="module")
def fresh_clone(tmp_path_factory, course) -> Path:
    """A git repository holding one assignment as a clone has it: source, committed release, config."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    root = tmp_path_factory.mktemp("clone")
    for relative in (f"solutions/{ASSIGNMENT}", f"assignments/{ASSIGNMENT}", f"tests/hidden/{ASSIGNMENT}"):
        shutil.copytree(course.root / relative, root / relative, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("nbgrader_config.py", ".gitignore"):
        shutil.copy(course.root / name, root / name)
    _git(root, "init", "-q")
    _git(root, "add", "-A")
    _git(root, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "clone")
    return root


def test_does_generate_assignment_without_force_fill_the_gradebook_and_git_ignore_nbgrader(fresh_clone):
    """`nbgrader generate_assignment ID` as the README gives it: the gradebook knows every grade cell
    (so autograde finds the assignment) and the committed release is unchanged; after a submission
    and `nbgrader export`, git shows nothing new in the clone."""
    release = (fresh_clone / "assignments" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").read_bytes()
    nbgrader(fresh_clone, "generate_assignment", ASSIGNMENT)
    source = nbformat.read(fresh_clone / "solutions" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    grade_ids = {cell.metadata["nbgrader"]["grade_id"] for cell in source.cells
                 if cell.get("metadata", {}).get("nbgrader", {}).get("grade")}
    with Gradebook(f"sqlite:///{fresh_clone / 'gradebook.db'}") as gradebook:
        notebook = gradebook.find_notebook(ASSIGNMENT, ASSIGNMENT)
        assert {cell.name for cell in notebook.grade_cells} == grade_ids
    assert (fresh_clone / "assignments" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").read_bytes() == release

    submitted = fresh_clone / "submitted" / "alice" / ASSIGNMENT
    submitted.mkdir(parents=True)
    shutil.copy(fresh_clone / "assignments" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", submitted)
    for folder in ("autograded", "feedback"):  # what autograde and generate_feedback write
        (fresh_clone / folder / "alice" / ASSIGNMENT).mkdir(parents=True)
        (fresh_clone / folder / "alice" / ASSIGNMENT / f"{ASSIGNMENT}.html").write_text("x")
    nbgrader(fresh_clone, "export")
    assert (fresh_clone / "grades.csv").is_file()
    assert _git(fresh_clone, "status", "--porcelain", "--untracked-files=all") == ""


def test_does_gitignore_cover_every_nbgrader_folder(course):
    """Every folder and file nbgrader can write in a course (by its own defaults) is ignored by the
    checkout's .gitignore, and the course's source and release folders are not."""
    if not (course.root / ".git").exists():
        pytest.skip("not a git checkout")
    defaults = CourseDirectory()
    written = [getattr(defaults, name) + "/x.ipynb" for name in (
        "submitted_directory", "autograded_directory", "feedback_directory", "release_directory",
        "source_directory", "solution_directory", "source_with_tests_directory")]
    written += ["downloaded/ps1/archive/x.zip", "gradebook.db", "gradebook.db-journal", ".nbgrader.log",
                CsvExportPlugin().to or "grades.csv"]
    done = subprocess.run(["git", "check-ignore", "--no-index", "--stdin"], cwd=course.root, input="\n".join(written),
                          capture_output=True, text=True)
    assert sorted(done.stdout.split()) == sorted(written)
    kept = [f"solutions/{ASSIGNMENT}/{ASSIGNMENT}.ipynb", f"assignments/{ASSIGNMENT}/{ASSIGNMENT}.ipynb"]
    done = subprocess.run(["git", "check-ignore", "--no-index", *kept], cwd=course.root, capture_output=True, text=True)
    assert done.stdout == ""


@pytest.fixture(scope="module")
def toy_gradebook(tmp_path_factory, course):
    """The toy course, released, with its gradebook filled by `nbgrader generate_assignment`."""
    from toycourse import make_toy_course

    toy = make_toy_course(tmp_path_factory.mktemp("toy") / "course", course)
    nbgrader(toy.root, "generate_assignment", "toy")  # the release and the gradebook at once
    return toy


def _sanitize(preprocessor_class, toy, notebook, caplog):
    preprocessor = preprocessor_class(config=_course_config(toy))
    resources = {"nbgrader": {"notebook": "toy", "assignment": "toy",
                              "db_url": f"sqlite:///{toy.root / 'gradebook.db'}"}}
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        preprocessor.log.propagate = True
        preprocessor.log.setLevel(logging.WARNING)
        notebook, _ = preprocessor.preprocess(notebook, resources)
    return notebook, [record.getMessage() for record in caplog.records if "has changed" in record.getMessage()]


def test_is_an_untouched_release_quiet_and_a_tampered_cell_reported(toy_gradebook, caplog):
    """nbgrader's OverwriteCells warns on every grade cell of the untouched release (nbgrader#1961);
    gradelib's warns on none, restores the hidden calls, and still reports an edited locked cell."""
    toy = toy_gradebook
    assert nbgrader_warns(OverwriteCells, toy, caplog)  # the problem, as nbgrader has it
    notebook, warnings = _sanitize(GradelibOverwriteCells, toy, nbformat.read(toy.release("toy"), as_version=4), caplog)
    assert warnings == []
    source = nbformat.read(toy.solution("toy"), as_version=4)
    expected = {cell.metadata["nbgrader"]["grade_id"]: cell.source for cell in source.cells
                if cell.metadata.get("nbgrader", {}).get("locked")}
    restored = {cell.metadata["nbgrader"]["grade_id"]: cell.source for cell in notebook.cells
                if cell.metadata.get("nbgrader", {}).get("locked")}
    assert restored == expected

    tampered = nbformat.read(toy.release("toy"), as_version=4)
    cell = next(cell for cell in tampered.cells if cell.metadata.get("nbgrader", {}).get("grade"))
    cell.source += "\nprint('full marks')"
    notebook, warnings = _sanitize(GradelibOverwriteCells, toy, tampered, caplog)
    assert len(warnings) == 1 and cell.metadata["nbgrader"]["grade_id"] in warnings[0]
    assert "full marks" not in notebook.cells[tampered.cells.index(cell)].source


def nbgrader_warns(preprocessor_class, toy, caplog) -> list[str]:
    return _sanitize(preprocessor_class, toy, nbformat.read(toy.release("toy"), as_version=4), caplog)[1]


def test_is_a_released_grade_cell_the_source_without_its_hidden_region():
    source = "# Hidden tests run here.\n### BEGIN HIDDEN TESTS\nimport x\nx.go()\n### END HIDDEN TESTS"
    assert released_source(source) == "# Hidden tests run here."


def test_does_the_course_config_use_the_quiet_sanitizer(course):
    config = _course_config(course)
    assert "gradelib.nbgrader_sanitize.GradelibOverwriteCells" in config.Autograde.sanitize_preprocessors
    assert "nbgrader.preprocessors.OverwriteCells" not in config.Autograde.sanitize_preprocessors
    assert config.GenerateAssignment.force is True
