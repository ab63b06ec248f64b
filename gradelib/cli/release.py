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

from gradelib.grader import GraderError, find_course_root
from gradelib.release import ReleaseError, find_leaks, generate_release, release_assignment, release_notebook

HELP = "regenerate assignments/ from solutions/ and check the release"


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("assignment", nargs="?", default=None, help="assignment id (default: all)")
    parser.add_argument("--check", action="store_true", help="change nothing; fail if assignments/ is stale or leaks")


def run(args: argparse.Namespace) -> int:
    try:
        course_root = find_course_root()
    except GraderError as error:
        print(f"gradelib release: {error}", file=sys.stderr)
        return 2
    sources = sorted(path.name for path in (course_root / "solutions").iterdir() if path.is_dir())
    wanted = [args.assignment] if args.assignment else sources
    unknown = [name for name in wanted if name not in sources]
    if unknown:
        print(f"gradelib release: no source notebook for {', '.join(unknown)} (known: {', '.join(sources)})", file=sys.stderr)
        return 2
    failed = False
    for assignment in wanted:
        try:
            if args.check:
                problems = check_release_is_current(course_root, assignment)
            else:
                folder = release_assignment(course_root, assignment)
                problems = []
                print(f"{assignment}: released to {folder.relative_to(course_root)}; no solution or hidden test leaked")
        except ReleaseError as error:
            problems = [str(error)]
        for problem in problems:
            print(f"{assignment}: {problem}", file=sys.stderr)
        failed = failed or bool(problems)
        if args.check and not problems:
            print(f"{assignment}: assignments/ is what gradelib release makes, and leaks nothing")
    return 1 if failed else 0


def check_release_is_current(course_root: Path, assignment: str) -> list[str]:
    """Problems with the committed release: stale (differs from a fresh one) or leaking."""
    with tempfile.TemporaryDirectory(prefix="gradelib-release-check-") as scratch:
        fresh_folder = generate_release(course_root, assignment, Path(scratch))
        fresh = (fresh_folder / f"{assignment}.ipynb").read_text(encoding="utf-8")
    committed_path = release_notebook(course_root, assignment)
    problems = find_leaks(course_root, assignment)
    if not committed_path.is_file():
        problems.append(f"{committed_path.relative_to(course_root)} is missing: run `gradelib release {assignment}`")
    elif committed_path.read_text(encoding="utf-8") != fresh:
        problems.append(
            f"{committed_path.relative_to(course_root)} differs from what `gradelib release {assignment}` makes "
            "from solutions/: run it and commit the result (never edit assignments/ by hand)"
        )
    return problems
