"""Entry point of the ``gradelib`` command: dispatches to one module per command.

Exit codes (:mod:`gradelib.cli.exits`): 0 when the command completed (whatever a submission scored),
2 for a usage error (no such file, unknown assignment), 1 only when the grader itself broke.
"""

from __future__ import annotations

import argparse
import sys

from gradelib.cli import calibrate, class_report, grade, grade_all, gradescope, new, release, student_bundle

#: The commands, as data: (name, module with ``configure(parser)`` and ``run(args) -> int``).
COMMANDS = (
    ("grade", grade), ("grade-all", grade_all), ("release", release), ("new", new), ("calibrate", calibrate),
    ("student-bundle", student_bundle), ("class-report", class_report), ("gradescope", gradescope),
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="gradelib", description="Grade and release the course's notebooks.")
    subparsers = parser.add_subparsers(dest="command", required=True)
    for name, module in COMMANDS:
        sub = subparsers.add_parser(name, help=module.HELP, description=module.__doc__)
        module.configure(sub)
        sub.set_defaults(run=module.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)  # argparse exits with 2 on a usage error
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
