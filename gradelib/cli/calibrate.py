"""Measure an assignment's quality thresholds on the reference solution and record them in calibration.json.

Runs every quality run of ``tests/hidden/<id>/quality.py`` (see gradelib.kit.calibration) on the solution
notebook over seeds OFFSET .. OFFSET+N-1, sets each threshold by the run's margin rule, and writes
``tests/hidden/<id>/calibration.json`` with the seeds, statistics, machine and library versions. Run it on
the grading hardware (``--budget full --device cuda`` on the GPU).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from gradelib.course import Course, CourseNotFoundError, UnknownAssignmentError
from gradelib.kit.calibration import CalibrationError, calibrate
from gradelib.settings import BUDGETS, DEFAULT_CPU_THREADS, DEVICES

HELP = "record an assignment's quality thresholds (calibration.json)"


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("assignment", help="assignment id, e.g. autoregressive")
    parser.add_argument("--budget", choices=BUDGETS, default="quick", help="quick or full (default: %(default)s)")
    parser.add_argument("--seeds", type=int, default=12, help="how many seeds (default: %(default)s)")
    parser.add_argument(
        "--seed-offset", type=int, default=0, help="the first seed (default: %(default)s, the graded seed's)"
    )
    parser.add_argument("--device", choices=DEVICES, default="cpu", help="torch device (default: %(default)s)")
    parser.add_argument("--runs", default=None, help="comma-separated quality runs (default: all)")
    parser.add_argument(
        "--threads", type=int, default=DEFAULT_CPU_THREADS, help="torch CPU threads (default: grading's)"
    )
    parser.add_argument("--no-baselines", action="store_true", help="skip the bad models of quality.baselines()")
    parser.add_argument(
        "--output", type=Path, default=None, help="write here instead of the hidden suite's calibration.json"
    )


def run(args: argparse.Namespace) -> int:
    try:
        course = Course.find()
        course.require(args.assignment)
    except (CourseNotFoundError, UnknownAssignmentError) as error:
        print(f"gradelib calibrate: {error}", file=sys.stderr)
        return 2
    if args.seeds < 1:
        print("gradelib calibrate: --seeds must be at least 1", file=sys.stderr)
        return 2
    try:
        calibrate(
            course,
            args.assignment,
            budget=args.budget,
            seeds=args.seeds,
            seed_offset=args.seed_offset,
            device=args.device,
            runs=args.runs.split(",") if args.runs else None,
            with_baselines=not args.no_baselines,
            threads=args.threads,
            output=args.output,
            log=lambda line: print(line, flush=True),
        )
    except CalibrationError as error:
        print(f"gradelib calibrate: {error}", file=sys.stderr)
        return 2
    return 0
