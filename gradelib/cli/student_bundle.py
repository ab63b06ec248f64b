"""Write what students get into a new folder: the released notebooks, the public part of gradelib, an
environment file and a short README (see :mod:`gradelib.student_bundle`). Nothing hidden: no hidden
suite, solution, calibration or known bug; the bundle is checked for leaks before the command succeeds."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from gradelib.cli.exits import EXIT_OK, EXIT_USAGE
from gradelib.course import Course, CourseNotFoundError, UnknownAssignmentError
from gradelib.student_bundle import StudentBundleError, write_student_bundle

HELP = "write the students' bundle (released notebooks, public gradelib) into a new folder"


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("directory", type=Path, help="a new (or empty) folder for the bundle")
    parser.add_argument("--assignment", action="append", default=None, dest="assignments",
                        help="only this assignment (repeat for several; default: every released one)")
    parser.add_argument("--package-url", default=None, metavar="URL",
                        help="where the notebooks' install cell gets the course's package when it is missing (on "
                             "Colab): this bundle's repository, e.g. git+https://github.com/COURSE/students.git")


def run(args: argparse.Namespace) -> int:
    try:
        course = Course.find()
        for assignment in args.assignments or []:
            course.require(assignment)
        bundle = write_student_bundle(course, args.directory, args.assignments, package_url=args.package_url)
    except (CourseNotFoundError, UnknownAssignmentError, StudentBundleError) as error:
        print(f"gradelib student-bundle: {error}", file=sys.stderr)
        return EXIT_USAGE
    files = sum(1 for path in bundle.rglob("*") if path.is_file())
    size = sum(path.stat().st_size for path in bundle.rglob("*") if path.is_file())
    print(f"student bundle: {bundle} ({files} files, {size / 2**20:.1f} MiB); nothing hidden found in it")
    return EXIT_OK
