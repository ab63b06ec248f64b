"""Grade one notebook with its assignment's hidden suite; print a table and the total.

Writes Gradescope's results.json with --results. Exit 0 once grading completed, whatever the
score; 2 for a usage error; 1 if the grader itself broke.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from gradelib.cli.exits import EXIT_GRADER_BROKE, EXIT_OK, EXIT_USAGE
from gradelib.cli.options import add_grading_options, grading_options
from gradelib.course import CourseNotFoundError, UnknownAssignmentError
from gradelib.grader import GraderError, format_table, grade_notebook

HELP = "grade one notebook"


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("submission", type=Path, help="the notebook to grade (.ipynb)")
    add_grading_options(parser)
    parser.add_argument("--results", type=Path, default=None, help="write Gradescope's results.json here")
    parser.add_argument("--report", type=Path, default=None, metavar="DIR",
                        help="write a web page of the results here (index.html with parts.png)")


def run(args: argparse.Namespace) -> int:
    if not args.submission.is_file():
        print(f"gradelib grade: no such file: {args.submission}", file=sys.stderr)
        return EXIT_USAGE
    try:
        report = grade_notebook(args.submission, args.assignment, grading_options(args))
    except (UnknownAssignmentError, CourseNotFoundError) as error:
        print(f"gradelib grade: {error}", file=sys.stderr)
        return EXIT_USAGE
    except GraderError as error:
        print(f"gradelib grade: the grader broke, not the submission:\n{error}", file=sys.stderr)
        return EXIT_GRADER_BROKE
    print(format_table(report))
    if args.results:
        report.write(args.results)
        print(f"results written to {args.results}")
    if args.report:
        from gradelib.submission_report import write_submission_report

        print(f"report: {write_submission_report(args.report, args.assignment, report, args.submission.name)}")
    return EXIT_OK
