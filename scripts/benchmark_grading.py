"""Benchmark the grading doors on an assignment's reference solution (a script, not a timed test).

Prints the wall time of the hidden suite through ``gradelib grade`` on the reference solution, the
time ``nbgrader autograde`` takes on the same notebook (filled into the release, as a perfect
student would submit it), their ratio, both scores, and the reference models' test NLL from the
suite's own quality run, if the assignment's hidden suite has one (``<id>_quality.py`` or
``ar_quality.py`` with ``CONFIGS``, ``TEST_SEED`` and ``train_and_evaluate``). Timings on a shared
machine are noisy: compare ratios, and repeat with --repeat.

    python scripts/benchmark_grading.py --assignment autoregressive --budget quick --device cpu
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from gradelib.grader import GradingOptions, grade_notebook
from gradelib.loader import load_notebook
from gradelib.nbgrader_course import autograde, copy_course
from gradelib.release import fill_in_solutions

REPO_ROOT = Path(__file__).resolve().parents[1]


def time_gradelib(assignment: str, options: GradingOptions) -> tuple[float, float, float]:
    solution = REPO_ROOT / "solutions" / assignment / f"{assignment}.ipynb"
    started = time.perf_counter()
    report = grade_notebook(solution, assignment, options, course_root=REPO_ROOT)
    return time.perf_counter() - started, report.score, report.max_score


def time_nbgrader(assignment: str, options: GradingOptions) -> tuple[float, float]:
    with tempfile.TemporaryDirectory(prefix="gradelib-bench-") as scratch:
        scratch = Path(scratch)
        course = copy_course(REPO_ROOT, scratch / "course", assignment)
        student = fill_in_solutions(REPO_ROOT, assignment, scratch / f"{assignment}.ipynb")
        env = {"GRADELIB_BUDGET": options.budget, "GRADELIB_DEVICE": options.device}
        started = time.perf_counter()
        scores = autograde(course, assignment, {"bench": student}, env_extra=env)
        return time.perf_counter() - started, scores["bench"]["total"]


def reference_quality(assignment: str, budget: str, device: str) -> dict[str, float]:
    """Test NLL (nats) of each model the suite trains, trained from the reference solution."""
    suite = REPO_ROOT / "tests" / "hidden" / assignment
    candidates = sorted(suite.glob("*_quality.py"))
    if not candidates:
        return {}
    spec = importlib.util.spec_from_file_location(candidates[0].stem, candidates[0])
    quality = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(suite))
    spec.loader.exec_module(quality)
    import torch

    torch_device = torch.device("cuda" if device in ("auto", "cuda") and torch.cuda.is_available() else "cpu")
    torch.set_num_threads(1)  # as in grading and calibration
    os.environ["GRADELIB_GRADING"] = "1"
    reference = load_notebook(REPO_ROOT / "solutions" / assignment / f"{assignment}.ipynb")
    return {
        name: quality.train_and_evaluate(reference, name, budget=budget, seed=quality.TEST_SEED, device=torch_device)
        for name in quality.CONFIGS[budget]["models"]
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assignment", default="autoregressive")
    parser.add_argument("--budget", default="quick", choices=("quick", "full"))
    parser.add_argument("--device", default="cpu", choices=("auto", "cpu", "cuda"))
    parser.add_argument("--repeat", type=int, default=1, help="time each door this many times (median reported)")
    args = parser.parse_args()
    options = GradingOptions(device=args.device, budget=args.budget, timeout=3600)

    grade_runs = [time_gradelib(args.assignment, options) for _ in range(args.repeat)]
    nbgrader_runs = [time_nbgrader(args.assignment, options) for _ in range(args.repeat)]
    grade_time = statistics.median(run[0] for run in grade_runs)
    nbgrader_time = statistics.median(run[0] for run in nbgrader_runs)
    print(f"assignment {args.assignment}, budget {args.budget}, device {args.device}, {os.cpu_count()} CPU cores")
    print(f"gradelib grade (hidden suite on the reference): {grade_time:7.1f} s  score {grade_runs[0][1]:g}/{grade_runs[0][2]:g}")
    print(f"nbgrader autograde (same notebook, filled):     {nbgrader_time:7.1f} s  score {nbgrader_runs[0][1]:g}")
    print(f"ratio autograde / grade:                        {nbgrader_time / grade_time:7.2f}")
    for name, nll in reference_quality(args.assignment, args.budget, args.device).items():
        print(f"reference {name} test NLL: {nll:.2f} nats per image")


if __name__ == "__main__":
    main()
