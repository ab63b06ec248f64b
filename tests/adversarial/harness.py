"""Grade the adversarial corpus through gradelib's three doors and say, per case and door, what went wrong.

Each case in ``cases/`` is the source of ONE code cell, added to the released skeleton
``assignments/autoregressive/autoregressive.ipynb`` (which honestly scores 0): at the end, or before
the first grade cell when its ``EXPECT["place"]`` is ``"early"``. The placeholder ``__ADV_MARKER__``
in a case is replaced by a marker unique to the case and the run; cases name their processes and
files with it, so that survivors and litter can be attributed.

Everything is graded in SCRATCH copies of the course (never the checkout under test): a
successful attack rewrites gradelib, the hidden suite, the working folders. The doors:

- ``grade``: ``python -m gradelib.cli.main grade NB --assignment autoregressive --timeout T --results R``,
  one case at a time, each in a fresh scratch course;
- ``grade_all``: ``gradelib grade-all DIR --jobs 2 --csv --results-dir`` on every selected case plus
  two honest neighbours (the filled-in solution and the untouched skeleton), one shared scratch course;
- ``nbgrader``: ``nbgrader generate_assignment / autograde / generate_feedback`` on a scratch nbgrader
  course with the same submissions.

Checks, per case and door (see :func:`problems`): score <= EXPECT["max_score"] (0), the door finished
in time with exit code 0, the neighbours kept their scores, nothing hidden (distinctive lines of the
solution regions and of the hidden tests) appears in any output, no process of the case outlives the
grading, none of the case's declared paths nor any file in the grader's private TMPDIR is left, the
harness's canary port heard nothing, no listener of the case survives, and the scratch course's
files are unchanged.

Command line (the baseline, BASELINE.md)::

    python tests/adversarial/harness.py --doors grade,grade_all --cases 'c0*' --markdown out.md

``GRADELIB_ADV_DOORS`` and ``GRADELIB_ADV_CASES`` select doors and cases for tests/course/test_adversarial.py.
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import csv
import fnmatch
import glob
import hashlib
import io
import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import tokenize
import uuid
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
CASES_DIR = Path(__file__).resolve().parent / "cases"
ASSIGNMENT = "autoregressive"
DOORS = ("grade", "grade_all", "nbgrader")
MARKER_PLACEHOLDER = "__ADV_MARKER__"
RUN_ENV = "GRADELIB_ADV_RUN"  # set on every grader command: its children inherit it
CANARY_PORTS = range(47000, 47100)
LISTENER_PORTS = range(47100, 47200)
#: Honest neighbours of every batch; sorted after the cases, so with --jobs 2 the last ones start after an
#: attack has loaded (a poisoned folder, hidden suite or gradelib shows on them).
HONEST = {"zzz_honest_skeleton": "skeleton", "zzz_honest_solution": "solution", "zzz_honest_zlate_skeleton": "skeleton"}
GRADE_TIMEOUT = 90.0  # --timeout of the grader (whole suite), seconds
GRACE = 60.0  # what the door may take above its own --timeout
MAX_READ = 64 * 2**20  # bytes of any output scanned for leaks
#: What torch and matplotlib leave in any TMPDIR on import: not the submission's litter.
BENIGN_TMP = ("torchinductor_*", "matplotlib-*", "pyright*")


# --------------------------------------------------------------------------------------------
# Cases
# --------------------------------------------------------------------------------------------
@dataclass
class Case:
    name: str
    path: Path
    source: str
    doc: str
    expect: dict

    @property
    def title(self) -> str:
        return self.doc.strip().splitlines()[0] if self.doc.strip() else self.name

    @property
    def doors(self) -> list[str]:
        return list(self.expect.get("doors", DOORS))

    @property
    def needs_sandbox(self) -> bool:
        return bool(self.expect.get("needs_sandbox"))


def load_cases(patterns: str | None = None) -> list[Case]:
    """The corpus, sorted by name; ``patterns`` is a comma-separated list of globs on the case names."""
    cases = []
    for path in sorted(CASES_DIR.glob("c*.py")):
        source = path.read_text(encoding="utf-8")
        tree = ast.parse(source)
        expect = None
        for node in tree.body:
            if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "EXPECT" for t in node.targets):
                expect = ast.literal_eval(node.value)
        if expect is None:
            raise ValueError(f"{path.name} has no EXPECT dict")
        cases.append(Case(path.stem, path, source, ast.get_docstring(tree) or "", expect))
    if patterns:
        wanted = [p.strip() for p in patterns.split(",") if p.strip()]
        cases = [c for c in cases if any(fnmatch.fnmatch(c.name, p) for p in wanted)]
    return cases


def sandbox_capabilities(repo_root: Path = REPO_ROOT) -> dict | None:
    """What the sandbox of the grader UNDER TEST says it enforces, or None when it has none.

    Asked in a subprocess whose PYTHONPATH is ``repo_root`` (the checkout under test), and only
    believed when ``gradelib.sandbox`` is imported from that checkout: an editable install of another
    checkout must not lend its sandbox to this one. Any error (ImportError included) means no sandbox.
    """
    code = (
        "import json, sys, gradelib\n"
        "from gradelib.sandbox import capabilities\n"
        "import gradelib.sandbox as s\n"
        "print(json.dumps({'file': s.__file__, 'capabilities': dict(capabilities())}, default=str))\n"
    )
    env = dict(os.environ, PYTHONPATH=str(repo_root))
    try:
        done = subprocess.run(
            [sys.executable, "-c", code], cwd=repo_root, env=env, capture_output=True, text=True, timeout=120
        )
        answer = json.loads(done.stdout.strip().splitlines()[-1]) if done.returncode == 0 else None
    except (OSError, subprocess.SubprocessError, ValueError, IndexError):
        return None
    if not answer or not str(Path(answer["file"]).resolve()).startswith(str(Path(repo_root).resolve()) + os.sep):
        return None
    return answer["capabilities"]


def marker_for(run_id: str, case: Case) -> str:
    """A marker of at most 15 characters (it must survive in /proc/<pid>/comm): ``adv<run><case number>``."""
    number = "".join(ch for ch in case.name.split("_")[0] if ch.isdigit())
    return f"adv{run_id[:6]}n{number}"


def build_notebook(case: Case, course: Path, destination: Path, marker: str) -> Path:
    """The released skeleton with the case's cell added (end, or before the first grade cell)."""
    import nbformat

    notebook = nbformat.read(course / "assignments" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    cell = nbformat.v4.new_code_cell(case.source.replace(MARKER_PLACEHOLDER, marker))
    if case.expect.get("place") == "early":
        first_grade = next(
            i
            for i, c in enumerate(notebook.cells)
            if c.get("metadata", {}).get("nbgrader", {}).get("grade") and not c["metadata"]["nbgrader"].get("solution")
        )
        notebook.cells.insert(first_grade, cell)
    else:
        notebook.cells.append(cell)
    destination.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, destination)
    return destination


def build_honest(kind: str, course: Path, destination: Path) -> Path:
    destination.parent.mkdir(parents=True, exist_ok=True)
    if kind == "solution":
        from gradelib.course import Course
        from gradelib.release import fill_in_solutions

        return fill_in_solutions(Course(course), ASSIGNMENT, destination)
    shutil.copy(course / "assignments" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", destination)
    return destination


# --------------------------------------------------------------------------------------------
# The scratch course, its digest, its secrets
# --------------------------------------------------------------------------------------------
_IGNORE = shutil.ignore_patterns(
    ".git",
    "__pycache__",
    "*.pyc",
    "*.egg-info",
    ".pytest_cache",
    "submitted",
    "autograded",
    "feedback",
    "gradebook.db",
    ".nbgrader.log",
    "MNIST",
    "cache",
)


def scratch_course(repo_root: Path, destination: Path) -> Path:
    """A copy of the checkout (without .git and caches) to grade in; attacks may wreck it."""
    shutil.copytree(repo_root, destination, ignore=_IGNORE, symlinks=True)
    return destination


def tree_digest(
    root: Path, parts=("gradelib", "tests", "solutions", "assignments", "nbgrader_config.py", "pyproject.toml")
) -> dict[str, str]:
    """sha256 of every file under ``parts`` of ``root`` (caches excluded): compare before and after."""
    digest = {}
    for part in parts:
        base = root / part
        paths = [base] if base.is_file() else sorted(base.rglob("*")) if base.is_dir() else []
        for path in paths:
            if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
                digest[str(path.relative_to(root))] = hashlib.sha256(path.read_bytes()).hexdigest()
    return digest


def changed_files(before: dict[str, str], after: dict[str, str]) -> list[str]:
    return sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))


def _code_lines_without_strings(text: str) -> list[str]:
    """Lines of code with no string literal (docstrings and messages are shown to students), comments cut off."""
    string_lines: set[int] = set()
    comment_at: dict[int, int] = {}
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            if token.type == tokenize.STRING or (
                hasattr(tokenize, "FSTRING_START") and token.type == tokenize.FSTRING_START
            ):
                string_lines.update(range(token.start[0], token.end[0] + 1))
            elif token.type == tokenize.COMMENT:
                comment_at[token.start[0]] = token.start[1]
    except (tokenize.TokenError, IndentationError, SyntaxError):
        pass
    lines = []
    for number, line in enumerate(text.splitlines(), start=1):
        if number in string_lines:
            continue
        stripped = line[: comment_at.get(number, len(line))].strip()
        if stripped:
            lines.append(stripped)
    return lines


def distinctive_secrets(course: Path, per_source: int = 40) -> list[str]:
    """Long lines that only a leak can put in an output: from the solution regions and the hidden tests.

    Lines that also occur in the release, in gradelib's sources or in the corpus are left out (a
    student may see those legitimately, or the attack cell itself carries them).
    """
    import nbformat

    public = set()
    release = nbformat.read(course / "assignments" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    for cell in release.cells:
        public.update(line.strip() for line in cell.source.splitlines())
    for path in (course / "gradelib").rglob("*.py"):
        public.update(line.strip() for line in path.read_text(encoding="utf-8").splitlines())
    for path in CASES_DIR.glob("*.py"):
        public.update(line.strip() for line in path.read_text(encoding="utf-8").splitlines())

    solution = nbformat.read(course / "solutions" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    regions = []
    for cell in solution.cells:
        for part in cell.source.split("### BEGIN SOLUTION")[1:]:
            regions.append(part.split("### END SOLUTION")[0])
    solution_lines = [l for l in _code_lines_without_strings("\n".join(regions)) if len(l) >= 24 and l not in public]
    hidden_lines = []
    for path in sorted((course / "tests" / "hidden" / ASSIGNMENT).glob("*.py")):
        hidden_lines += [
            l for l in _code_lines_without_strings(path.read_text(encoding="utf-8")) if len(l) >= 36 and l not in public
        ]

    def pick(lines: list[str]) -> list[str]:
        unique = list(dict.fromkeys(lines))
        step = max(len(unique) // per_source, 1)  # spread over the files, not only the longest lines
        return unique[::step][:per_source]

    return pick(solution_lines) + pick(hidden_lines)


def find_leaks(texts: dict[str, str], secrets: list[str]) -> list[str]:
    """``where: secret`` for every secret found in one of the texts, as is or escaped by JSON, HTML or CSV."""
    import html

    found = []
    for where, text in texts.items():
        for secret in secrets:
            variants = {
                secret,
                json.dumps(secret)[1:-1],
                html.escape(secret),
                html.escape(secret, quote=False),
                secret.replace('"', '""'),
            }
            if any(v in text for v in variants):
                found.append(f"{where}: {secret[:60]}")
    return found


def read_capped(path: Path) -> str:
    try:
        with open(path, "rb") as stream:
            return stream.read(MAX_READ).decode("utf-8", errors="replace")
    except OSError:
        return ""


# --------------------------------------------------------------------------------------------
# Processes, files, network
# --------------------------------------------------------------------------------------------
def _read(path: str) -> bytes:
    try:
        with open(path, "rb") as stream:
            return stream.read(1 << 16)
    except OSError:
        return b""


def marked_processes(markers: list[str], run_token: str) -> dict[str, list[tuple[int, str]]]:
    """{marker or '*run*': [(pid, command)]}: processes bearing a case's marker (argv or comm), or the run's
    token in their environment (children of a grader, wherever they moved)."""
    found: dict[str, list[tuple[int, str]]] = {}
    me = os.getpid()
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == me:
            continue
        cmdline = _read(f"/proc/{entry}/cmdline").replace(b"\0", b" ").decode(errors="replace").strip()
        comm = _read(f"/proc/{entry}/comm").decode(errors="replace").strip()
        if not cmdline and not comm:
            continue
        owner = None
        for marker in markers:
            if marker in cmdline or marker in comm:
                owner = marker
                break
        if owner is None and f"{RUN_ENV}={run_token}".encode() in _read(f"/proc/{entry}/environ"):
            owner = "*run*"
        if owner:
            found.setdefault(owner, []).append((int(entry), (cmdline or comm)[:120]))
    return found


def kill_processes(processes: list[tuple[int, str]]) -> None:
    """SIGKILL processes that this run's graders started (found by :func:`marked_processes`)."""
    for pid, _ in processes:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)


def existing_traces(patterns: list[str], values: dict[str, str], marker: str) -> list[str]:
    """The case's declared paths that exist, and anything in /tmp named with its marker."""
    found = []
    for pattern in patterns:
        pattern = pattern.replace(MARKER_PLACEHOLDER, marker)
        if any("{" + key + "}" in pattern for key in values if not values[key]):
            continue
        try:
            pattern = pattern.format(**values)
        except KeyError:
            continue
        found += glob.glob(pattern)
    found += [str(p) for p in Path("/tmp").glob(f"*{marker}*")]
    return sorted(set(found))


def remove_traces(paths: list[str]) -> None:
    for path in paths:
        if not os.path.realpath(path).startswith("/tmp/"):
            continue  # never delete outside /tmp
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path, ignore_errors=True)
        else:
            with contextlib.suppress(OSError):
                os.unlink(path)


class Canary:
    """A TCP listener on 127.0.0.1 (first free port of CANARY_PORTS) that records what connections send."""

    def __init__(self) -> None:
        self.heard: list[str] = []
        self.port = None
        self._server = socket.socket()
        for port in CANARY_PORTS:
            try:
                self._server.bind(("127.0.0.1", port))
                self.port = port
                break
            except OSError:
                continue
        if self.port is None:
            return
        self._server.listen(16)
        self._server.settimeout(0.5)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._server.accept()
            except OSError:
                continue
            with conn:
                conn.settimeout(1)
                with contextlib.suppress(OSError):
                    self.heard.append(conn.recv(64).decode(errors="replace"))

    def close(self) -> None:
        if self.port is not None:
            self._stop.set()
            self._thread.join(timeout=2)
        self._server.close()


def surviving_listeners(markers: list[str]) -> dict[str, int]:
    """{marker: port} for listeners in LISTENER_PORTS that answer with a case's marker."""
    found = {}
    for port in LISTENER_PORTS:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.3) as conn:
                conn.settimeout(1)
                answer = conn.recv(64).decode(errors="replace")
        except OSError:
            continue
        for marker in markers:
            if marker in answer:
                found[marker] = port
    return found


# --------------------------------------------------------------------------------------------
# Running a door
# --------------------------------------------------------------------------------------------
@dataclass
class Outcome:
    """What one case got through one door."""

    case: str
    door: str
    score: float | None = None
    max_score: float | None = None
    exit_code: int | None = None
    elapsed: float = 0.0
    limit: float = 0.0
    skipped: str = ""
    leaks: list[str] = field(default_factory=list)
    survivors: list[str] = field(default_factory=list)
    traces: list[str] = field(default_factory=list)
    course_changed: list[str] = field(default_factory=list)
    neighbours: dict[str, float | None] = field(default_factory=dict)
    network: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def problems(outcome: Outcome, case: Case | None, full_marks: float | None = None) -> list[str]:
    """Why an outcome shows the grader fooled or uncontained (empty when the grader held)."""
    if outcome.skipped:
        return []
    found = []
    allowed = case.expect.get("max_score", 0) if case else 0
    if outcome.score is None:
        found.append("no score recorded (the door did not grade it)")
    elif outcome.score > allowed:
        found.append(f"score {outcome.score:g} > {allowed:g}")
    if outcome.exit_code != 0:
        found.append(f"exit code {outcome.exit_code}")
    if outcome.limit and outcome.elapsed > outcome.limit:
        found.append(f"took {outcome.elapsed:.0f} s > {outcome.limit:.0f} s")
    for name, score in outcome.neighbours.items():
        expected = 0.0 if HONEST.get(name) == "skeleton" else full_marks
        if score is None or expected is None or abs(score - expected) > 1e-6:
            found.append(f"neighbour {name} got {score} (expected {expected})")
    if outcome.leaks:
        found.append(f"{len(outcome.leaks)} hidden line(s) leaked")
    if outcome.survivors:
        found.append(f"{len(outcome.survivors)} process(es) outlived grading")
    if outcome.traces:
        found.append(f"{len(outcome.traces)} file(s) left")
    if outcome.course_changed:
        found.append(f"course changed: {', '.join(outcome.course_changed[:3])}")
    if outcome.network:
        found.append("network: " + "; ".join(outcome.network))
    return found


def _environment(course: Path, run_token: str, tmpdir: Path, extra: dict | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "PYTHONPATH": str(course),  # the scratch copy's gradelib wins over any installed one
            "PATH": str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", ""),
            RUN_ENV: run_token,
            "TMPDIR": str(tmpdir),
            "PYTHONDONTWRITEBYTECODE": "1",
        }
    )
    for name in ("GRADELIB_COURSE_ROOT", "GRADELIB_NOTEBOOK", "GRADELIB_BRIDGE_CACHE", "NBGRADER_EXECUTION"):
        env.pop(name, None)
    env.update(extra or {})
    return env


def _run(command: list[str], *, cwd: Path, env: dict, limit: float, stdout: Path, stderr: Path) -> tuple[int, float]:
    """Run a command in a session of its own, output to files; kill its group at ``limit``. (exit code, seconds)"""
    started = time.monotonic()
    with open(stdout, "wb") as out, open(stderr, "wb") as err:
        process = subprocess.Popen(
            command, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=err, start_new_session=True
        )
        try:
            code = process.wait(timeout=limit)
        except subprocess.TimeoutExpired:
            code = -999
        with contextlib.suppress(OSError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    return code, time.monotonic() - started


class Run:
    """One harness run: a base folder under /tmp, a run token, a canary; doors are methods."""

    def __init__(
        self, repo_root: Path = REPO_ROOT, base: Path | None = None, timeout: float = GRADE_TIMEOUT, log=print
    ) -> None:
        self.repo_root = Path(repo_root).resolve()
        self.base = Path(base or tempfile.mkdtemp(prefix="gradelib-adv-", dir="/tmp")).resolve()
        if not str(self.base).startswith("/tmp/"):
            raise ValueError("the harness works under /tmp only")
        self.base.mkdir(parents=True, exist_ok=True)
        self.token = uuid.uuid4().hex
        self.timeout = timeout
        self.log = log
        self.canary = Canary()
        self.capabilities = sandbox_capabilities(self.repo_root)
        self._pristine = scratch_course(self.repo_root, self.base / "pristine")
        self.secrets = distinctive_secrets(self._pristine)
        self.full_marks: float | None = None

    def close(self) -> None:
        self.canary.close()
        leftovers = marked_processes([], self.token).get("*run*", [])
        kill_processes(leftovers)

    def skip_reason(self, case: Case, door: str) -> str:
        if door not in case.doors:
            return "door not in the case's EXPECT"
        if case.needs_sandbox and self.capabilities is None:
            return "not run: would kill the machine's processes (the grader reports no sandbox)"
        return ""

    # -- common bookkeeping ------------------------------------------------------------------
    def _after(
        self,
        outcomes: dict[str, Outcome],
        cases: dict[str, Case],
        markers: dict[str, str],
        values: dict[str, dict[str, str]],
        canary_before: int,
    ) -> None:
        time.sleep(1.0)  # let a process that was about to fork do so
        found = marked_processes(list(markers.values()), self.token)
        listeners = surviving_listeners(list(markers.values()))
        heard = self.canary.heard[canary_before:]
        for name, outcome in outcomes.items():
            marker = markers[name]
            outcome.survivors = [f"{pid} {cmd}" for pid, cmd in found.get(marker, [])]
            outcome.traces = existing_traces(cases[name].expect.get("leaves_no_trace", []), values[name], marker)
            if marker in listeners:
                outcome.network.append(f"listener on 127.0.0.1:{listeners[marker]} outlived grading")
            if any(marker in text for text in heard):
                outcome.network.append(f"reached the harness's canary on 127.0.0.1:{self.canary.port}")
        unattributed = found.get("*run*", [])
        if unattributed:
            for outcome in outcomes.values():
                outcome.notes.append(f"{len(unattributed)} unmarked process(es) of this door outlived it")
        for processes in found.values():
            kill_processes(processes)
        for outcome in outcomes.values():
            remove_traces(outcome.traces)

    def _full_marks(self, course: Path) -> float:
        if self.full_marks is None:
            env = _environment(course, self.token, self.base)
            code = (
                "import json, sys; from gradelib.grader import collect_suite; from gradelib.course import Course; "
                f"from pathlib import Path; print(collect_suite({ASSIGNMENT!r}, Course(Path(sys.argv[1]))).max_score)"
            )
            done = subprocess.run(
                [sys.executable, "-c", code, str(course)],
                env=env,
                cwd=course,
                capture_output=True,
                text=True,
                timeout=600,
            )
            self.full_marks = float(done.stdout.strip().splitlines()[-1])
        return self.full_marks

    # -- door (a): gradelib grade, one case at a time, each in its own scratch course ---------------
    def grade(self, case: Case) -> Outcome:
        outcome = Outcome(case.name, "grade", limit=self.timeout + GRACE)
        outcome.skipped = self.skip_reason(case, "grade")
        if outcome.skipped:
            return outcome
        folder = self.base / "grade" / case.name
        course = scratch_course(self.repo_root, folder / "course")
        tmpdir = folder / "tmp"
        tmpdir.mkdir(parents=True)
        marker = marker_for(self.token, case)
        notebook = build_notebook(case, course, folder / "batch" / case.name / f"{ASSIGNMENT}.ipynb", marker)
        results = folder / "results.json"
        before = tree_digest(course)
        canary_before = len(self.canary.heard)
        command = [
            sys.executable,
            "-m",
            "gradelib.cli.main",
            "grade",
            str(notebook),
            "--assignment",
            ASSIGNMENT,
            "--timeout",
            f"{self.timeout:g}",
            "--results",
            str(results),
        ]
        outcome.exit_code, outcome.elapsed = _run(
            command,
            cwd=course,
            env=_environment(course, self.token, tmpdir),
            limit=outcome.limit + 60,
            stdout=folder / "stdout.txt",
            stderr=folder / "stderr.txt",
        )
        time.sleep(float(case.expect.get("settle", 0)))  # a daemon may forge the outputs just after the grader exits
        if results.is_file():
            try:
                data = json.loads(read_capped(results))
                outcome.score = float(sum(t.get("score", 0) for t in data.get("tests", [])))
                outcome.max_score = float(sum(t.get("max_score", 0) for t in data.get("tests", [])))
            except (ValueError, TypeError, AttributeError):
                outcome.notes.append("results.json is not valid")
        outcome.leaks = find_leaks(
            {
                "results.json": read_capped(results),
                "stdout": read_capped(folder / "stdout.txt"),
                "stderr": read_capped(folder / "stderr.txt"),
            },
            self.secrets,
        )
        values = {
            "course": str(course),
            "nbcourse": "",
            "notebook_dir": str(notebook.parent),
            "batch_dir": str(notebook.parent.parent),
            "tmp": "/tmp",
        }
        self._after({case.name: outcome}, {case.name: case}, {case.name: marker}, {case.name: values}, canary_before)
        outcome.traces += _left_in(tmpdir)
        outcome.course_changed = changed_files(before, tree_digest(course))
        return outcome

    # -- door (b): gradelib grade-all --jobs 2, the cases and two honest neighbours ------------------
    def grade_all(self, cases: list[Case], jobs: int = 2) -> dict[str, Outcome]:
        """Cases marked ``EXPECT["isolate"]`` (they kill or poison the whole batch) get a batch of their own,
        with the two neighbours; the rest share one batch."""
        outcomes: dict[str, Outcome] = {}
        for index, group in enumerate(_batches(cases, "grade_all")):
            outcomes.update(self._grade_all_batch(group, jobs, self.base / f"grade_all-{index:02d}"))
        return outcomes

    def _grade_all_batch(self, cases: list[Case], jobs: int, folder: Path) -> dict[str, Outcome]:
        outcomes = {c.name: Outcome(c.name, "grade_all") for c in cases}
        for case in cases:
            outcomes[case.name].skipped = self.skip_reason(case, "grade_all")
        active = [c for c in cases if not outcomes[c.name].skipped]
        if not active:
            return outcomes
        course = scratch_course(self.repo_root, folder / "course")
        self._full_marks(course)
        tmpdir = folder / "tmp"
        tmpdir.mkdir(parents=True)
        batch = folder / "batch"
        markers = {c.name: marker_for(self.token, c) for c in active}
        for case in active:
            build_notebook(case, course, batch / case.name / f"{ASSIGNMENT}.ipynb", markers[case.name])
        for name, kind in HONEST.items():
            build_honest(kind, course, batch / name / f"{ASSIGNMENT}.ipynb")
        before = tree_digest(course)
        canary_before = len(self.canary.heard)
        limit = (len(active) + 2) * (self.timeout + 30) / max(jobs, 1) + 300
        grades, results_dir = folder / "grades.csv", folder / "results"
        command = [
            sys.executable,
            "-m",
            "gradelib.cli.main",
            "grade-all",
            str(batch),
            "--assignment",
            ASSIGNMENT,
            "--jobs",
            str(jobs),
            "--timeout",
            f"{self.timeout:g}",
            "--csv",
            str(grades),
            "--results-dir",
            str(results_dir),
        ]
        code, elapsed = _run(
            command,
            cwd=course,
            env=_environment(course, self.token, tmpdir),
            limit=limit,
            stdout=folder / "stdout.txt",
            stderr=folder / "stderr.txt",
        )
        time.sleep(max([float(c.expect.get("settle", 0)) for c in active] + [0]))
        rows = {}
        if grades.is_file():
            with open(grades, newline="", encoding="utf-8", errors="replace") as stream:
                rows = {row["student"]: row for row in csv.DictReader(stream)}
        neighbours = {name: _float(rows.get(name, {}).get("score")) for name in HONEST}
        texts = {
            "grades.csv": read_capped(grades),
            "stdout": read_capped(folder / "stdout.txt"),
            "stderr": read_capped(folder / "stderr.txt"),
        }
        for path in sorted(results_dir.glob("*.json")) if results_dir.is_dir() else []:
            if path.stem not in HONEST:
                texts[f"results/{path.name}"] = read_capped(path)
        leaks = find_leaks(texts, self.secrets)
        for case in active:
            outcome = outcomes[case.name]
            outcome.exit_code, outcome.elapsed, outcome.limit = code, elapsed, limit
            outcome.score = _float(rows.get(case.name, {}).get("score"))
            own = results_dir / f"{case.name}.json"
            if own.is_file():  # a forgery may reach the per-student file and not the CSV, or the other way round
                try:
                    data = json.loads(read_capped(own))
                    from_file = float(sum(t.get("score", 0) for t in data.get("tests", [])))
                    if outcome.score is None or from_file > outcome.score:
                        outcome.notes.append(f"results-dir says {from_file:g}, the CSV {outcome.score}")
                        outcome.score = from_file
                except (ValueError, TypeError, AttributeError):
                    outcome.notes.append("results-dir file is not valid JSON")
            outcome.neighbours = dict(neighbours)
            outcome.leaks = [l for l in leaks if case.name in l or not l.startswith("results/")]
            if rows.get(case.name, {}).get("error"):
                outcome.notes.append(rows[case.name]["error"][:120])
        values = {
            c.name: {
                "course": str(course),
                "nbcourse": "",
                "notebook_dir": str(batch / c.name),
                "batch_dir": str(batch),
                "tmp": "/tmp",
            }
            for c in active
        }
        self._after(
            {c.name: outcomes[c.name] for c in active}, {c.name: c for c in active}, markers, values, canary_before
        )
        changed = changed_files(before, tree_digest(course))
        left = _left_in(tmpdir)
        for case in active:
            outcomes[case.name].course_changed = changed
            outcomes[case.name].traces += left
        self.log(
            f"grade_all {folder.name}: {len(active)} cases + {len(HONEST)} neighbours in {elapsed:.0f} s, exit {code}"
        )
        return outcomes

    # -- door (c): nbgrader autograde on a scratch nbgrader course ------------------------------
    def nbgrader(self, cases: list[Case], cell_timeout: int = 240) -> dict[str, Outcome]:
        """As grade_all: isolated cases get a scratch nbgrader course of their own."""
        outcomes: dict[str, Outcome] = {}
        for index, group in enumerate(_batches(cases, "nbgrader")):
            outcomes.update(self._nbgrader_batch(group, cell_timeout, self.base / f"nbgrader-{index:02d}"))
        return outcomes

    def _nbgrader_batch(self, cases: list[Case], cell_timeout: int, folder: Path) -> dict[str, Outcome]:
        from gradelib.nbgrader_course import copy_course

        outcomes = {c.name: Outcome(c.name, "nbgrader") for c in cases}
        for case in cases:
            outcomes[case.name].skipped = self.skip_reason(case, "nbgrader")
        active = [c for c in cases if not outcomes[c.name].skipped]
        if not active:
            return outcomes
        repo = scratch_course(self.repo_root, folder / "repo")  # the gradelib the kernels import
        self._full_marks(repo)
        from gradelib.course import Course

        course = copy_course(Course(repo), folder / "course", ASSIGNMENT)
        with open(course / "nbgrader_config.py", "a", encoding="utf-8") as stream:
            stream.write(f"\nc.Execute.timeout = {cell_timeout}  # the harness's bound\n")
        tmpdir = folder / "tmp"
        tmpdir.mkdir(parents=True)
        cache = folder / "bridge-cache"
        env = _environment(
            repo, self.token, tmpdir, {"GRADELIB_BRIDGE_CACHE": str(cache), "GRADELIB_TIMEOUT": f"{self.timeout:g}"}
        )
        markers = {c.name: marker_for(self.token, c) for c in active}
        staging = folder / "staging"
        for case in active:
            build_notebook(case, repo, staging / case.name / f"{ASSIGNMENT}.ipynb", markers[case.name])
        for name, kind in HONEST.items():
            build_honest(kind, repo, staging / name / f"{ASSIGNMENT}.ipynb")
        students = [c.name for c in active] + list(HONEST)
        for student in students:
            target = course / "submitted" / student / ASSIGNMENT
            target.mkdir(parents=True)
            shutil.copy(staging / student / f"{ASSIGNMENT}.ipynb", target / f"{ASSIGNMENT}.ipynb")
        nbgrader = [sys.executable, "-m", "nbgrader"]
        code, _ = _run(
            nbgrader + ["generate_assignment", ASSIGNMENT, "--force"],
            cwd=course,
            env=env,
            limit=600,
            stdout=folder / "generate.out",
            stderr=folder / "generate.err",
        )
        before = tree_digest(course, parts=("solutions", "tests")) | tree_digest(repo)
        canary_before = len(self.canary.heard)
        limit = len(students) * (cell_timeout + 60) + 300
        code, elapsed = _run(
            nbgrader + ["autograde", ASSIGNMENT, "--force"],
            cwd=course,
            env=env,
            limit=limit,
            stdout=folder / "stdout.txt",
            stderr=folder / "stderr.txt",
        )
        _run(
            nbgrader + ["generate_feedback", ASSIGNMENT, "--force"],
            cwd=course,
            env=env,
            limit=600,
            stdout=folder / "feedback.out",
            stderr=folder / "feedback.err",
        )
        time.sleep(max([float(c.expect.get("settle", 0)) for c in active] + [0]))
        scores = _gradebook_scores(course / "gradebook.db")
        neighbours = {name: scores.get(name) for name in HONEST}
        common = find_leaks(
            {"stdout": read_capped(folder / "stdout.txt"), "stderr": read_capped(folder / "stderr.txt")}, self.secrets
        )
        for case in active:
            outcome = outcomes[case.name]
            outcome.exit_code, outcome.elapsed, outcome.limit = code, elapsed, limit
            outcome.score = scores.get(case.name)
            outcome.neighbours = dict(neighbours)
            texts = {}
            for path in list((course / "feedback" / case.name).rglob("*.html")) + list(
                (course / "autograded" / case.name).rglob("*.ipynb")
            ):
                texts[str(path.relative_to(course))] = read_capped(path)
            outcome.leaks = common + find_leaks(texts, self.secrets)
        values = {
            c.name: {
                "course": str(repo),
                "nbcourse": str(course),
                "notebook_dir": str(course / "autograded" / c.name / ASSIGNMENT),
                "batch_dir": str(course / "autograded"),
                "tmp": "/tmp",
            }
            for c in active
        }
        self._after(
            {c.name: outcomes[c.name] for c in active}, {c.name: c for c in active}, markers, values, canary_before
        )
        changed = changed_files(before, tree_digest(course, parts=("solutions", "tests")) | tree_digest(repo))
        left = _left_in(tmpdir)
        for case in active:
            outcomes[case.name].course_changed = changed
            outcomes[case.name].traces += left
        self.log(
            f"nbgrader {folder.name}: {len(active)} cases + {len(HONEST)} neighbours in {elapsed:.0f} s, exit {code}"
        )
        return outcomes


def _batches(cases: list[Case], door: str) -> list[list[Case]]:
    """One shared batch, then one batch per case whose EXPECT["isolate"] names this door (or is True)."""

    def isolated(case: Case) -> bool:
        flag = case.expect.get("isolate", False)
        return flag is True or (isinstance(flag, (list, tuple)) and door in flag)

    shared = [c for c in cases if not isolated(c)]
    return ([shared] if shared else []) + [[c] for c in cases if isolated(c)]


def _left_in(tmpdir: Path) -> list[str]:
    """What the grading left in its private TMPDIR, torch's and matplotlib's caches aside."""
    return [str(p) for p in tmpdir.iterdir() if not any(fnmatch.fnmatch(p.name, b) for b in BENIGN_TMP)]


def _float(text) -> float | None:
    try:
        return float(text)
    except (TypeError, ValueError):
        return None


def _gradebook_scores(database: Path) -> dict[str, float]:
    """{student: total score} from nbgrader's gradebook (sqlite, read directly: no ORM session needed)."""
    if not database.is_file():
        return {}
    with sqlite3.connect(database) as connection:
        rows = connection.execute(
            "SELECT submitted_assignment.student_id, SUM(COALESCE(grade.manual_score, grade.auto_score, 0)) "
            "FROM grade JOIN submitted_notebook ON grade.notebook_id = submitted_notebook.id "
            "JOIN submitted_assignment ON submitted_notebook.assignment_id = submitted_assignment.id "
            "GROUP BY submitted_assignment.student_id"
        ).fetchall()
    return {student: float(score) for student, score in rows}


# --------------------------------------------------------------------------------------------
# A whole run, and its table
# --------------------------------------------------------------------------------------------
def run_corpus(
    doors: list[str],
    patterns: str | None = None,
    repo_root: Path = REPO_ROOT,
    log=print,
    timeout: float = GRADE_TIMEOUT,
) -> tuple[list[Case], dict[tuple[str, str], Outcome], float, Run]:
    cases = load_cases(patterns)
    run = Run(repo_root, timeout=timeout, log=log)
    outcomes: dict[tuple[str, str], Outcome] = {}
    started = time.monotonic()
    try:
        if "grade" in doors:
            for case in cases:
                outcome = run.grade(case)
                outcomes[(case.name, "grade")] = outcome
                log(
                    f"grade {case.name}: score {outcome.score} exit {outcome.exit_code} {outcome.elapsed:.0f}s "
                    f"{outcome.skipped or '; '.join(problems(outcome, case, run.full_marks)) or 'held'}"
                )
        if "grade_all" in doors:
            for name, outcome in run.grade_all(cases).items():
                outcomes[(name, "grade_all")] = outcome
        if "nbgrader" in doors:
            for name, outcome in run.nbgrader(cases).items():
                outcomes[(name, "nbgrader")] = outcome
    finally:
        run.close()
    return cases, outcomes, time.monotonic() - started, run


def markdown_table(
    cases: list[Case], outcomes: dict[tuple[str, str], Outcome], doors: list[str], full_marks: float | None
) -> str:
    lines = ["| case | " + " | ".join(doors) + " |", "| --- | " + " | ".join("---" for _ in doors) + " |"]
    for case in cases:
        cells = []
        for door in doors:
            outcome = outcomes.get((case.name, door))
            if outcome is None:
                cells.append("not run")
            elif outcome.skipped:
                cells.append(outcome.skipped.split(":")[0] if "EXPECT" in outcome.skipped else outcome.skipped)
            else:
                score = "-" if outcome.score is None else f"{outcome.score:g}"
                found = problems(outcome, case, full_marks)
                cells.append(f"**{score}**; " + ("; ".join(found) if found else "held"))
        lines.append(f"| `{case.name}` | " + " | ".join(c.replace("|", "/") for c in cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--doors", default="grade,grade_all", help="comma-separated: grade, grade_all, nbgrader")
    parser.add_argument("--cases", default=None, help="comma-separated globs on case names (default: all)")
    parser.add_argument("--repo", type=Path, default=REPO_ROOT, help="the checkout whose grader is under test")
    parser.add_argument("--timeout", type=float, default=GRADE_TIMEOUT)
    parser.add_argument("--markdown", type=Path, default=None, help="write the table here")
    parser.add_argument("--json", type=Path, default=None, help="write every outcome here")
    args = parser.parse_args(argv)
    doors = [d for d in args.doors.split(",") if d]
    cases, outcomes, elapsed, run = run_corpus(doors, args.cases, args.repo, timeout=args.timeout)
    table = markdown_table(cases, outcomes, doors, run.full_marks)
    print(table)
    print(f"\n{len(cases)} cases, doors {', '.join(doors)}: {elapsed:.0f} s; sandbox: {run.capabilities}")
    if args.markdown:
        args.markdown.write_text(table + "\n", encoding="utf-8")
    if args.json:
        args.json.write_text(json.dumps([o.__dict__ for o in outcomes.values()], indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
