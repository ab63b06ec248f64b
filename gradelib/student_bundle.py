"""What students get: the released notebooks and the public part of gradelib, nothing hidden.

``gradelib student-bundle DIR`` (:func:`write_student_bundle`) writes::

    DIR/
      README.md                   how to start (install, open a notebook, run the public checks)
      environment.yml             a conda environment; pip users run `pip install -e .`
      pyproject.toml              installs the bundle's gradelib with the packages the notebooks need
      assignments/<id>/...        every released assignment, as `gradelib release` made it
      gradelib/...                the modules the notebooks import and what they import in turn

The public part of gradelib is computed, not listed: the import closure (read with :mod:`ast`, never
executed) of gradelib's package, its seeding and settings, and its ``checks``, ``data`` and ``metrics``
packages, with the package data they read (the digit classifier's weights). Instructor-side code that
nothing public imports (the grader, nbgrader door, release, kit, CLI, class report) stays out. Nothing
from ``tests/`` (hidden suites, calibration, known bugs) or ``solutions/`` is ever copied, and
:func:`find_bundle_leaks` checks the written bundle for solution or hidden-test lines, hidden-suite files
and grading markers before the command reports success.
"""

from __future__ import annotations

import ast
import hashlib
import shutil
from pathlib import Path

import tomllib

import gradelib
from gradelib.course import Course
from gradelib.release import FORBIDDEN_IN_RELEASE, find_leaks

__all__ = ["PUBLIC_ROOTS", "public_modules", "write_student_bundle", "find_bundle_leaks", "StudentBundleError",
           "STUDENT_EXCLUDED_DEPENDENCIES", "PACKAGE_URL_PLACEHOLDER"]

#: Where the public part starts: what a notebook imports (``import gradelib``, ``gradelib.checks...``,
#: ``gradelib.data``, ``gradelib.metrics``, ``gradelib.seeding``).
PUBLIC_ROOTS = ("gradelib", "gradelib.seeding", "gradelib.settings", "gradelib.checks", "gradelib.data",
                "gradelib.metrics")
#: Package data beside public modules (glob patterns, relative to the package folder).
PUBLIC_DATA = ("metrics/weights/*.pt", "metrics/weights/*.json")
#: Instructor tools that a student's environment does not need.
STUDENT_EXCLUDED_DEPENDENCIES = ("nbgrader", "jupytext", "pytest", "distributed")
#: The install cell's default source of the course's package in a released notebook (``--package-url`` sets it).
PACKAGE_URL_PLACEHOLDER = "git+https://github.com/YOUR-COURSE/dgm-students.git"
#: What a student needs beside the dependencies of gradelib's public part.
STUDENT_EXTRA_DEPENDENCIES = ("jupyterlab", "ipykernel", "nbformat>=5.9")


class StudentBundleError(RuntimeError):
    """The bundle could not be made, or it would hold something hidden."""


def _module_file(package_dir: Path, name: str) -> Path | None:
    parts = name.split(".")[1:]
    base = package_dir.joinpath(*parts)
    if (base / "__init__.py").is_file():
        return base / "__init__.py"
    if base.with_suffix(".py").is_file():
        return base.with_suffix(".py")
    return None


def _imports(path: Path, name: str) -> set[str]:
    """Every ``gradelib...`` module a file imports, anywhere in it (functions included)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name.split(".")[0] == "gradelib"}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                module = f"{base}.{node.module}" if node.module else base
            else:
                module = node.module or ""
            if module.split(".")[0] != "gradelib":
                continue
            found.add(module)
            found |= {f"{module}.{alias.name}" for alias in node.names}  # `from gradelib.x import submodule`
    return found


def public_modules(package_dir: Path | None = None) -> dict[str, Path]:
    """{module name: file} of gradelib's public part: the import closure of :data:`PUBLIC_ROOTS`
    (whole packages for ``checks``, ``data`` and ``metrics``), with every parent package."""
    package_dir = Path(package_dir or Path(gradelib.__file__).resolve().parent)
    pending = list(PUBLIC_ROOTS)
    for root in ("checks", "data", "metrics"):
        pending += [f"gradelib.{root}.{path.stem}" for path in sorted((package_dir / root).glob("*.py"))
                    if path.stem != "__init__"]
    found: dict[str, Path] = {}
    while pending:
        name = pending.pop()
        if name in found:
            continue
        path = _module_file(package_dir, name)
        if path is None:
            continue  # a name imported from a module, not a module
        found[name] = path
        parts = name.split(".")
        pending += [".".join(parts[:i]) for i in range(1, len(parts))]
        pending += sorted(_imports(path, name))
    return found


def third_party_imports(files: list[Path]) -> set[str]:
    """Top-level names of the non-gradelib modules some files import."""
    names = set()
    for path in files:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
                names.add(node.module.split(".")[0])
    return {name for name in names if name != "gradelib"}


def write_student_bundle(course: Course, destination: Path, assignments: list[str] | None = None,
                         package_url: str | None = None) -> Path:
    """Write the bundle into ``destination`` (which must be empty or absent); return it.

    ``package_url``: where the notebooks' install cell gets the course's package on a machine without it (Colab):
    this bundle's own repository, e.g. ``git+https://github.com/course/students.git``, or a wheel's URL.
    """
    destination = Path(destination)
    if destination.exists() and any(destination.iterdir()):
        raise StudentBundleError(f"{destination} is not empty: give a new folder for the bundle")
    assignments = assignments or [path.name for path in sorted(course.release_dir("x").parent.iterdir())
                                  if path.is_dir() and course.release(path.name).is_file()]
    if not assignments:
        raise StudentBundleError("No released assignment: run `gradelib release` first")
    for assignment in assignments:
        if not course.release(assignment).is_file():
            raise StudentBundleError(f"No release of {assignment!r}: run `gradelib release {assignment}`")
        shutil.copytree(course.release_dir(assignment), destination / "assignments" / assignment,
                        ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__", "*.results.json"))
        if package_url:
            for notebook in (destination / "assignments" / assignment).glob("*.ipynb"):
                text = notebook.read_text(encoding="utf-8")
                notebook.write_text(text.replace(PACKAGE_URL_PLACEHOLDER, package_url.replace('"', "")),
                                    encoding="utf-8")
    package_dir = Path(gradelib.__file__).resolve().parent
    modules = public_modules(package_dir)
    for path in modules.values():
        target = destination / "gradelib" / path.relative_to(package_dir)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, target)
    for pattern in PUBLIC_DATA:
        for path in package_dir.glob(pattern):
            target = destination / "gradelib" / path.relative_to(package_dir)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target)
    dependencies = _student_dependencies(course)
    (destination / "pyproject.toml").write_text(_pyproject(dependencies), encoding="utf-8")
    (destination / "environment.yml").write_text(_environment(dependencies), encoding="utf-8")
    (destination / "README.md").write_text(_readme(assignments), encoding="utf-8")
    problems = find_bundle_leaks(course, destination, assignments)
    if problems:
        shutil.rmtree(destination)
        raise StudentBundleError("The bundle would hold something hidden:\n" + "\n".join(problems))
    return destination


def _student_dependencies(course: Course) -> list[str]:
    project = tomllib.loads((course.root / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    kept = [requirement for requirement in project["dependencies"]
            if _requirement_name(requirement) not in STUDENT_EXCLUDED_DEPENDENCIES]
    return kept + [extra for extra in STUDENT_EXTRA_DEPENDENCIES
                   if _requirement_name(extra) not in {_requirement_name(r) for r in kept}]


def _requirement_name(requirement: str) -> str:
    for separator in "<>=!~[; ":
        requirement = requirement.split(separator)[0]
    return requirement.strip().lower()


def _pyproject(dependencies: list[str]) -> str:
    listed = "".join(f'    "{requirement}",\n' for requirement in dependencies)
    return f"""# The students' copy of gradelib (its public part): `pip install -e .` in this folder.
[build-system]
requires = ["setuptools>=68", "wheel"]
build-backend = "setuptools.build_meta"

[project]
name = "gradelib-student"
version = "{gradelib.__version__}"
description = "Deep generative models: the public part of the course's library, for students."
requires-python = ">=3.10"
dependencies = [
{listed}]

[tool.setuptools.packages.find]
include = ["gradelib*"]

[tool.setuptools.package-data]
"gradelib.metrics" = ["weights/*.pt", "weights/*.json"]
"""


def _environment(dependencies: list[str]) -> str:
    listed = "".join(f"      - {requirement}\n" for requirement in dependencies)
    return f"""# The students' environment: conda env create -f environment.yml && conda activate dgm-student
name: dgm-student
channels:
  - conda-forge
dependencies:
  - python=3.11
  - pip
  - pip:
{listed}      - -e .
"""


def _readme(assignments: list[str]) -> str:
    listed = "\n".join(f"- `assignments/{a}/{a}.ipynb`" for a in assignments)
    return f"""# Deep generative models: your assignments

## Getting started

1. Make an environment with the course's packages, from this folder:
   - with conda: `conda env create -f environment.yml && conda activate dgm-student`
   - with pip (Python 3.10 or newer, ideally in a virtual environment): `pip install -e .`
   - on Colab: open the notebook and run its first cell, which installs the course's package (from this
     repository) when it is missing; or upload this folder and run `!pip install -e .`.
2. Start Jupyter here (`jupyter lab`) and open an assignment (its first cell sets up the notebook: the GPU when
   there is one, Lightning's start-up messages kept quiet):

{listed}

3. Fill in each `# YOUR CODE HERE` / `raise NotImplementedError()`. Every TODO says what to compute,
   which formula it is and where the result goes.
4. Run the **public checks** cell under each part: shapes and a smoke test, instant feedback (a short
   report, one line per check: `✓`, or `✗` with what was expected). `gradelib.check("<part>")` runs a
   part's checks again after you change your code; `gradelib.check()` runs all of them. The cell that
   says hidden tests run there when your notebook is graded does nothing in your copy.
5. Guard anything that trains for long with `if not gradelib.grading():`, so that the grader, which
   loads your notebook, does not retrain your model.
6. Submit the `.ipynb` file. Your grade lists each hidden test by its title; a failed test says what
   was checked, what was expected, what was found and the likely cause.

A GPU is used when there is one; everything also runs on a laptop CPU. The data (digits) come with
the packages: nothing needs downloading.
"""


def find_bundle_leaks(course: Course, bundle: Path, assignments: list[str]) -> list[str]:
    """Everything in a bundle that a student must not see: an empty list for a clean bundle.

    No folder but ``assignments/`` and ``gradelib/``; no file with the content of a file of the hidden
    suites, the known bugs or the solutions; no calibration record; the released notebooks clean by
    :func:`gradelib.release.find_leaks` (no solution or hidden-test line, marker or output); and no
    grading marker (``BEGIN SOLUTION``, ``grade_group(``, ...) in any notebook.
    """
    problems = []
    secret_digests: dict[str, str] = {}
    for folder in (course.root / "tests" / "hidden", course.root / "tests" / "known_bugs",
                   course.root / "solutions"):
        for path in folder.rglob("*") if folder.is_dir() else []:
            if path.is_file() and path.stat().st_size > 64 and "__pycache__" not in path.parts:
                secret_digests[_digest(path)] = str(path.relative_to(course.root))
    for path in sorted(bundle.rglob("*")):
        relative = path.relative_to(bundle)
        if relative.parts[0] not in ("assignments", "gradelib", "README.md", "environment.yml", "pyproject.toml"):
            problems.append(f"{relative}: not part of what students get")
        if not path.is_file():
            continue
        if path.name == "calibration.json" or "known_bugs" in relative.parts or "hidden" in relative.parts:
            problems.append(f"{relative}: a hidden file")
        digest = _digest(path)
        if digest in secret_digests:
            problems.append(f"{relative}: a copy of {secret_digests[digest]}")
        if path.suffix == ".ipynb":
            text = path.read_text(encoding="utf-8", errors="replace")
            problems += [f"{relative}: contains {marker!r}" for marker in FORBIDDEN_IN_RELEASE if marker in text]
    for assignment in assignments:
        problems += [f"assignments/{assignment}/{problem}"
                     for problem in find_leaks(course, assignment, bundle / "assignments" / assignment)]
    return problems


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()
