"""Regenerate ``assignments/`` from ``solutions/`` with nbgrader, and prove that nothing leaked.

With no id, every assignment that has a source notebook is released. With --check, nothing in
the checkout changes: the release is made in a scratch folder and compared with the committed one
(exit 1 if they differ or leak), which is what CI runs.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from gradelib.cli.exits import EXIT_GRADER_BROKE, EXIT_OK, EXIT_USAGE
from gradelib.course import Course, CourseNotFoundError
from gradelib.release import ReleaseError, find_leaks, generate_release, release_assignment

HELP = "regenerate assignments/ from solutions/ and check the release"


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("assignment", nargs="?", default=None, help="assignment id (default: all)")
    parser.add_argument("--check", action="store_true", help="change nothing; fail if assignments/ is stale or leaks")


def run(args: argparse.Namespace) -> int:
    try:
        course = Course.find()
    except CourseNotFoundError as error:
        print(f"gradelib release: {error}", file=sys.stderr)
        return EXIT_USAGE
    sources = course.assignments()
    wanted = [args.assignment] if args.assignment else sources
    unknown = [name for name in wanted if name not in sources]
    if unknown:
        print(
            f"gradelib release: no source notebook for {', '.join(unknown)} (known: {', '.join(sources)})",
            file=sys.stderr,
        )
        return EXIT_USAGE
    failed = False
    for assignment in wanted:
        try:
            if args.check:
                problems = check_release_is_current(course, assignment)
            else:
                folder = release_assignment(course, assignment)
                problems = []
                print(f"{assignment}: released to {folder.relative_to(course.root)}; no solution or hidden test leaked")
        except ReleaseError as error:
            problems = [str(error)]
        for problem in problems:
            print(f"{assignment}: {problem}", file=sys.stderr)
        failed = failed or bool(problems)
        if args.check and not problems:
            print(f"{assignment}: assignments/ is what gradelib release makes, and leaks nothing")
    return EXIT_GRADER_BROKE if failed else EXIT_OK


def check_release_is_current(course: Course, assignment: str) -> list[str]:
    """Problems with the committed release: stale (differs from a fresh one) or leaking."""
    with tempfile.TemporaryDirectory(prefix="gradelib-release-check-") as scratch:
        fresh_folder = generate_release(course, assignment, Path(scratch))
        fresh = (fresh_folder / course.release(assignment).name).read_text(encoding="utf-8")
    committed_path = course.release(assignment)
    problems = find_leaks(course, assignment)
    if not committed_path.is_file():
        problems.append(f"{committed_path.relative_to(course.root)} is missing: run `gradelib release {assignment}`")
    elif committed_path.read_text(encoding="utf-8") != fresh:
        problems.append(
            f"{committed_path.relative_to(course.root)} differs from what `gradelib release {assignment}` makes "
            "from solutions/: run it and commit the result (never edit assignments/ by hand)"
        )
    return problems
