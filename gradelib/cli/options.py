"""Command-line options shared by the grading commands, with defaults from :mod:`gradelib.settings`."""

from __future__ import annotations

import argparse

from gradelib import settings
from gradelib.grader import GradingOptions


def add_grading_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--assignment", required=True, help="assignment id, e.g. autoregressive")
    parser.add_argument(
        "--device",
        choices=settings.DEVICES,
        default=settings.DEFAULT_DEVICE,
        help="torch device (default: %(default)s)",
    )
    parser.add_argument(
        "--budget",
        choices=settings.BUDGETS,
        default=settings.DEFAULT_BUDGET,
        help="quick or full (default: %(default)s)",
    )
    parser.add_argument(
        "--timeout", type=float, default=settings.DEFAULT_TIMEOUT,
        help="seconds one notebook's whole grading may take (default: %(default)s)",
    )
    parser.add_argument(
        "--seed-offset", type=int, default=settings.DEFAULT_SEED_OFFSET,
        help="added to every test's seed (default: %(default)s, as when grading)",
    )


def grading_options(args: argparse.Namespace) -> GradingOptions:
    # A cell or a test that hangs must be stopped well before the whole run is, so that the
    # report says which one it was.
    test_timeout = min(settings.DEFAULT_TEST_TIMEOUT, args.timeout / 2)
    cell_timeout = min(settings.DEFAULT_CELL_TIMEOUT, args.timeout / 4)
    return GradingOptions(
        device=args.device, budget=args.budget, timeout=args.timeout, test_timeout=test_timeout,
        cell_timeout=cell_timeout, seed_offset=args.seed_offset,
    )
