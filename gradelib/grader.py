"""Grade one notebook: run its assignment's hidden suite in a trusted process of its own.

Three processes take part. This one (the parent) starts pytest (the trusted child, which never runs
student code) in its own process group, in a private scratch folder; the gradelib plugin there starts
the student's notebook in a contained submission process (:mod:`gradelib.sandbox`) and decides every
verdict itself. The child lists the tests it collected through a pipe that it closes before any test
runs, and rewrites ``results.json`` after every test. The parent waits at most ``timeout`` seconds,
kills the whole group if it must, and counts only the tests of that list, each at most at its points;
a test the child never reached is failed with the reason (time limit, or the child ended abruptly).
So the grader always finishes and always has a full report, whatever the submission does.

    report = grade_notebook(Path("sub.ipynb"), "autoregressive", GradingOptions(budget="quick"))
    print(format_table(report))
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from gradelib import settings
from gradelib.course import Course, UnknownAssignmentError
from gradelib.logs import read_tail
from gradelib.pictures.picture import accepted_pictures
from gradelib.processes import MACHINE_OUT_OF_MEMORY, kill_group, oom_kill_count, oom_kills_since
from gradelib.results import FAILED, PASSED, GradeReport, TestResult

if TYPE_CHECKING:
    from gradelib.warm import WarmStart

__all__ = [
    "GradingOptions",
    "GraderError",
    "UnknownAssignmentError",
    "grade_notebook",
    "collect_suite",
    "format_table",
    "tool_environment",
]


@dataclass(frozen=True)
class GradingOptions:
    """How to grade; the command line, the nbgrader door and the API share these defaults (``gradelib.settings``).

    Attributes:
        device: ``auto``, ``cpu`` or ``cuda``.
        budget: ``quick`` (a laptop CPU, about a minute) or ``full`` (GPU, real-size data).
        timeout: seconds the whole hidden suite may take, loading included.
        test_timeout: seconds one test may take.
        cell_timeout: seconds one notebook cell may run while the notebook loads.
        seed_offset: added to every test's seed (0 when grading, so that grading is deterministic).
        memory_limit_gb: resident memory that the submission's processes may use together, in GiB
            (watched while it runs, so that CUDA still works; see :mod:`gradelib.sandbox.launch`).
    """

    device: str = settings.DEFAULT_DEVICE
    budget: str = settings.DEFAULT_BUDGET
    timeout: float = settings.DEFAULT_TIMEOUT
    test_timeout: float = settings.DEFAULT_TEST_TIMEOUT
    cell_timeout: float = settings.DEFAULT_CELL_TIMEOUT
    seed_offset: int = settings.DEFAULT_SEED_OFFSET
    memory_limit_gb: float = settings.DEFAULT_MEMORY_LIMIT_GB


class GraderError(RuntimeError):
    """The grader itself could not grade (a broken course directory or hidden suite), not the submission."""


def grade_notebook(
    notebook: Path,
    assignment: str,
    options: GradingOptions | None = None,
    *,
    course: Course | None = None,
    groups: list[str] | None = None,
    warm: WarmStart | None = None,
) -> GradeReport:
    """Grade a notebook with the assignment's hidden suite, in a child process.

    Args:
        notebook: the submission (.ipynb). Need not be valid: a broken notebook is graded as such.
        assignment: the assignment id, e.g. ``autoregressive``.
        options: device, budget, seed offset and time limits (default: ``GradingOptions()``).
        course: the course directory; found with :meth:`Course.find` when None.
        groups: grade only these groups (test files ``test_<group>.py``); None for all.
        warm: a running :class:`gradelib.warm.WarmStart` to fork the trusted process from (and take a spare
            submission process from), for many gradings in a row; the grading is otherwise the same.

    Returns:
        The complete report: one result per collected test.

    Raises:
        UnknownAssignmentError: no hidden suite for ``assignment``.
        GraderError: the hidden suite itself could not be collected or run.
    """
    options = options or GradingOptions()
    course = _resolved(course)
    course.require(assignment)
    notebook = Path(notebook).resolve()
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="gradelib-") as scratch:
        scratch = Path(scratch)
        results_path = scratch / "results.json"
        command = _pytest_command(course, assignment, scratch, groups) + [
            "--submission", str(notebook),
            "--device", options.device,
            "--budget", options.budget,
            "--gradelib-results", str(results_path),
            "--cell-timeout", str(options.cell_timeout),
            "--test-timeout", str(options.test_timeout),
            "--seed-offset", str(options.seed_offset),
            "--memory-limit-gb", str(options.memory_limit_gb),
        ]
        manifest = _ManifestReader()  # the tests that count, as the child collected them before any ran
        command += ["--gradelib-manifest-fd", str(manifest.write_fd)]
        oom_kills_before = oom_kill_count()
        returncode, timed_out, log = _run_isolated(command, cwd=scratch, timeout=options.timeout, scratch=scratch,
                                                   pass_fds=(manifest.write_fd,), after_start=manifest.close_write_end,
                                                   warm=warm)
        expected = manifest.result() or _collect_for_report(course, assignment, groups, warm=warm)
        report = _accept_results(expected, results_path)
        suite = course.hidden_suite(assignment)
        if not report.tests:
            raise GraderError(f"The hidden suite {suite} collected no tests (exit code {returncode}).\n{_tail(log)}")
        if returncode in (3, 4) and not timed_out:
            raise GraderError(f"pytest could not run the hidden suite (exit code {returncode}).\n{_tail(log)}")
    out_of_memory = returncode == -signal.SIGKILL and not timed_out and oom_kills_since(oom_kills_before)
    _complete_unfinished(report, timed_out, returncode, options.timeout, out_of_memory=out_of_memory)
    report.execution_time = time.monotonic() - started
    return report


class _ManifestReader:
    """Reads, in a thread, the list of collected tests that the pytest child writes to a pipe before running any."""

    def __init__(self) -> None:
        self.read_fd, self.write_fd = os.pipe()
        self._chunks: list[bytes] = []
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        size = 0
        while True:
            chunk = os.read(self.read_fd, 1 << 16)
            if not chunk:
                break
            size += len(chunk)
            if size > 16 * 2**20:  # far more than any suite's list of tests
                break
            self._chunks.append(chunk)
        os.close(self.read_fd)

    def close_write_end(self) -> None:
        os.close(self.write_fd)

    def result(self) -> GradeReport | None:
        """The collected tests as a report (each not run yet), or None if the child never listed them."""
        self._thread.join(timeout=10)
        try:
            entries = json.loads(b"".join(self._chunks).decode())
        except (ValueError, UnicodeDecodeError):
            return None
        report = GradeReport()
        for entry in entries if isinstance(entries, list) else []:
            report.tests.append(TestResult(
                name=str(entry["name"]), score=0.0, max_score=float(entry["max_score"]), status=FAILED,
                output=settings.NOT_RUN_MESSAGE, group=str(entry["group"]), nodeid=str(entry["nodeid"]),
            ))
        return report if report.tests else None


def _accept_results(expected: GradeReport, results_path: Path) -> GradeReport:
    """The report of the tests we collected ourselves, completed from the child's results file.

    Only test ids that we collected count; a test's score is its points if the child says it passed, else 0
    (never more than its points, whatever the file says); anything unreadable counts as not run.
    """
    found: dict[str, dict] = {}
    if results_path.exists():
        try:
            data = json.loads(results_path.read_text(encoding="utf-8"))
            for test in data.get("tests", []) if isinstance(data, dict) else []:
                if isinstance(test, dict) and isinstance(test.get("nodeid"), str):
                    found.setdefault(test["nodeid"], test)
        except (OSError, ValueError):
            found = {}
    for test in expected.tests:
        result = found.get(test.nodeid)
        if result is None:
            continue
        output = result.get("output") if isinstance(result.get("output"), str) else ""
        if result.get("output_format") == "html":  # a test with pictures: its plain message is under "message"
            output = result.get("message") if isinstance(result.get("message"), str) else ""
        if result.get("status") == PASSED and result.get("score") == test.max_score:
            test.status, test.score, test.output = PASSED, test.max_score, ""
        elif output != settings.NOT_RUN_MESSAGE:
            test.status, test.score, test.output = FAILED, 0.0, output[:4000] or "The test failed."
        test.pictures = accepted_pictures(result.get("pictures"))  # checked PNGs only; they never change a score
    return expected


def collect_suite(assignment: str, course: Course | None = None, groups: list[str] | None = None) -> GradeReport:
    """The hidden suite's tests with their points, none run (every one reported as not run)."""
    course = _resolved(course)
    course.require(assignment)
    return _collect_for_report(course, assignment, groups)


def _resolved(course: Course | None) -> Course:
    return Course(course.root.resolve()) if course is not None else Course.find()


def format_table(report: GradeReport, *, width: int = 100) -> str:
    """A plain-text table of a report, ``width`` columns wide: group, test, points, status; then the total.

    Nothing is cut: a long test name (with its parameters, e.g. ``[A-3]``) wraps within its column, and
    the first line of a failure's message follows its row, wrapped and indented under the test's name.
    """
    rows = [(test.group, test.name, f"{_number(test.score)}/{_number(test.max_score)}", test.status)
            for test in report.tests]
    header = ("group", "test", "points", "status")
    group_w = min(max([len(header[0])] + [len(row[0]) for row in rows]), 16)
    points_w = max([len(header[2])] + [len(row[2]) for row in rows])
    status_w = max([len(header[3])] + [len(row[3]) for row in rows])
    name_w = max(width - group_w - points_w - status_w - 6, 20)
    widths = (group_w, name_w, points_w, status_w)
    indent = " " * (group_w + 2)
    lines = [_table_row(header, widths), "  ".join("-" * w for w in widths)]
    for test, row in zip(report.tests, rows, strict=True):
        lines.append(_table_row(row, widths))
        message = test.output.strip().splitlines()[0] if test.output.strip() else ""
        if message:
            lines += textwrap.wrap(message, width=max(width, len(indent) + 20), initial_indent=indent + "> ",
                                   subsequent_indent=indent + "  ", break_on_hyphens=False)
    lines.append(f"TOTAL  {_number(report.score)} / {_number(report.max_score)}")
    return "\n".join(lines)


def _table_row(cells: tuple[str, ...], widths: tuple[int, ...]) -> str:
    """One row of the table; each cell wraps within its column (lines below it stay aligned)."""
    columns = [
        textwrap.wrap(text, width=w, break_on_hyphens=False) or [""] for text, w in zip(cells, widths, strict=True)
    ]
    height = max(len(column) for column in columns)
    lines = []
    for index in range(height):
        parts = [
            (column[index] if index < len(column) else "").ljust(w) for column, w in zip(columns, widths, strict=True)
        ]
        lines.append("  ".join(parts).rstrip())
    return "\n".join(lines)


def _pytest_command(course: Course, assignment: str, scratch: Path, groups: list[str] | None) -> list[str]:
    ini = scratch / "pytest.ini"
    ini.write_text("[pytest]\n", encoding="utf-8")  # the course's own pytest settings do not apply to grading
    targets = (
        [str(course.group_file(assignment, group)) for group in groups]
        if groups
        else [str(course.hidden_suite(assignment))]
    )
    return [
        sys.executable, "-m", "pytest", *targets,
        "-c", str(ini),
        "--rootdir", str(course.root),
        "--confcutdir", str(course.hidden_root),
        "-p", "no:cacheprovider",
        "--assert=plain",
        "-q", "-rN",
        "-W", "ignore",
    ]


def tool_environment() -> dict[str, str]:
    """The environment for a child process, with this interpreter's scripts folder first on PATH
    (nbgrader runs ``alembic`` by name, and the venv may not be activated)."""
    env = dict(os.environ)
    scripts = str(Path(sys.executable).parent)
    env["PATH"] = scripts + os.pathsep + env.get("PATH", "")
    return env


def child_environment() -> dict[str, str]:
    """The environment of a grading's trusted pytest process (and of a warm start's fork server)."""
    env = tool_environment()
    env.update({settings.ENV_GRADING: "1", "MPLBACKEND": "Agg", "PYTHONHASHSEED": "0", "PYTHONDONTWRITEBYTECODE": "1"})
    env.pop(settings.ENV_NBGRADER, None)  # the child is gradelib's, whoever called it
    return env


def _run_isolated(command: list[str], *, cwd: Path, timeout: float, scratch: Path, pass_fds: tuple = (),
                  after_start=None, warm: WarmStart | None = None) -> tuple[int, bool, str]:
    """Run a command in its own process group (forked by ``warm`` when given); kill the group at the time limit;
    return its exit code, whether it timed out, and the log's tail."""
    log_path = scratch / "pytest.log"
    with open(log_path, "wb") as log:
        env = child_environment()
        env["TMPDIR"] = str(scratch)  # the child's temporary files (its sandboxes' too) go with this grading's scratch
        process = None
        if warm is not None:
            fds = {1: log.fileno(), 2: log.fileno(), **{fd: fd for fd in pass_fds}}
            try:
                process = warm.run(command, cwd=cwd, env=env, fds=fds, spare="--collect-only" not in command)
            except (RuntimeError, OSError):  # the warm start is gone (ChannelClosed is an OSError): start cold
                warm = None
        if process is None:
            process = subprocess.Popen(
                command, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=log,
                stderr=subprocess.STDOUT, start_new_session=True, pass_fds=pass_fds,
            )
        if after_start is not None:
            after_start()
        timed_out = False
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
        finally:
            if warm is None or timed_out:  # a warm start's server reaps its forks at once: never signal a free pid
                kill_group(process.pid)
            returncode = process.wait()
    return returncode, timed_out, read_tail(log_path)


def _collect_for_report(course: Course, assignment: str, groups: list[str] | None,
                        warm: WarmStart | None = None) -> GradeReport:
    with tempfile.TemporaryDirectory(prefix="gradelib-collect-") as scratch:
        scratch = Path(scratch)
        results_path = scratch / "results.json"
        command = _pytest_command(course, assignment, scratch, groups) + [
            "--collect-only", "--gradelib-results", str(results_path),
        ]
        returncode, _, log = _run_isolated(command, cwd=course.root, timeout=300, scratch=scratch, warm=warm)
        if not results_path.exists():
            suite = course.hidden_suite(assignment)
            raise GraderError(
                f"The hidden suite {suite} could not be collected (exit code {returncode}).\n{_tail(log)}"
            )
        return GradeReport.read(results_path)


def _complete_unfinished(report: GradeReport, timed_out: bool, returncode: int, timeout: float, *,
                         out_of_memory: bool = False) -> None:
    """Fail, with the reason, every test that the child process never finished (``out_of_memory``: the kernel's
    out-of-memory killer ended it, which says more about the grading machine than about the notebook)."""
    unfinished = [test for test in report.tests if test.output == settings.NOT_RUN_MESSAGE]
    if not unfinished:
        return
    if out_of_memory:
        why = f"This test did not run: the grading was stopped before it: {MACHINE_OUT_OF_MEMORY}."
    elif timed_out:
        why = (
            f"This test did not run: grading stopped at the time limit of {timeout:g} s for the whole notebook. "
            "Your notebook may loop forever when it is loaded, or train for long outside `if not gradelib.grading():`."
        )
    else:  # pytest finishes every test it collected unless its process is ended from inside
        why = (
            f"This test did not run: the grading process ended abruptly (exit code {returncode}) before it. "
            "Your notebook may call os._exit, sys.exit or exit() at top level, or crash Python."
        )
    for test in unfinished:
        test.status, test.score, test.output = FAILED, 0.0, why
    report.output = (report.output + "\n" + why).strip()


def _tail(text: str, lines: int = 40) -> str:
    return "\n".join(text.splitlines()[-lines:])


def _number(value: float) -> str:
    return f"{value:g}"
