"""One home for the course's layout: where an assignment's notebooks, hidden suite, known bugs and calibration live.

    course = Course.find()                      # $GRADELIB_COURSE_ROOT, the working directory upwards, or the checkout
    course.solution("vae")                      # solutions/vae/vae.ipynb
    course.hidden_suite("vae")                  # tests/hidden/vae/
    course.assignments()                        # ids that have a source notebook and a hidden suite

Nothing else in gradelib or the project's tests spells these paths out.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from gradelib.settings import ENV_COURSE_ROOT

__all__ = ["Course", "CourseNotFoundError", "UnknownAssignmentError"]


class CourseNotFoundError(RuntimeError):
    """No course directory (a folder holding ``tests/hidden/``) could be found."""


class UnknownAssignmentError(ValueError):
    """No hidden suite exists for this assignment id."""


@dataclass(frozen=True)
class Course:
    """A course directory.

    Attributes:
        root: the folder that holds ``solutions/``, ``assignments/``, ``tests/hidden/`` and ``nbgrader_config.py``.
    """

    root: Path

    # ---------------------------------------------------------------- finding a course
    @classmethod
    def find(cls, start: str | os.PathLike | None = None) -> Course:
        """The course: ``start`` or the working directory and their parents, else ``$GRADELIB_COURSE_ROOT``,
        else the checkout gradelib was installed from.

        Raises:
            CourseNotFoundError: none of those holds ``tests/hidden/``.
        """
        candidates: list[Path] = []
        here = Path(start or Path.cwd()).resolve()
        candidates += [here, *here.parents]
        if os.environ.get(ENV_COURSE_ROOT):
            candidates.insert(0 if start is None else len(candidates), Path(os.environ[ENV_COURSE_ROOT]).resolve())
        candidates.append(Path(__file__).resolve().parents[1])
        for folder in candidates:
            if cls.is_course(folder):
                return cls(folder)
        raise CourseNotFoundError(
            f"No course directory found from {here}: run gradelib inside the course checkout "
            f"(the folder holding tests/hidden/) or set {ENV_COURSE_ROOT}."
        )

    @staticmethod
    def is_course(folder: Path) -> bool:
        """Does ``folder`` look like a course directory (it holds ``tests/hidden/``)?"""
        return (Path(folder) / "tests" / "hidden").is_dir()

    # ---------------------------------------------------------------- what an assignment has
    def assignments(self) -> list[str]:
        """The assignment ids that have both a source notebook and a hidden suite, sorted."""
        hidden = self.root / "tests" / "hidden"
        if not hidden.is_dir():
            return []
        return sorted(
            path.name for path in hidden.iterdir()
            if path.is_dir() and any(path.glob("test_*.py")) and self.solution(path.name).is_file()
        )

    def require(self, assignment: str) -> str:
        """``assignment`` itself if it has a hidden suite; else UnknownAssignmentError naming the known ones."""
        if not (self.hidden_suite(assignment).is_dir() and any(self.hidden_suite(assignment).glob("test_*.py"))):
            raise UnknownAssignmentError(
                f"Unknown assignment {assignment!r}: the hidden suites in {self.root / 'tests' / 'hidden'} are "
                + (", ".join(self.assignments()) or "(none)")
            )
        return assignment

    def source_dir(self, assignment: str) -> Path:
        """``solutions/<id>/``: nbgrader's source folder of the assignment."""
        return self.root / "solutions" / assignment

    def solution(self, assignment: str) -> Path:
        """``solutions/<id>/<id>.ipynb``: the source notebook, with solutions and hidden-test calls."""
        return self.source_dir(assignment) / f"{assignment}.ipynb"

    def release_dir(self, assignment: str) -> Path:
        """``assignments/<id>/``: the student release folder."""
        return self.root / "assignments" / assignment

    def release(self, assignment: str) -> Path:
        """``assignments/<id>/<id>.ipynb``: the released skeleton."""
        return self.release_dir(assignment) / f"{assignment}.ipynb"

    def hidden_suite(self, assignment: str) -> Path:
        """``tests/hidden/<id>/``: the hidden suite, one ``test_<group>.py`` per grade cell."""
        return self.root / "tests" / "hidden" / assignment

    def group_file(self, assignment: str, group: str) -> Path:
        """``tests/hidden/<id>/test_<group>.py``: one group of hidden tests."""
        return self.hidden_suite(assignment) / f"test_{group}.py"

    def calibration(self, assignment: str) -> Path:
        """``tests/hidden/<id>/calibration.json``: the quality thresholds and how they were measured."""
        return self.hidden_suite(assignment) / "calibration.json"

    def known_bugs(self, assignment: str) -> Path:
        """``tests/known_bugs/<id>/``: realistic wrong submissions that must lose points."""
        return self.root / "tests" / "known_bugs" / assignment

    @property
    def nbgrader_config(self) -> Path:
        """``nbgrader_config.py``: solutions/ is nbgrader's source, assignments/ its release."""
        return self.root / "nbgrader_config.py"

    @property
    def hidden_root(self) -> Path:
        """``tests/hidden/``: every hidden suite (graders only)."""
        return self.root / "tests" / "hidden"

    # ---------------------------------------------------------------- helper modules of a folder
    @staticmethod
    def import_helper(folder: Path, name: str, *, as_name: str | None = None) -> ModuleType:
        """Import ``<folder>/<name>.py``, a helper module of a hidden suite or of the known bugs, as pytest
        imports it: with ``folder`` on ``sys.path`` (the helpers of a folder import each other as siblings).

        ``as_name`` registers the module under another name in ``sys.modules``, for files that every suite
        has (``quality.py``): the same name in two suites would otherwise be one module.

        For trusted code only (tests, scripts, calibration): never in a submission's process.
        """
        folder = Path(folder).resolve()
        if str(folder) not in sys.path:
            sys.path.insert(0, str(folder))
        if as_name is None:
            return importlib.import_module(name)
        path = folder / f"{name}.py"
        cached = sys.modules.get(as_name)
        if cached is not None and getattr(cached, "__file__", None) == str(path):
            return cached
        spec = importlib.util.spec_from_file_location(as_name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[as_name] = module
        try:
            spec.loader.exec_module(module)
        except BaseException:
            del sys.modules[as_name]
            raise
        return module
