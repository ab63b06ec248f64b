"""The pytest plugin that runs hidden suites against a student's notebook.

Registered through the ``pytest11`` entry point, so it is active wherever gradelib is installed::

    pytest tests/hidden/autoregressive --submission autoregressive.ipynb --device auto --budget quick

Options: ``--submission``, ``--device``, ``--budget``, ``--gradelib-results`` (write Gradescope's
results.json, updated after every test so that a killed run still says what passed),
``--cell-timeout`` (seconds a notebook cell may run while loading), ``--test-timeout``
(seconds one test may run), ``--cpu-threads`` and ``--seed-offset`` (added to every test's seed).
Their defaults are in :mod:`gradelib.settings`.

Fixtures: ``submission`` (a fresh module from the notebook, per test), ``reference`` (a fresh
module from the assignment's solution notebook, loaded the same way), ``device``, ``budget``,
``assignment_id``, ``course`` (a :class:`gradelib.course.Course`). Marker: ``@pytest.mark.points(n)``.
Every test is seeded (Python, NumPy, torch) with ``seed_for("<file name>::<test name>", seed_offset)``,
so a test gives the same result alone or in a suite.
"""

from __future__ import annotations

import contextlib
import os
import time
from pathlib import Path

import pytest

from gradelib import settings
from gradelib.course import Course
from gradelib.loader import (
    CodeCell,
    NotebookDidNotLoadError,
    NotebookFormatError,
    SubmissionError,
    SubmissionModule,
    build_module,
    read_code_cells,
)
from gradelib.messages import student_message
from gradelib.pictures import record as pictures
from gradelib.results import FAILED, PASSED, GradeReport, TestResult
from gradelib.seeding import seed_everything, seed_for
from gradelib.timelimit import time_limit

__all__ = ["TestTimeoutError", "seed_of", "points_of", "group_of", "title_of", "public_data_paths"]


class TestTimeoutError(Exception):
    """A test ran longer than ``--test-timeout``."""

    __test__ = False


# --------------------------------------------------------------------------------------------
# Options and configuration
# --------------------------------------------------------------------------------------------
def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("gradelib", "grading notebooks with hidden suites")
    group.addoption("--submission", metavar="PATH", default=None, help="the student's notebook (.ipynb) to grade")
    group.addoption(
        "--device", choices=settings.DEVICES, default=settings.DEFAULT_DEVICE,
        help=f"torch device for the tests (default: {settings.DEFAULT_DEVICE})",
    )
    group.addoption(
        "--budget", choices=settings.BUDGETS, default=settings.DEFAULT_BUDGET,
        help=f"quick: a laptop CPU; full: GPU, real-size data (default: {settings.DEFAULT_BUDGET})",
    )
    group.addoption("--gradelib-results", metavar="PATH", default=None, help="write Gradescope's results.json here")
    group.addoption(
        "--gradelib-manifest-fd", type=int, default=None,
        help="write the collected tests (JSON) to this file descriptor and close it, before any test runs",
    )
    group.addoption(
        "--cell-timeout", type=float, default=settings.DEFAULT_CELL_TIMEOUT,
        help=f"seconds one notebook cell may run while loading (default: {settings.DEFAULT_CELL_TIMEOUT:g})",
    )
    group.addoption("--test-timeout", type=float, default=None, help="seconds one test may run (default: no limit)")
    group.addoption(
        "--memory-limit-gb", type=float, default=settings.DEFAULT_MEMORY_LIMIT_GB,
        help="resident memory of the submission's processes together, in GiB (default: %(default)s)",
    )
    group.addoption(
        "--cpu-threads", type=int, default=settings.DEFAULT_CPU_THREADS,
        help=f"torch CPU threads (default {settings.DEFAULT_CPU_THREADS}: the threshold calibration's setting; "
        "also fastest when graders share cores)",
    )
    group.addoption(
        "--seed-offset", type=int, default=settings.DEFAULT_SEED_OFFSET,
        help=f"added to every test's seed (default: {settings.DEFAULT_SEED_OFFSET}, as when grading)",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "points(n): the points a hidden test is worth")
    os.environ.setdefault("MPLBACKEND", "Agg")
    source = _source_of(config)
    if source is not None and not config.getoption("collectonly"):
        # Start loading the notebook first: the submission process imports torch and runs the student's cells
        # while this process imports torch and collects the hidden suite (about half the grading time on a CPU).
        source.launch_early()
    import torch

    torch.set_num_threads(max(config.getoption("--cpu-threads"), 1))
    if config.getoption("--device") == "cuda" and not torch.cuda.is_available():
        raise pytest.UsageError("--device cuda was asked for, but torch sees no CUDA device here.")
    pictures.register(config)  # pictures attached by a test are drawn after its verdict (gradelib.pictures)
    results_path = config.getoption("--gradelib-results")
    if results_path:
        config.pluginmanager.register(ResultsRecorder(Path(results_path)), "gradelib-results-recorder")
    manifest_fd = config.getoption("--gradelib-manifest-fd")
    if manifest_fd is not None:
        config.pluginmanager.register(ManifestWriter(manifest_fd), "gradelib-manifest-writer")


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
def course(request: pytest.FixtureRequest) -> Course:
    """The course directory the hidden test belongs to (it holds ``solutions/`` and ``tests/hidden/``)."""
    return Course.find(Path(request.path).resolve().parent)


@pytest.fixture(scope="session")
def _submission_source(pytestconfig: pytest.Config) -> SubmissionSource:
    source = _source_of(pytestconfig)
    if source is None:
        raise pytest.UsageError("Hidden tests need a notebook to grade: pass --submission PATH.ipynb")
    yield source
    source.close()


def _source_of(config: pytest.Config) -> SubmissionSource | None:
    """The session's submission (made once, on first use), or None without ``--submission``."""
    path = config.getoption("--submission")
    if not path:
        return None
    source = getattr(config, "_gradelib_submission_source", None)
    if source is None:
        device = config.getoption("--device")
        gpu = device == "cuda" or (device == "auto" and _cuda_available())
        source = SubmissionSource(
            Path(path), cell_timeout=config.getoption("--cell-timeout"),
            cpu_threads=max(config.getoption("--cpu-threads"), 1), gpu=gpu,
            memory_limit_gb=config.getoption("--memory-limit-gb"),
            public_paths=public_data_paths(config.rootpath),
        )
        config._gradelib_submission_source = source
    return source


def _cuda_available() -> bool:
    """Does this machine have a CUDA device? Asked before torch is imported, so NVIDIA's device files answer."""
    import sys

    if "torch" in sys.modules:
        return sys.modules["torch"].cuda.is_available()
    return any(Path("/dev").glob("nvidia[0-9]*"))


def pytest_unconfigure(config: pytest.Config) -> None:
    source = getattr(config, "_gradelib_submission_source", None)
    if source is not None:
        source.close()


@pytest.hookimpl(trylast=True)
def pytest_collection_finish(session: pytest.Session) -> None:
    """Start loading the notebook if pytest_configure did not (it does unless ``--collect-only``)."""
    source = _source_of(session.config)
    if source is not None and session.items and not session.config.getoption("collectonly"):
        source.launch_early()


@pytest.fixture
def submission(_submission_source: SubmissionSource, _gradelib_seed: int):
    """The student's notebook as a module: a fresh copy of it, loaded once, in the submission process.

    Its classes and functions are proxies (:class:`gradelib.sandbox.remote.RemoteObject`): calls run in the
    submission process and return data; nothing the student's code does there can reach this process.
    """
    module = _submission_source.fork_test(_gradelib_seed)
    yield module
    _submission_source.end_test()


@pytest.fixture(scope="session")
def _reference_sources(pytestconfig: pytest.Config) -> dict:
    return {}


@pytest.fixture
def reference(_reference_sources: dict, course: Course, assignment_id: str) -> SubmissionModule:
    """A fresh module built from the assignment's solution notebook, by the same loader."""
    path = course.solution(assignment_id)
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
def _gradelib_seed(request: pytest.FixtureRequest) -> int:
    """Seed Python, NumPy and torch from the test's own name (plus ``--seed-offset``) before every test."""
    seed = seed_of(request.node)
    seed_everything(seed)
    return seed


class NotebookSource:
    """A trusted notebook (the reference solution) read once and built into a fresh local module on every request."""

    def __init__(self, path: Path, cell_timeout: float | None) -> None:
        self.path = path
        self.cell_timeout = cell_timeout
        self._cells: list[CodeCell] | None = None

    def load(self) -> SubmissionModule:
        if self._cells is None:
            self._cells = read_code_cells(self.path)
        return build_module(self._cells, notebook_path=self.path, cell_timeout=self.cell_timeout)


class SubmissionSource:
    """The student's notebook, loaded once in a contained submission process; a fresh copy of it per test.

    A notebook that cannot be read, or does not finish loading (a cell ran past ``cell_timeout``), fails every
    test at once with the same message, so a loop costs one ``cell_timeout``, not one per test. If the
    submission process dies (its code killed it), it is started again for the next test, at most
    ``MAX_RESTARTS`` times. If loading initialised CUDA (which a forked process cannot use), every test
    gets a process of its own, loaded anew.
    """

    MAX_RESTARTS = 3

    def __init__(self, path: Path, *, cell_timeout: float | None, cpu_threads: int, gpu: bool,
                 memory_limit_gb: float, public_paths: tuple[Path, ...] = ()) -> None:
        self.public_paths = public_paths
        self.path = path
        self.cell_timeout = cell_timeout
        self.cpu_threads = cpu_threads
        self.gpu = gpu
        self.memory_limit_gb = memory_limit_gb
        self._cells: list[CodeCell] | None = None
        self._failure: SubmissionError | None = None
        self._process = None
        self._connection = None
        self._restarts = 0
        self._respawn = False
        self._launched = None

    def fork_test(self, seed: int):
        from gradelib.sandbox.remote import SubmissionDied

        process = self._running()
        try:
            module, self._connection = process.fork_test()
        except SubmissionDied:
            self._stop()
            if self._restarts >= self.MAX_RESTARTS:
                raise
            self._restarts += 1
            module, self._connection = self._running().fork_test()
        self._connection.request("seed", seed=seed)
        return module

    def end_test(self) -> None:
        if self._process is not None:
            self._process.end_test(self._connection)
            if self._respawn:
                self._stop()
        self._connection = None

    def close(self) -> None:
        self._stop()

    def launch_early(self) -> None:
        """Start the submission process now (it loads the notebook while the caller goes on); errors wait for a test."""
        with contextlib.suppress(Exception):  # the first test reports what went wrong
            self._launch()

    # ---------------------------------------------------------------- the process
    def _launch(self):
        """The launched (perhaps still loading) process, made on first call; raises a stored failure."""
        from gradelib.sandbox.launch import SandboxLimits, SubmissionProcess, take_spare

        if self._failure is not None:
            raise type(self._failure)(str(self._failure))
        if self._launched is not None:
            return self._launched
        if self._cells is None:
            try:
                self._cells = read_code_cells(self.path)
            except NotebookFormatError as error:
                self._failure = error
            except (OSError, UnicodeError) as error:
                self._failure = NotebookFormatError(f"The notebook could not be read: {error}")
            if self._failure is not None:
                raise type(self._failure)(str(self._failure))
        wanted = SubmissionProcess(
            self._cells, cell_timeout=self.cell_timeout, cpu_threads=self.cpu_threads, gpu=self.gpu,
            limits=SandboxLimits(memory_gb=self.memory_limit_gb), public_paths=self.public_paths,
        )
        process = take_spare(wanted)  # a warm start (gradelib.warm) offers one, already past its imports
        if process is not None:
            process.adopt(wanted)
        else:
            process = wanted
            process.launch()
        self._launched = process
        return process

    def _running(self):
        from gradelib.processes import MACHINE_OUT_OF_MEMORY
        from gradelib.sandbox.channel import ChannelClosed, ChannelTimeout

        if self._failure is not None:
            raise type(self._failure)(str(self._failure))
        if self._process is not None:
            return self._process
        process = self._launch()
        self._launched = None  # a later restart launches a new one
        load_limit = (self.cell_timeout or 600.0) * max(len(self._cells), 1) + 60.0
        try:
            report = process.wait_loaded(timeout=min(load_limit, 3600.0))
        except (ChannelClosed, ChannelTimeout, OSError) as error:
            reason = process.killed_for or (
                "it did not finish in time" if isinstance(error, ChannelTimeout) else "its process ended while loading")
            advice = ("Long training must be guarded with `if not gradelib.grading():`; code at top level must not "
                      "exit or crash Python.")
            if not process.killed_for and process.machine_ran_out_of_memory():
                reason, advice = f"its process ended while loading: {MACHINE_OUT_OF_MEMORY}", ""
            process.close()
            self._failure = NotebookDidNotLoadError(
                f"Your notebook did not finish loading, so nothing in it could be graded: {reason}. {advice}".strip()
            )
            raise NotebookDidNotLoadError(str(self._failure)) from None
        if report.did_not_load:
            process.close()
            self._failure = NotebookDidNotLoadError(
                f"Your notebook did not finish loading, so nothing in it could be graded: {report.did_not_load}"
            )
            raise NotebookDidNotLoadError(str(self._failure))
        self._respawn = report.cuda_initialized
        self._process = process
        return process

    def _stop(self) -> None:
        if self._launched is not None:
            self._launched.close()
            self._launched = None
        if self._process is not None:
            self._process.close()
            self._process = None


def public_data_paths(root: Path) -> tuple[Path, ...]:
    """Data the submission may read: the course's datasets/ folder (and $GRADELIB_DATA_ROOT)."""
    paths = [root / "datasets"] if Course.is_course(root) else []
    if os.environ.get(settings.ENV_DATA_ROOT):
        paths.append(Path(os.environ[settings.ENV_DATA_ROOT]))
    return tuple(path.resolve() for path in paths if path.exists())


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
class ManifestWriter:
    """Tells the grading parent which tests were collected, through a pipe closed before any test runs.

    The parent counts only these tests (and at most their points): nothing written later, by anyone,
    can add a test or raise its points.
    """

    def __init__(self, fd: int) -> None:
        self.fd = fd

    @pytest.hookimpl(trylast=True)
    def pytest_collection_finish(self, session: pytest.Session) -> None:
        import json

        manifest = [{"nodeid": item.nodeid, "name": title_of(item), "group": group_of(item),
                     "max_score": points_of(item)} for item in session.items]
        data = json.dumps(manifest).encode()
        try:
            while data:
                written = os.write(self.fd, data)
                data = data[written:]
        finally:
            os.close(self.fd)


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
                name=title_of(item),
                score=0.0,
                max_score=points_of(item),
                status=FAILED,
                output=settings.NOT_RUN_MESSAGE,
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
            result.pictures = pictures.pictures_of(item)
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
# What a test is: its seed, points, group and title
# --------------------------------------------------------------------------------------------
def seed_of(item: pytest.Item) -> int:
    """The test's seed, the same wherever the suite runs from: ``seed_for("<file>::<test name>", --seed-offset)``."""
    return seed_for(f"{Path(item.path).name}::{item.name}", item.config.getoption("--seed-offset"))


def points_of(item: pytest.Item) -> float:
    """The points of a test from its ``@pytest.mark.points(n)`` marker (0 without one)."""
    marker = item.get_closest_marker("points")
    return float(marker.args[0]) if marker and marker.args else 0.0


def group_of(item: pytest.Item) -> str:
    """The test's group: its file name without ``test_`` and ``.py``."""
    stem = Path(item.path).stem
    return stem[len("test_"):] if stem.startswith("test_") else stem


def title_of(item: pytest.Item) -> str:
    """What the student reads: the first line of the test's docstring (else its name)."""
    function = getattr(item, "function", None)
    doc = (getattr(function, "__doc__", None) or "").strip()
    title = doc.splitlines()[0].strip() if doc else item.name
    callspec = getattr(item, "callspec", None)
    if callspec is not None and doc:
        title += f" [{callspec.id}]"
    return title
