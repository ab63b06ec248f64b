"""The pytest plugin that runs hidden suites against a student's notebook.

Registered through the ``pytest11`` entry point, so it is active wherever gradelib is installed::

    pytest tests/hidden/autoregressive --submission autoregressive.ipynb --device auto --budget quick

Options: ``--submission``, ``--device``, ``--budget``, ``--gradelib-results`` (write Gradescope's
results.json, updated after every test so that a killed run still says what passed),
``--cell-timeout`` (seconds a notebook cell may run while loading) and ``--test-timeout``
(seconds one test may run).

Fixtures: ``submission`` (a fresh module from the notebook, per test), ``reference`` (a fresh
module from the assignment's solution notebook, loaded the same way), ``device``, ``budget``,
``assignment_id``, ``course_root``. Marker: ``@pytest.mark.points(n)``. Every test is seeded
(Python, NumPy, torch) from its own name, so a test gives the same result alone or in a suite.
"""

from __future__ import annotations

import os
import random
import time
import zlib
from pathlib import Path

import pytest

from gradelib.loader import (
    CellTimeoutError,
    CodeCell,
    NotebookDidNotLoadError,
    NotebookFormatError,
    SubmissionError,
    SubmissionModule,
    build_module,
    read_code_cells,
)
from gradelib.messages import student_message
from gradelib.results import FAILED, PASSED, GradeReport, TestResult
from gradelib.timelimit import time_limit

__all__ = ["DEVICES", "BUDGETS", "TestTimeoutError", "seed_everything", "test_seed", "group_of"]

DEVICES = ("auto", "cpu", "cuda")
BUDGETS = ("quick", "full")
NOT_RUN_MESSAGE = (
    "This test did not run: grading stopped before it reached this test (the time limit was reached, "
    "or the submission ended the grading process, for example with os._exit or by crashing Python)."
)


class TestTimeoutError(Exception):
    """A test ran longer than ``--test-timeout``."""

    __test__ = False


# --------------------------------------------------------------------------------------------
# Options and configuration
# --------------------------------------------------------------------------------------------
def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("gradelib", "grading notebooks with hidden suites")
    group.addoption("--submission", metavar="PATH", default=None, help="the student's notebook (.ipynb) to grade")
    group.addoption("--device", choices=DEVICES, default="auto", help="torch device for the tests (default: auto)")
    group.addoption("--budget", choices=BUDGETS, default="quick", help="quick: a laptop CPU; full: GPU, real-size data")
    group.addoption("--gradelib-results", metavar="PATH", default=None, help="write Gradescope's results.json here")
    group.addoption("--cell-timeout", type=float, default=60.0, help="seconds one notebook cell may run while loading")
    group.addoption("--test-timeout", type=float, default=None, help="seconds one test may run (default: no limit)")
    group.addoption("--seed-offset", type=int, default=0, help="added to every test's seed (default 0, as in grading)")
    group.addoption(
        "--cpu-threads", type=int, default=1,
        help="torch CPU threads (default 1: the threshold calibration's setting; also fastest when graders share cores)",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "points(n): the points a hidden test is worth")
    os.environ.setdefault("MPLBACKEND", "Agg")
    import torch

    torch.set_num_threads(max(config.getoption("--cpu-threads"), 1))
    if config.getoption("--device") == "cuda":
        if not torch.cuda.is_available():
            raise pytest.UsageError("--device cuda was asked for, but torch sees no CUDA device here.")
    results_path = config.getoption("--gradelib-results")
    if results_path:
        config.pluginmanager.register(ResultsRecorder(Path(results_path)), "gradelib-results-recorder")


# --------------------------------------------------------------------------------------------
# Fixtures
# --------------------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def budget(pytestconfig: pytest.Config) -> str:
    """The grading budget: ``quick`` (about a minute on a laptop CPU) or ``full`` (GPU, real data)."""
    return pytestconfig.getoption("--budget")


@pytest.fixture(scope="session")
def device(pytestconfig: pytest.Config):
    """The torch.device the tests run on (``auto`` picks CUDA when torch sees it)."""
    import torch

    choice = pytestconfig.getoption("--device")
    if choice == "auto":
        choice = "cuda" if torch.cuda.is_available() else "cpu"
    return torch.device(choice)


@pytest.fixture
def assignment_id(request: pytest.FixtureRequest) -> str:
    """The assignment a hidden test belongs to: the name of its folder ``tests/hidden/<id>/``."""
    return Path(request.path).parent.name


@pytest.fixture
def course_root(request: pytest.FixtureRequest) -> Path:
    """The course directory holding ``solutions/`` and ``tests/hidden/``."""
    path = Path(request.path).resolve()
    if path.parent.parent.name != "hidden":
        raise pytest.UsageError(f"{path} is not inside tests/hidden/<assignment>/")
    return path.parents[3]


@pytest.fixture(scope="session")
def _submission_source(pytestconfig: pytest.Config) -> "NotebookSource":
    path = pytestconfig.getoption("--submission")
    if not path:
        raise pytest.UsageError("Hidden tests need a notebook to grade: pass --submission PATH.ipynb")
    return NotebookSource(Path(path), pytestconfig.getoption("--cell-timeout"))


@pytest.fixture
def submission(_submission_source: "NotebookSource") -> SubmissionModule:
    """A fresh module built from the student's notebook (its code cells, run in order)."""
    return _submission_source.load()


@pytest.fixture(scope="session")
def _reference_sources(pytestconfig: pytest.Config) -> dict:
    return {}


@pytest.fixture
def reference(_reference_sources: dict, course_root: Path, assignment_id: str) -> SubmissionModule:
    """A fresh module built from the assignment's solution notebook, by the same loader."""
    path = course_root / "solutions" / assignment_id / f"{assignment_id}.ipynb"
    if path not in _reference_sources:
        if not path.is_file():
            raise pytest.UsageError(f"The reference solution {path} is missing: the course directory is incomplete.")
        _reference_sources[path] = NotebookSource(path, cell_timeout=None)
    module = _reference_sources[path].load()
    if module.cell_errors:
        raise RuntimeError(
            "The reference solution itself failed to load (a grader problem, not yours): "
            + "; ".join(error.describe() for error in module.cell_errors)
        )
    return module


@pytest.fixture(scope="session")
def seed_offset(pytestconfig: pytest.Config) -> int:
    """``--seed-offset``: added to every seed (0 when grading); seeded training runs add it to their seed too."""
    return pytestconfig.getoption("--seed-offset")


@pytest.fixture(autouse=True)
def _gradelib_seed(request: pytest.FixtureRequest, seed_offset: int) -> int:
    """Seed Python, NumPy and torch from the test's own name (plus ``--seed-offset``) before every test."""
    seed = (test_seed(request.node) + seed_offset) & 0x7FFFFFFF
    seed_everything(seed)
    return seed


class NotebookSource:
    """A notebook read once per session and built into a fresh module on every request.

    A notebook must finish loading to be graded: if a cell runs past ``cell_timeout`` (an endless
    loop, or training that is not guarded by ``gradelib.grading()``), every later request fails at
    once with :class:`NotebookDidNotLoadError`, so the loop costs one ``cell_timeout``, not one per test.
    """

    def __init__(self, path: Path, cell_timeout: float | None) -> None:
        self.path = path
        self.cell_timeout = cell_timeout
        self._cells: list[CodeCell] | None = None
        self._failure: SubmissionError | None = None

    def load(self) -> SubmissionModule:
        if self._failure is None and self._cells is None:
            try:
                self._cells = read_code_cells(self.path)
            except NotebookFormatError as error:
                self._failure = error
            except (OSError, UnicodeError) as error:
                self._failure = NotebookFormatError(f"The notebook could not be read: {error}")
        if self._failure is not None:
            raise type(self._failure)(str(self._failure))
        module = build_module(self._cells, notebook_path=self.path, cell_timeout=self.cell_timeout)
        timed_out = [error for error in module.cell_errors if error.exception_type == CellTimeoutError.__name__]
        if timed_out:
            self._failure = NotebookDidNotLoadError(
                f"Your notebook did not finish loading, so nothing in it could be graded: {timed_out[0].describe()}"
            )
            raise NotebookDidNotLoadError(str(self._failure))
        return module


# --------------------------------------------------------------------------------------------
# Per-test time limit
# --------------------------------------------------------------------------------------------
@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item: pytest.Item):
    seconds = item.config.getoption("--test-timeout")
    with time_limit(seconds, lambda: _test_timeout_error(seconds)):
        yield


def _test_timeout_error(seconds: float) -> TestTimeoutError:
    return TestTimeoutError(
        f"This test ran for more than {seconds:g} s and was stopped. Your code may loop forever "
        "(for example a sampling loop that never ends) or be far slower than it needs to be."
    )



# --------------------------------------------------------------------------------------------
# Results
# --------------------------------------------------------------------------------------------
class ResultsRecorder:
    """Writes Gradescope's results.json: every collected test first as not run, then each outcome.

    The file is rewritten after every test, so a run that is killed still says what passed.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.report = GradeReport()
        self._by_nodeid: dict[str, TestResult] = {}
        self._failed: set[str] = set()
        self._started = time.monotonic()

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        for item in session.items:
            result = TestResult(
                name=test_title(item),
                score=0.0,
                max_score=points_of(item),
                status=FAILED,
                output=NOT_RUN_MESSAGE,
                group=group_of(item),
                nodeid=item.nodeid,
            )
            self._by_nodeid[item.nodeid] = result
            self.report.tests.append(result)
        self._write()

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo):
        outcome = yield
        report = outcome.get_result()
        result = self._by_nodeid.get(item.nodeid)
        if result is None:
            return
        if item.nodeid not in self._failed:
            if report.failed:
                self._fail(result, student_message(call.excinfo.value) if call.excinfo else "The test failed.")
            elif report.skipped:
                reason = getattr(call.excinfo.value, "msg", "skipped") if call.excinfo else "skipped"
                self._fail(result, f"This test did not run: {reason}")
            elif report.when == "call" and report.passed:
                result.status, result.score, result.output = PASSED, result.max_score, ""
        if report.when == "teardown":
            self._write()

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        self._write()

    def _fail(self, result: TestResult, message: str) -> None:
        self._failed.add(result.nodeid)
        result.status, result.score, result.output = FAILED, 0.0, message

    def _write(self) -> None:
        self.report.execution_time = time.monotonic() - self._started
        self.report.write(self.path)


# --------------------------------------------------------------------------------------------
# Helpers shared with the command line and the nbgrader bridge
# --------------------------------------------------------------------------------------------
def test_seed(item: pytest.Item) -> int:
    """A seed derived from the test's file name and name: the same wherever the suite is run from."""
    return zlib.crc32(f"{Path(item.path).name}::{item.name}".encode()) & 0x7FFFFFFF


def seed_everything(seed: int) -> None:
    """Seed Python's, NumPy's and torch's generators (all devices)."""
    random.seed(seed)
    try:
        import numpy

        numpy.random.seed(seed)
    except ImportError:  # pragma: no cover - numpy is a dependency
        pass
    try:
        import torch

        torch.manual_seed(seed)
    except ImportError:  # pragma: no cover - torch is a dependency
        pass


def points_of(item: pytest.Item) -> float:
    """The points of a test from its ``@pytest.mark.points(n)`` marker (0 without one)."""
    marker = item.get_closest_marker("points")
    return float(marker.args[0]) if marker and marker.args else 0.0


def group_of(item: pytest.Item) -> str:
    """The test's group: its file name without ``test_`` and ``.py``."""
    stem = Path(item.path).stem
    return stem[len("test_"):] if stem.startswith("test_") else stem


def test_title(item: pytest.Item) -> str:
    """What the student reads: the first line of the test's docstring (else its name)."""
    function = getattr(item, "function", None)
    doc = (getattr(function, "__doc__", None) or "").strip()
    title = doc.splitlines()[0].strip() if doc else item.name
    callspec = getattr(item, "callspec", None)
    if callspec is not None and doc:
        title += f" [{callspec.id}]"
    return title
