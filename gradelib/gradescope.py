"""A Gradescope autograder for one assignment: ``gradelib gradescope ID --out FILE.zip``.

Gradescope unzips the file into ``/autograder/source``, runs ``setup.sh`` once when it builds the
image, and ``run_autograder`` for every submission (the files in ``/autograder/submission``); the
score is what ``/autograder/results/results.json`` says. The zip holds, at its root::

    setup.sh          a Python 3.11 virtual environment in /autograder/venv with requirements.txt
                      (PyTorch's CPU wheels: Gradescope has no GPU)
    run_autograder    grades the submitted ID.ipynb (or the only notebook) with `gradelib grade`
    requirements.txt  the course's dependencies, less the instructor's tools (nbgrader, jupytext, Dask)
    pyproject.toml, gradelib/, tests/hidden/ID/, solutions/ID/, datasets/manifest.json
                      the course as far as grading ID needs it: the hidden suite, its calibration
                      and the reference solution (the hidden tests compare with it). Students never
                      see an autograder's files.

``run_autograder`` reads ``$AUTOGRADER_ROOT`` (default ``/autograder``) and ``$GRADESCOPE_PYTHON``
(default ``$AUTOGRADER_ROOT/venv/bin/python``), so that it runs locally in a scratch tree too. It
always writes a results file: with no notebook submitted, a score of 0 and a message that says so.
"""

from __future__ import annotations

import shutil
import stat
import tempfile
import zipfile
from pathlib import Path

import tomllib

from gradelib.course import Course

__all__ = ["build_gradescope_bundle", "GRADESCOPE_EXCLUDED_DEPENDENCIES", "SETUP_SH", "RUN_AUTOGRADER"]

GRADESCOPE_EXCLUDED_DEPENDENCIES = ("nbgrader", "jupytext", "distributed")
TORCH_CPU_INDEX = "https://download.pytorch.org/whl/cpu"

SETUP_SH = """#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder's image (with network access).
set -euo pipefail
cd "$(dirname "$0")"
AUTOGRADER="${{AUTOGRADER_ROOT:-/autograder}}"
PYTHON=python3.11
if ! command -v "$PYTHON" >/dev/null; then
    apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y python3.11 python3.11-venv
fi
"$PYTHON" -m venv "$AUTOGRADER/venv"
"$AUTOGRADER/venv/bin/python" -m pip install --upgrade pip setuptools wheel
# PyTorch's CPU wheels (Gradescope has no GPU): a few hundred MB instead of the 5 GB CUDA build.
"$AUTOGRADER/venv/bin/python" -m pip install --extra-index-url {torch_index} -r requirements.txt
"""

RUN_AUTOGRADER = """#!/usr/bin/env bash
# Gradescope runs this for every submission; it writes $AUTOGRADER/results/results.json in every case.
set -u
SOURCE="$(cd "$(dirname "$0")" && pwd)"
AUTOGRADER="${{AUTOGRADER_ROOT:-/autograder}}"
PYTHON="${{GRADESCOPE_PYTHON:-$AUTOGRADER/venv/bin/python}}"
ASSIGNMENT={assignment}
RESULTS="$AUTOGRADER/results/results.json"
mkdir -p "$AUTOGRADER/results"
notebook="$AUTOGRADER/submission/$ASSIGNMENT.ipynb"
if [ ! -f "$notebook" ]; then
    notebook="$(find "$AUTOGRADER/submission" -name '*.ipynb' -not -path '*/.ipynb_checkpoints/*' 2>/dev/null \\
        | sort | head -n 1)"
fi
if [ -z "$notebook" ]; then
    cat > "$RESULTS" <<JSON
{{"score": 0, "output": "No notebook was submitted: upload your $ASSIGNMENT.ipynb file.", "tests": []}}
JSON
    exit 0
fi
cd "$SOURCE"
export PYTHONPATH="$SOURCE"
exec "$PYTHON" -m gradelib.cli.main grade "$notebook" --assignment "$ASSIGNMENT" --results "$RESULTS" \\
    --device auto --budget "${{GRADELIB_BUDGET:-quick}}"
"""


def _requirements(course: Course) -> list[str]:
    project = tomllib.loads((course.root / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    extras = project.get("optional-dependencies", {})
    requirements = list(project["dependencies"]) + list(extras.get("grading", [])) + list(extras.get("test", []))
    return [req for req in requirements
            if not req.split(">")[0].split("=")[0].split("<")[0].strip().lower().startswith(
                GRADESCOPE_EXCLUDED_DEPENDENCIES) and not req.startswith("ruff")]


def build_gradescope_bundle(course: Course, assignment: str, out: Path) -> Path:
    """Write the autograder zip for ``assignment`` to ``out``; return it."""
    course.require(assignment)
    out = Path(out)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".ipynb_checkpoints", "*.results.json")
    with tempfile.TemporaryDirectory(prefix="gradelib-gradescope-") as scratch:
        root = Path(scratch) / "autograder"
        root.mkdir()
        shutil.copytree(course.root / "gradelib", root / "gradelib", ignore=ignore)
        shutil.copytree(course.hidden_suite(assignment), root / "tests" / "hidden" / assignment, ignore=ignore)
        shutil.copytree(course.source_dir(assignment), root / "solutions" / assignment, ignore=ignore)
        for name in ("pyproject.toml", "datasets/manifest.json", "datasets/README.md"):
            if (course.root / name).is_file():
                (root / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(course.root / name, root / name)
        (root / "requirements.txt").write_text("\n".join(_requirements(course)) + "\n", encoding="utf-8")
        (root / "setup.sh").write_text(SETUP_SH.format(torch_index=TORCH_CPU_INDEX), encoding="utf-8")
        (root / "run_autograder").write_text(RUN_AUTOGRADER.format(assignment=assignment), encoding="utf-8")
        out.parent.mkdir(parents=True, exist_ok=True)
        temporary = out.with_name(f".{out.name}.tmp")
        with zipfile.ZipFile(temporary, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(root.rglob("*")):
                if not path.is_file():
                    continue
                relative = path.relative_to(root).as_posix()
                info = zipfile.ZipInfo(relative, date_time=(2020, 1, 1, 0, 0, 0))  # the same bytes every build
                executable = relative in ("setup.sh", "run_autograder")
                info.external_attr = ((0o755 if executable else 0o644) | stat.S_IFREG) << 16
                info.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(info, path.read_bytes())
        temporary.replace(out)
    return out
