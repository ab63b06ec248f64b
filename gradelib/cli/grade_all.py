"""Grade a whole class: every notebook in a folder, several at a time.

A submission is ``DIR/<student>.ipynb`` or any notebook under ``DIR/<student>/`` (nbgrader's
``submitted/<student>/<assignment>/`` layout works as it is). One bad submission never stops the
batch: it is graded as such, and if the grader itself fails on it the row says so with score 0.
The CSV is rewritten after every submission, so a batch that is stopped keeps what it graded.
"""

from __future__ import annotations

import argparse
import csv
import sys
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

from gradelib.cli.exits import EXIT_OK, EXIT_USAGE
from gradelib.cli.options import add_grading_options, grading_options
from gradelib.course import Course, CourseNotFoundError, UnknownAssignmentError
from gradelib.grader import grade_notebook
from gradelib.results import GradeReport

HELP = "grade every notebook in a folder"
CSV_FIELDS = ("student", "notebook", "score", "max_score", "tests_passed", "tests_total", "error")


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("directory", type=Path, help="folder of submissions")
    add_grading_options(parser)
    parser.add_argument("--jobs", type=int, default=1, help="notebooks graded at once (default: %(default)s)")
    parser.add_argument("--csv", type=Path, default=None, help="write one row per student here")
    parser.add_argument("--results-dir", type=Path, default=None, help="write each student's results.json here")


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
    options = grading_options(args)
    rows: dict[Path, dict] = {}

    def grade_one(student: str, notebook: Path) -> dict:
        try:
            report = grade_notebook(notebook, args.assignment, options, course=course)
        except Exception as error:  # noqa: BLE001 - one broken grading must not stop the batch
            return _row(student, notebook, None, f"grader error: {error}".splitlines()[0])
        if args.results_dir:
            report.write(args.results_dir / f"{student}.json")
        return _row(student, notebook, report, "")

    with ThreadPoolExecutor(max_workers=max(args.jobs, 1)) as pool:
        futures = {pool.submit(grade_one, student, notebook): notebook for student, notebook in submissions}
        for future in as_completed(futures):
            row = future.result()
            rows[futures[future]] = row
            print(f"{row['student']:<24} {row['score']:>6} / {row['max_score']:<6} {row['error']}", flush=True)
            if args.csv:
                _write_csv(args.csv, [rows[path] for _, path in submissions if path in rows])
    print(f"graded {len(rows)} submission(s)")
    return EXIT_OK


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
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(path.suffix + ".tmp")
    with open(temporary, "w", newline="", encoding="utf-8") as stream:
        writer = csv.DictWriter(stream, fieldnames=CSV_FIELDS)
        writer.writeheader()
        writer.writerows(rows)
    temporary.replace(path)
