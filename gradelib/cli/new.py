"""Scaffold a new assignment: source notebook, hidden suite, quality runs, known-bug list, calibration record.

After ``gradelib new ID``: write the parts in ``solutions/ID/ID.ipynb`` and their tests in
``tests/hidden/ID/``, run ``gradelib release ID``, then ``gradelib calibrate ID`` once the quality runs
are real. The project's tests (tests/course/) pick the assignment up with no edit.
"""

from __future__ import annotations

import argparse
import sys

from gradelib.course import Course, CourseNotFoundError
from gradelib.kit.scaffold import ScaffoldError, new_assignment

HELP = "scaffold a new assignment (notebook, hidden suite, quality runs, known bugs)"


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("assignment", help="the new assignment's id, e.g. vae")


def run(args: argparse.Namespace) -> int:
    try:
        course = Course.find()
        written = new_assignment(course, args.assignment)
    except (CourseNotFoundError, ScaffoldError) as error:
        print(f"gradelib new: {error}", file=sys.stderr)
        return 2
    for path in written:
        print(f"wrote {path.relative_to(course.root)}")
    print(
        f"next: write the parts, then `gradelib release {args.assignment}` and `gradelib calibrate {args.assignment}`"
    )
    return 0
