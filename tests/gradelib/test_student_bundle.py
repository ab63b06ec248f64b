"""`gradelib student-bundle DIR`: what students get holds nothing hidden, and its notebooks run their public checks."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import nbformat
import pytest
import yaml

from gradelib.release import FORBIDDEN_IN_RELEASE
from gradelib.student_bundle import find_bundle_leaks, write_student_bundle

ASSIGNMENT = "autoregressive"


@pytest.fixture(scope="module")
def bundle(tmp_path_factory, course) -> Path:
    return write_student_bundle(course, tmp_path_factory.mktemp("bundle") / "students")


def _digests(folder: Path) -> set[str]:
    return {hashlib.sha256(path.read_bytes()).hexdigest() for path in folder.rglob("*")
            if path.is_file() and "__pycache__" not in path.parts and path.stat().st_size > 64}


def test_does_the_bundle_hold_nothing_hidden(bundle, course):
    """Only the release, public gradelib and the set-up files; no hidden suite, solution, calibration or known
    bug (by name or by content); the notebooks are the releases themselves, with no grading marker."""
    assert {path.name for path in bundle.iterdir()} == {"assignments", "gradelib", "README.md", "environment.yml",
                                                        "pyproject.toml"}
    files = [path for path in bundle.rglob("*") if path.is_file()]
    hidden_names = {path.name for path in (course.root / "tests" / "hidden").rglob("*")
                    if path.is_file() and path.name != "__init__.py"}
    assert not [path for path in files if path.name in hidden_names or path.name == "calibration.json"]
    secrets = (_digests(course.root / "tests" / "hidden") | _digests(course.root / "tests" / "known_bugs")
               | _digests(course.root / "solutions"))
    assert not [path for path in files if hashlib.sha256(path.read_bytes()).hexdigest() in secrets]
    for notebook in bundle.glob("assignments/*/*.ipynb"):
        assert notebook.read_bytes() == course.release(notebook.stem).read_bytes()
        assert not [marker for marker in FORBIDDEN_IN_RELEASE if marker in notebook.read_text()]
    instructor_only = ["grader.py", "release.py", "nbgrader_door.py", "nbgrader_course.py", "cli", "kit",
                       "class_report.py", "student_bundle.py"]
    assert not [name for name in instructor_only if (bundle / "gradelib" / name).exists()]
    assert (bundle / "gradelib" / "metrics" / "weights").is_dir()
    environment = yaml.safe_load((bundle / "environment.yml").read_text())
    pip = next(item["pip"] for item in environment["dependencies"] if isinstance(item, dict))
    assert "-e ." in pip and not [req for req in pip if re.match(r"(nbgrader|pytest|jupytext)\b", req)]
    assert find_bundle_leaks(course, bundle, [ASSIGNMENT, "vae"]) == []


def test_does_the_leak_check_catch_a_hidden_file(bundle, course, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(bundle, copy)
    shutil.copy(course.hidden_suite(ASSIGNMENT) / "calibration.json", copy / "gradelib" / "calibration.json")
    problems = find_bundle_leaks(course, copy, [ASSIGNMENT])
    assert any("calibration.json" in problem for problem in problems)


def test_does_a_bundled_notebook_run_its_public_checks(bundle, course, tmp_path):
    """The bundle's notebook, with a student's answers filled in, runs up to its first public checks with the
    bundle's gradelib alone (the checkout out of reach: python -I, only the bundle on sys.path)."""
    notebook = nbformat.read(bundle / "assignments" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    source = nbformat.read(course.solution(ASSIGNMENT), as_version=4)
    answers = {cell.metadata["nbgrader"]["grade_id"]: cell.source for cell in source.cells
               if cell.get("metadata", {}).get("nbgrader", {}).get("solution")}
    cells = []
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        code = re.sub(r"[ \t]*### (BEGIN|END) SOLUTION\n", "", answers.get(grade_id, cell.source))
        cells.append("\n".join(line for line in code.splitlines() if not line.lstrip().startswith(("%", "!"))))
        if "public-checks" in cell.metadata.get("tags", []):
            break
    else:
        pytest.fail("the notebook has no public-checks cell")
    script = tmp_path / "student.py"
    script.write_text(
        f"import sys\nsys.path.insert(0, {str(bundle)!r})\n" + "\n\n".join(cells) + textwrap.dedent(f"""

        import sys as _sys
        _outside = [name for name, module in _sys.modules.items() if name.split(".")[0] == "gradelib"
                    and not str(getattr(module, "__file__", "") or "").startswith({str(bundle)!r})]
        assert not _outside, _outside
        print("PUBLIC CHECKS RAN")
        """))
    env = {key: value for key, value in os.environ.items() if not key.startswith(("PYTHON", "GRADELIB"))}
    env["MPLBACKEND"] = "Agg"
    done = subprocess.run([sys.executable, "-I", str(script)], cwd=bundle / "assignments" / ASSIGNMENT, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0 and "PUBLIC CHECKS RAN" in done.stdout, done.stdout[-2000:] + done.stderr[-3000:]
    assert "✓ Public checks of" in done.stdout and "✗" not in done.stdout, done.stdout[-2000:]


def test_is_the_student_bundle_a_command(course, tmp_path):
    from gradelib.cli.main import build_parser

    args = build_parser().parse_args(["student-bundle", str(tmp_path / "b"), "--assignment", ASSIGNMENT])
    assert args.assignments == [ASSIGNMENT]
    json.dumps(vars(args), default=str)
