"""Grade a whole class: every notebook in a folder, several at a time.

A submission is ``DIR/<student>.ipynb`` or any notebook under ``DIR/<student>/`` (nbgrader's
``submitted/<student>/<assignment>/`` layout works as it is). One bad submission never stops the
batch: it is graded as such, and if the grader itself fails on it the row says so with score 0.

Resuming: every graded submission is recorded at once in the batch's journal (one JSON line: the
student, the notebook's SHA-256, the grading options and the whole report), next to the CSV
(``grades.csv`` → ``grades.gradelib-journal.jsonl``), else in the results or report folder, or where
``--journal`` says. Run the same command again after a kill (or a crash, or a reboot) and it grades
only what the journal lacks: a submission whose notebook or options changed is graded again, and
``--fresh`` starts over. The CSV and the results files are written atomically after every submission,
so they always hold every result graded so far.

A progress bar goes to stderr when stderr is a terminal (nothing when it is not: a log, CI);
``--report DIR`` writes the class report (:mod:`gradelib.class_report`).

Where the gradings run: a local pool of ``--jobs`` at once (the default), or, with ``--scheduler ADDRESS``,
a Dask distributed cluster, one task per submission (:mod:`gradelib.cluster`); the results are the same.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import glob
import hashlib
import io
import json
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

from gradelib.cli.exits import EXIT_OK, EXIT_USAGE
from gradelib.cli.options import add_grading_options, grading_options
from gradelib.course import Course, CourseNotFoundError, UnknownAssignmentError
from gradelib.grader import GradingOptions, grade_notebook
from gradelib.results import GradeReport
from gradelib.warm import WarmStart

HELP = "grade every notebook in a folder"
CSV_FIELDS = ("student", "notebook", "score", "max_score", "tests_passed", "tests_total", "error")
JOURNAL_SUFFIX = ".gradelib-journal.jsonl"


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("directory", type=Path, help="folder of submissions")
    add_grading_options(parser)
    parser.add_argument("--jobs", type=int, default=1, help="notebooks graded at once (default: %(default)s)")
    parser.add_argument("--scheduler", default=None, metavar="ADDRESS",
                        help="grade on a Dask distributed cluster (e.g. tcp://10.0.0.1:8786), one task per "
                             "submission, instead of a local pool (--jobs is then the cluster's business)")
    parser.add_argument("--csv", type=Path, default=None, help="write one row per student here")
    parser.add_argument("--results-dir", type=Path, default=None, help="write each student's results.json here")
    parser.add_argument("--report", type=Path, default=None, metavar="DIR",
                        help="write the class report here (index.html with PNG plots)")
    parser.add_argument("--journal", type=Path, default=None,
                        help="the batch's record of graded submissions, read to resume "
                             f"(default: beside the CSV, <csv stem>{JOURNAL_SUFFIX}, else in the results or "
                             "report folder)")
    parser.add_argument("--fresh", action="store_true", help="grade everything again, ignoring the journal")
    parser.add_argument("--cold", action="store_true",
                        help="start each grading's processes from scratch instead of through a warm start "
                             "(gradelib.warm: the default for two or more submissions; same grades, less start-up)")
    parser.add_argument("--shard", type=shard, default=None, metavar="K/N",
                        help="grade only shard K of N (0 <= K < N): every N-th submission in order, from the K-th; "
                             "for a CI matrix (`gradelib class-report` merges the shards' results)")


def shard(text: str) -> tuple[int, int]:
    """``K/N`` as (K, N), checked."""
    try:
        index, count = (int(part) for part in text.split("/"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: expected K/N, e.g. 0/4") from None
    if not 0 <= index < count:
        raise argparse.ArgumentTypeError(f"{text!r}: K must be at least 0 and less than N")
    return index, count


def find_submissions(directory: Path, assignment: str) -> list[tuple[str, Path]]:
    """(student, notebook) pairs, sorted by student.

    A submission is ``DIR/<student>.ipynb``, or the notebooks of ``DIR/<student>/<assignment>/``
    (nbgrader's layout) when that folder exists, else every notebook under ``DIR/<student>/``.
    """
    found = []
    for path in sorted(directory.iterdir()):
        if path.is_file() and path.suffix == ".ipynb":
            found.append((path.stem, path))
        elif path.is_dir() and not path.name.startswith("."):
            folder = path / assignment if (path / assignment).is_dir() else path
            found.extend(
                (path.name, notebook)
                for notebook in sorted(folder.rglob("*.ipynb"))
                if ".ipynb_checkpoints" not in notebook.parts
            )
    return found


# ------------------------------------------------------------------------------------------- the journal
def journal_path(args: argparse.Namespace) -> Path | None:
    """Where the batch's journal lives (None: nothing is written, so there is nothing to resume)."""
    if args.journal:
        return args.journal
    if args.csv:
        return args.csv.with_name(args.csv.stem + JOURNAL_SUFFIX)
    for folder in (args.results_dir, args.report):
        if folder:
            return folder / ("batch" + JOURNAL_SUFFIX)
    return None


def options_key(assignment: str, options: GradingOptions) -> str:
    """What must not change for a recorded grade to stand: the assignment and the options that decide scores."""
    return json.dumps([assignment, options.device, options.budget, options.seed_offset, options.timeout])


def file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class Journal:
    """Append-only JSON lines, one per graded submission, each flushed to disk before the next."""

    def __init__(self, path: Path | None):
        self.path = path
        self.entries: dict[tuple[str, str], dict] = {}

    def load(self, fresh: bool) -> None:
        """Read the entries a previous run recorded (a line cut short by a kill is dropped), then rewrite
        the file with them alone, atomically; ``fresh`` empties it."""
        if self.path is None:
            return
        if not fresh and self.path.is_file():
            for line in self.path.read_text(encoding="utf-8", errors="replace").splitlines():
                try:
                    entry = json.loads(line)
                    self.entries[(entry["student"], entry["notebook"])] = entry
                except (ValueError, KeyError, TypeError):
                    continue
        text = "".join(json.dumps(entry) + "\n" for entry in self.entries.values())
        write_text_atomically(self.path, text)

    def find(self, student: str, notebook: Path, digest: str, key: str) -> dict | None:
        entry = self.entries.get((student, str(notebook)))  # notebook: its path inside the class's folder
        if entry and entry.get("sha256") == digest and entry.get("options") == key:
            return entry
        return None

    def record(self, entry: dict) -> None:
        self.entries[(entry["student"], entry["notebook"])] = entry
        if self.path is None:
            return
        with open(self.path, "a", encoding="utf-8") as stream:
            stream.write(json.dumps(entry) + "\n")
            stream.flush()
            os.fsync(stream.fileno())


# ------------------------------------------------------------------------------------------ the progress bar
class Progress:
    """A one-line progress bar on a terminal (stderr by default); silent when the stream is not a terminal."""

    def __init__(self, total: int, stream=None, width: int = 28):
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = bool(getattr(self.stream, "isatty", lambda: False)())
        self.total, self.width, self.done, self.failed = total, width, 0, 0
        self.started = time.monotonic()
        self.shown = 0

    def advance(self, label: str, failed: bool = False, count: int = 1) -> None:
        self.done += count
        self.failed += failed
        if not self.enabled:
            return
        fraction = self.done / self.total if self.total else 1.0
        filled = int(round(fraction * self.width))
        elapsed = time.monotonic() - self.started
        eta = elapsed / self.done * (self.total - self.done) if self.done else 0.0
        errors = f", {self.failed} grader error(s)" if self.failed else ""
        line = (f"\r[{'#' * filled}{'.' * (self.width - filled)}] {self.done}/{self.total}{errors} "
                f"eta {int(eta) // 60}:{int(eta) % 60:02d}  {label[:30]:<30}")
        self.stream.write(line)
        self.stream.flush()
        self.shown = len(line)

    def clear(self) -> None:
        """Erase the bar (before a line of ordinary output), to be drawn again by the next ``advance``."""
        if self.enabled and self.shown:
            self.stream.write("\r" + " " * self.shown + "\r")
            self.stream.flush()

    def close(self) -> None:
        if self.enabled:
            self.stream.write("\n")
            self.stream.flush()


# ------------------------------------------------------------------------------------------------ the batch
def run(args: argparse.Namespace) -> int:
    if not args.directory.is_dir():
        print(f"gradelib grade-all: no such folder: {args.directory}", file=sys.stderr)
        return EXIT_USAGE
    try:
        course = Course.find()
        course.require(args.assignment)
    except (UnknownAssignmentError, CourseNotFoundError) as error:
        print(f"gradelib grade-all: {error}", file=sys.stderr)
        return EXIT_USAGE
    submissions = find_submissions(args.directory, args.assignment)
    if args.shard:
        index, count = args.shard
        submissions = submissions[index::count]
    options = grading_options(args)
    key = options_key(args.assignment, options)
    journal = Journal(journal_path(args))
    journal.load(args.fresh)
    rows: dict[Path, dict] = {}
    reports: dict[Path, GradeReport | None] = {}
    progress = Progress(len(submissions))

    pending = []
    for student, notebook in submissions:
        digest = file_digest(notebook) if notebook.is_file() else ""
        entry = journal.find(student, _inside(notebook, args.directory), digest, key)
        if entry is None:
            pending.append((student, notebook, digest))
            continue
        report = GradeReport.from_json(entry["report"])
        rows[notebook], reports[notebook] = _row(student, notebook, report, ""), report
        if args.results_dir and not (args.results_dir / f"{student}.json").is_file():
            report.write(args.results_dir / f"{student}.json")
    if rows:
        print(f"resumed: {len(rows)} submission(s) already graded (journal {journal.path}); "
              f"{len(pending)} to grade", flush=True)
        progress.advance("resumed", count=len(rows))
        if args.csv:
            _write_csv(args.csv, [rows[path] for _, path in submissions if path in rows])

    client = None
    if args.scheduler and pending:
        from gradelib.cluster import ClusterUnreachable, connect, grade_on_cluster

        try:
            client = connect(args.scheduler)
        except ClusterUnreachable as error:
            print(f"gradelib grade-all: {error}", file=sys.stderr)
            return EXIT_USAGE
        outcomes = grade_on_cluster(client, [notebook for _, notebook, _ in pending], args.assignment, options, course)
    else:
        outcomes = _grade_locally([notebook for _, notebook, _ in pending], args.assignment, options, course, args.jobs,
                                  warm=not args.cold)
    try:
        for index, report, error in outcomes:
            student, notebook, digest = pending[index]
            row = _row(student, notebook, report, error)
            if args.results_dir and report is not None:
                report.write(args.results_dir / f"{student}.json")
            rows[notebook], reports[notebook] = row, report
            if args.csv:  # the CSV first: whatever the journal holds, the CSV holds too (a kill in between
                # costs one regrading on resume, never a row)
                _write_csv(args.csv, [rows[path] for _, path in submissions if path in rows])
            if report is not None:  # a grader error is not a grade: a restarted batch tries it again
                journal.record({"student": student, "notebook": str(_inside(notebook, args.directory)),
                                "sha256": digest, "options": key,
                                "row": row, "report": report.to_json(html=False)})
            progress.clear()
            print(f"{row['student']:<24} {row['score']:>6} / {row['max_score']:<6} {row['error']}", flush=True)
            progress.advance(student, failed=report is None)
    finally:
        if client is not None:
            client.close()
    progress.close()
    if args.report:
        from gradelib.class_report import Graded, write_class_report

        graded = [Graded(student, str(notebook), reports.get(notebook), rows[notebook]["error"])
                  for student, notebook in submissions if notebook in rows]
        page = write_class_report(args.report, args.assignment, graded)
        print(f"class report: {page}")
    print(f"graded {len(rows)} submission(s)")
    return EXIT_OK


def _grade_locally(notebooks: list[Path], assignment: str, options: GradingOptions, course: Course,
                   jobs: int, *, warm: bool = True) -> Iterator[tuple[int, GradeReport | None, str]]:
    """Grade in a local pool of ``jobs`` threads (each grading runs in processes of its own, forked by a warm start
    when ``warm`` and there are two or more); yield (index in ``notebooks``, report or None, error) as each finishes."""
    started = WarmStart.for_grading(course, options, parallel=jobs) if warm and len(notebooks) >= 2 else None

    def grade_one(notebook: Path) -> tuple[GradeReport | None, str]:
        try:
            return grade_notebook(notebook, assignment, options, course=course, warm=started), ""
        except Exception as error:  # noqa: BLE001 - one broken grading must not stop the batch
            return None, f"grader error: {error}".splitlines()[0]

    with contextlib.ExitStack() as stack:
        if started is not None:
            stack.enter_context(started)
        pool = stack.enter_context(ThreadPoolExecutor(max_workers=max(jobs, 1)))
        futures = {pool.submit(grade_one, notebook): index for index, notebook in enumerate(notebooks)}
        for future in as_completed(futures):
            yield futures[future], *future.result()


def _inside(notebook: Path, directory: Path) -> Path:
    """The notebook's path inside the class's folder (the same however the folder was named on the command line)."""
    try:
        return notebook.resolve().relative_to(directory.resolve())
    except ValueError:
        return notebook


def _row(student: str, notebook: Path, report: GradeReport | None, error: str) -> dict:
    return {
        "student": student,
        "notebook": str(notebook),
        "score": f"{report.score:g}" if report else "0",
        "max_score": f"{report.max_score:g}" if report else "",
        "tests_passed": sum(test.passed for test in report.tests) if report else 0,
        "tests_total": len(report.tests) if report else 0,
        "error": error,
    }


def _write_csv(path: Path, rows: list[dict]) -> None:
    buffer = io.StringIO(newline="")
    writer = csv.DictWriter(buffer, fieldnames=CSV_FIELDS)
    writer.writeheader()
    writer.writerows(rows)
    write_text_atomically(path, buffer.getvalue())


def write_text_atomically(path: Path, text: str) -> None:
    """Write a file so that a reader (or a killed writer) never leaves half of it: a private temporary
    file in the same folder, flushed to disk, then renamed over the old one."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, 0o644)  # as an ordinary file would be (mkstemp made it private)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    for stale in path.parent.glob(f".{glob.escape(path.name)}.*.tmp"):
        stale.unlink(missing_ok=True)  # an earlier writer of this file killed mid-write (SIGKILL skips the above)
