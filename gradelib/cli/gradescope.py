"""Build a Gradescope autograder (``setup.sh``, ``run_autograder`` and the course files that grading one
assignment needs) as a zip to upload on Gradescope's "Configure Autograder" page; see
:mod:`gradelib.gradescope`. The zip holds the hidden suite and the reference solution: keep it private."""

from __future__ import annotations

import argparse
import sys
import zipfile
from pathlib import Path

from gradelib.cli.exits import EXIT_OK, EXIT_USAGE
from gradelib.course import Course, CourseNotFoundError, UnknownAssignmentError
from gradelib.gradescope import build_gradescope_bundle

HELP = "build a Gradescope autograder zip for one assignment"


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("assignment", help="assignment id, e.g. autoregressive")
    parser.add_argument("--out", type=Path, required=True, help="the zip to write, e.g. autograder.zip")


def run(args: argparse.Namespace) -> int:
    try:
        bundle = build_gradescope_bundle(Course.find(), args.assignment, args.out)
    except (CourseNotFoundError, UnknownAssignmentError) as error:
        print(f"gradelib gradescope: {error}", file=sys.stderr)
        return EXIT_USAGE
    with zipfile.ZipFile(bundle) as archive:
        count = len(archive.namelist())
    print(f"Gradescope autograder: {bundle} ({count} files, {bundle.stat().st_size / 2**20:.2f} MiB); "
          "it holds the hidden suite and the reference solution: keep it private")
    return EXIT_OK
