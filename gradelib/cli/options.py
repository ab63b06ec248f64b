"""Command-line options shared by the grading commands, with defaults from ``gradelib.grader.DEFAULTS``."""

from __future__ import annotations

import argparse

from gradelib.grader import DEFAULTS, GradingOptions
from gradelib.pytest_plugin import BUDGETS, DEVICES


def add_grading_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--assignment", required=True, help="assignment id, e.g. autoregressive")
    parser.add_argument("--device", choices=DEVICES, default=DEFAULTS.device, help="torch device (default: %(default)s)")
    parser.add_argument("--budget", choices=BUDGETS, default=DEFAULTS.budget, help="quick or full (default: %(default)s)")
    parser.add_argument(
        "--timeout", type=float, default=DEFAULTS.timeout,
        help="seconds one notebook's whole grading may take (default: %(default)s)",
    )


def grading_options(args: argparse.Namespace) -> GradingOptions:
    # A cell or a test that hangs must be stopped well before the whole run is, so that the
    # report says which one it was.
    test_timeout = min(DEFAULTS.test_timeout, args.timeout / 2)
    cell_timeout = min(DEFAULTS.cell_timeout, args.timeout / 4)
    return GradingOptions(
        device=args.device, budget=args.budget, timeout=args.timeout, test_timeout=test_timeout, cell_timeout=cell_timeout
    )
