"""Make the class report and the CSV from a folder of results files (``<student>.json``, Gradescope's
format, as ``grade-all --results-dir`` writes them): how a CI matrix merges what its shards graded.
A file that cannot be read is listed in the report as not graded."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from gradelib.class_report import Graded, write_class_report
from gradelib.cli.exits import EXIT_OK, EXIT_USAGE
from gradelib.cli.grade_all import _row, _write_csv
from gradelib.results import GradeReport

HELP = "class report and CSV from a folder of results files (merges a CI matrix's shards)"


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("results_dir", type=Path, help="folder of <student>.json results files")
    parser.add_argument("--assignment", required=True, help="assignment id (the report's title)")
    parser.add_argument("--report", type=Path, default=None, metavar="DIR", help="write the class report here")
    parser.add_argument("--csv", type=Path, default=None, help="write one row per student here")


def run(args: argparse.Namespace) -> int:
    if not args.results_dir.is_dir():
        print(f"gradelib class-report: no such folder: {args.results_dir}", file=sys.stderr)
        return EXIT_USAGE
    graded, rows = [], []
    for path in sorted(args.results_dir.glob("*.json")):
        try:
            report = GradeReport.read(path)
        except (OSError, ValueError, TypeError, KeyError) as error:
            graded.append(Graded(path.stem, str(path), None, f"unreadable results file: {error}"))
            rows.append(_row(path.stem, path, None, f"unreadable results file: {error}"))
            continue
        graded.append(Graded(path.stem, str(path), report))
        rows.append(_row(path.stem, path, report, ""))
    if args.csv:
        _write_csv(args.csv, rows)
    if args.report:
        print(f"class report: {write_class_report(args.report, args.assignment, graded)}")
    print(f"{len(graded)} results file(s)")
    return EXIT_OK
