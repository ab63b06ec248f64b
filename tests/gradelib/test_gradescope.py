"""`gradelib gradescope ID --out FILE.zip`: the autograder's contents, and run_autograder in a scratch tree."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from gradelib.gradescope import build_gradescope_bundle
from gradelib.release import fill_in_solutions

ASSIGNMENT = "autoregressive"


@pytest.fixture(scope="module")
def autograder(tmp_path_factory, course) -> Path:
    """The zip, unpacked as Gradescope does into <root>/source, with empty submission and results folders."""
    root = tmp_path_factory.mktemp("autograder")
    bundle = build_gradescope_bundle(course, ASSIGNMENT, root / "autograder.zip")
    with zipfile.ZipFile(bundle) as archive:
        archive.extractall(root / "source")
        for info in archive.infolist():  # zipfile drops permissions: restore them as Gradescope's unzip does
            os.chmod(root / "source" / info.filename, (info.external_attr >> 16) & 0o777)
    (root / "submission").mkdir()
    return root


def test_does_the_autograder_hold_what_grading_needs_and_nothing_else(autograder, course):
    names = {path.relative_to(autograder / "source").as_posix() for path in (autograder / "source").rglob("*")
             if path.is_file()}
    assert {"setup.sh", "run_autograder", "requirements.txt", "pyproject.toml",
            f"solutions/{ASSIGNMENT}/{ASSIGNMENT}.ipynb", f"tests/hidden/{ASSIGNMENT}/calibration.json"} <= names
    assert {name.split("/")[0] for name in names} <= {"setup.sh", "run_autograder", "requirements.txt",
                                                      "pyproject.toml", "gradelib", "tests", "solutions", "datasets"}
    assert not [name for name in names if name.startswith(("tests/known_bugs", "tests/gradelib"))
                or (name.startswith(("tests/hidden/", "solutions/")) and f"/{ASSIGNMENT}/" not in name + "/")]
    assert not [name for name in names if "__pycache__" in name]
    for script in ("setup.sh", "run_autograder"):
        assert os.access(autograder / "source" / script, os.X_OK)
        assert subprocess.run(["bash", "-n", str(autograder / "source" / script)]).returncode == 0
    requirements = (autograder / "source" / "requirements.txt").read_text().split()
    assert "pytest>=8" in requirements and not [r for r in requirements if r.startswith(("nbgrader", "jupytext"))]
    first = (autograder / "autograder.zip").read_bytes()
    assert build_gradescope_bundle(course, ASSIGNMENT, autograder / "again.zip").read_bytes() == first  # reproducible


def _run_autograder(autograder: Path, course) -> dict:
    results = autograder / "results" / "results.json"
    results.unlink(missing_ok=True)
    env = {key: value for key, value in os.environ.items() if not key.startswith(("PYTHONPATH", "GRADELIB"))}
    env.update(AUTOGRADER_ROOT=str(autograder), GRADESCOPE_PYTHON=sys.executable)
    done = subprocess.run([str(autograder / "source" / "run_autograder")], cwd="/", env=env, capture_output=True,
                          text=True, timeout=900)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    return json.loads(results.read_text())


def test_does_run_autograder_say_when_no_notebook_was_submitted(autograder, course):
    result = _run_autograder(autograder, course)
    assert result["score"] == 0 and "No notebook was submitted" in result["output"]


@pytest.mark.slow
def test_does_run_autograder_grade_a_real_submission(autograder, course):
    """The reference, submitted under another name, gets full marks through run_autograder (the course code
    from the zip alone: no PYTHONPATH to the checkout)."""
    fill_in_solutions(course, ASSIGNMENT, autograder / "submission" / "my_work.ipynb")
    result = _run_autograder(autograder, course)
    assert result["max_score"] > 0 and result["score"] == result["max_score"], result.get("output")
