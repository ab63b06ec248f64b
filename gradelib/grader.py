"""Grade one notebook: run its assignment's hidden suite in a process of its own.

The student's code never runs in the grader's process. pytest runs in a child process (its own
process group) with the gradelib plugin, which rewrites ``results.json`` after every test; the
parent waits at most ``timeout`` seconds, kills the whole group if it must, and then completes
the report: a test the child never reached is failed with the reason (time limit, or the child
ended abruptly). So the grader always finishes and always has a full report, whatever the
submission does (``while True: pass``, ``os._exit(0)``, a segfault).

    report = grade_notebook(Path("sub.ipynb"), "autoregressive", GradingOptions(budget="quick"))
    print(format_table(report))
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import gradelib
from gradelib import GRADING_ENV
from gradelib.pytest_plugin import NOT_RUN_MESSAGE
from gradelib.results import FAILED, GradeReport

__all__ = [
    "DEFAULTS",
    "GradingOptions",
    "GraderError",
    "UnknownAssignmentError",
    "COURSE_ROOT_ENV",
    "find_course_root",
    "hidden_suite_dir",
    "known_assignments",
    "grade_notebook",
    "collect_suite",
    "format_table",
    "tool_environment",
]

#: Where the course directory is, when it cannot be found from the working directory.
COURSE_ROOT_ENV = "GRADELIB_COURSE_ROOT"


@dataclass(frozen=True)
class GradingOptions:
    """How to grade; the command line, the nbgrader bridge and the API share these defaults.

    Attributes:
        device: ``auto``, ``cpu`` or ``cuda``.
        budget: ``quick`` (a laptop CPU, about a minute) or ``full`` (GPU, real-size data).
        timeout: seconds the whole hidden suite may take, loading included.
        test_timeout: seconds one test may take.
        cell_timeout: seconds one notebook cell may run while the notebook loads.
        memory_limit_gb: address space the grading process may use, in GiB (0 for no limit).
            Applied on CPU-only machines: an address-space limit breaks CUDA, which reserves
            far more address space than it uses. A torch process needs about 4 GiB.
        seed_offset: added to every test's seed (0 when grading, so that grading is deterministic).
    """

    device: str = "auto"
    budget: str = "quick"
    timeout: float = 600.0
    test_timeout: float = 180.0
    cell_timeout: float = 60.0
    memory_limit_gb: float = 12.0
    seed_offset: int = 0


DEFAULTS = GradingOptions()


class GraderError(RuntimeError):
    """The grader itself could not grade (a broken course directory or hidden suite), not the submission."""


class UnknownAssignmentError(ValueError):
    """No hidden suite exists for this assignment id."""


def find_course_root(start: Path | None = None) -> Path:
    """The course directory: it holds ``tests/hidden/`` and ``solutions/``.

    Looks at ``$GRADELIB_COURSE_ROOT``, then the working directory and its parents, then the
    checkout gradelib itself was installed from.
    """
    if os.environ.get(COURSE_ROOT_ENV):
        return Path(os.environ[COURSE_ROOT_ENV]).resolve()
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "tests" / "hidden").is_dir():
            return folder
    checkout = Path(gradelib.__file__).resolve().parents[1]
    if (checkout / "tests" / "hidden").is_dir():
        return checkout
    raise GraderError(
        f"No course directory found from {here}: run gradelib inside the course checkout "
        f"(the folder holding tests/hidden/) or set {COURSE_ROOT_ENV}."
    )


def known_assignments(course_root: Path) -> list[str]:
    """The assignment ids that have a hidden suite."""
    hidden = course_root / "tests" / "hidden"
    return sorted(path.name for path in hidden.iterdir() if path.is_dir() and any(path.glob("test_*.py")))


def hidden_suite_dir(course_root: Path, assignment: str) -> Path:
    """The folder of an assignment's hidden suite; raises UnknownAssignmentError if it has none."""
    known = known_assignments(course_root)
    if assignment not in known:
        raise UnknownAssignmentError(
            f"Unknown assignment {assignment!r}: the hidden suites in {course_root / 'tests' / 'hidden'} are "
            + (", ".join(known) or "(none)")
        )
    return course_root / "tests" / "hidden" / assignment


def grade_notebook(
    notebook: Path,
    assignment: str,
    options: GradingOptions = DEFAULTS,
    *,
    course_root: Path | None = None,
    groups: list[str] | None = None,
) -> GradeReport:
    """Grade a notebook with the assignment's hidden suite, in a child process.

    Args:
        notebook: the submission (.ipynb). Need not be valid: a broken notebook is graded as such.
        assignment: the assignment id, e.g. ``autoregressive``.
        options: device, budget and time limits.
        course_root: the course directory; found with :func:`find_course_root` when None.
        groups: grade only these groups (test files ``test_<group>.py``); None for all.

    Returns:
        The complete report: one result per collected test.

    Raises:
        UnknownAssignmentError: no hidden suite for ``assignment``.
        GraderError: the hidden suite itself could not be collected or run.
    """
    course_root = (course_root or find_course_root()).resolve()
    suite = hidden_suite_dir(course_root, assignment)
    notebook = Path(notebook).resolve()
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="gradelib-") as scratch:
        scratch = Path(scratch)
        results_path = scratch / "results.json"
        command = _pytest_command(suite, course_root, scratch, groups) + [
            "--submission", str(notebook),
            "--device", options.device,
            "--budget", options.budget,
            "--gradelib-results", str(results_path),
            "--cell-timeout", str(options.cell_timeout),
            "--test-timeout", str(options.test_timeout),
            "--seed-offset", str(options.seed_offset),
        ]
        returncode, timed_out, log = _run_isolated(
            command, cwd=notebook.parent, timeout=options.timeout, scratch=scratch,
            memory_limit_gb=_memory_limit(options),
        )
        if results_path.exists():
            report = GradeReport.read(results_path)
        else:  # the child ended before it had even listed the tests
            report = _collect_for_report(suite, course_root, groups)
        if not report.tests:
            raise GraderError(f"The hidden suite {suite} collected no tests (exit code {returncode}).\n{_tail(log)}")
        if returncode in (3, 4) and not timed_out:
            raise GraderError(f"pytest could not run the hidden suite (exit code {returncode}).\n{_tail(log)}")
    _complete_unfinished(report, timed_out, returncode, options.timeout)
    report.execution_time = time.monotonic() - started
    return report


def collect_suite(assignment: str, course_root: Path | None = None, groups: list[str] | None = None) -> GradeReport:
    """The hidden suite's tests with their points, none run (every one reported as not run)."""
    course_root = (course_root or find_course_root()).resolve()
    return _collect_for_report(hidden_suite_dir(course_root, assignment), course_root, groups)


def format_table(report: GradeReport, *, width: int = 100) -> str:
    """A plain-text table of a report: test, points, status, message; then the total."""
    rows = [("test", "points", "status", "message")]
    for test in report.tests:
        message = test.output.strip().splitlines()[0] if test.output.strip() else ""
        rows.append((f"{test.group}: {test.name}", f"{_number(test.score)}/{_number(test.max_score)}", test.status, message))
    widths = [min(max(len(row[i]) for row in rows), limit) for i, limit in enumerate((60, 7, 6, width))]
    lines = []
    for index, row in enumerate(rows):
        cells = [_clip(text, widths[i]).ljust(widths[i]) for i, text in enumerate(row)]
        lines.append("  ".join(cells).rstrip())
        if index == 0:
            lines.append("  ".join("-" * w for w in widths))
    lines.append(f"TOTAL  {_number(report.score)} / {_number(report.max_score)}")
    return "\n".join(lines)


def _pytest_command(suite: Path, course_root: Path, scratch: Path, groups: list[str] | None) -> list[str]:
    ini = scratch / "pytest.ini"
    ini.write_text("[pytest]\n", encoding="utf-8")  # the course's own pytest settings do not apply to grading
    targets = [str(suite / f"test_{group}.py") for group in groups] if groups else [str(suite)]
    return [
        sys.executable, "-m", "pytest", *targets,
        "-c", str(ini),
        "--rootdir", str(course_root),
        "--confcutdir", str(course_root / "tests" / "hidden"),
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


def _child_environment() -> dict[str, str]:
    env = tool_environment()
    env.update({GRADING_ENV: "1", "MPLBACKEND": "Agg", "PYTHONHASHSEED": "0", "PYTHONDONTWRITEBYTECODE": "1"})
    env.pop("NBGRADER_EXECUTION", None)  # the child is gradelib's, whoever called it
    return env


def _memory_limit(options: GradingOptions) -> float:
    """The memory limit to apply: none where CUDA may be used (see GradingOptions)."""
    cuda_possible = options.device == "cuda" or (options.device == "auto" and Path("/dev/nvidiactl").exists())
    return 0.0 if cuda_possible else options.memory_limit_gb


def _run_isolated(
    command: list[str], *, cwd: Path, timeout: float, scratch: Path, memory_limit_gb: float = 0.0
) -> tuple[int, bool, str]:
    """Run a command in its own process group, with an address-space limit; kill the group at the time limit."""
    log_path = scratch / "pytest.log"

    def limit_memory() -> None:  # runs in the child, before pytest starts
        if memory_limit_gb > 0:
            import resource

            size = int(memory_limit_gb * 2**30)
            resource.setrlimit(resource.RLIMIT_AS, (size, size))

    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            command, cwd=cwd, env=_child_environment(), stdin=subprocess.DEVNULL, stdout=log,
            stderr=subprocess.STDOUT, start_new_session=True,
            preexec_fn=limit_memory if memory_limit_gb > 0 and sys.platform != "win32" else None,
        )
        timed_out = False
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
        finally:
            _kill_group(process)
    return process.returncode, timed_out, log_path.read_text(encoding="utf-8", errors="replace")


def _kill_group(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    process.wait()


def _collect_for_report(suite: Path, course_root: Path, groups: list[str] | None) -> GradeReport:
    with tempfile.TemporaryDirectory(prefix="gradelib-collect-") as scratch:
        scratch = Path(scratch)
        results_path = scratch / "results.json"
        command = _pytest_command(suite, course_root, scratch, groups) + [
            "--collect-only", "--gradelib-results", str(results_path),
        ]
        returncode, _, log = _run_isolated(command, cwd=course_root, timeout=300, scratch=scratch)
        if not results_path.exists():
            raise GraderError(f"The hidden suite {suite} could not be collected (exit code {returncode}).\n{_tail(log)}")
        return GradeReport.read(results_path)


def _complete_unfinished(report: GradeReport, timed_out: bool, returncode: int, timeout: float) -> None:
    """Fail, with the reason, every test that the child process never finished."""
    unfinished = [test for test in report.tests if test.output == NOT_RUN_MESSAGE]
    if not unfinished:
        return
    if timed_out:
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


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(width - 3, 0)] + "..."
