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
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from gradelib import settings
from gradelib.course import Course
from gradelib.grader import GradingOptions, grade_notebook
from gradelib.kit.calibration import load_quality, test_seed_of
from gradelib.loader import load_notebook
from gradelib.nbgrader_course import autograde, copy_course
from gradelib.release import fill_in_solutions

COURSE = Course.find(Path(__file__).resolve().parent)


def time_gradelib(assignment: str, options: GradingOptions) -> tuple[float, float, float]:
    started = time.perf_counter()
    report = grade_notebook(COURSE.solution(assignment), assignment, options, course=COURSE)
    return time.perf_counter() - started, report.score, report.max_score


def time_nbgrader(assignment: str, options: GradingOptions) -> tuple[float, float]:
    with tempfile.TemporaryDirectory(prefix="gradelib-bench-") as scratch:
        scratch = Path(scratch)
        course = copy_course(COURSE, scratch / "course", assignment)
        student = fill_in_solutions(COURSE, assignment, scratch / f"{assignment}.ipynb")
        env = {settings.ENV_BUDGET: options.budget, settings.ENV_DEVICE: options.device}
        started = time.perf_counter()
        scores = autograde(course, assignment, {"bench": student}, env_extra=env)
        return time.perf_counter() - started, scores["bench"]["total"]


def measure_cli(assignment: str, options: GradingOptions) -> dict:
    """``gradelib grade`` on the reference in a process of its own: wall seconds, CPU seconds of every process it
    started (Linux perf's task-clock, which follows every fork; None without perf), and the peak over time of the
    memory of its whole process tree, summed: PSS (shared pages counted once, the honest total) and RSS (each
    process's resident pages, shared ones again in every fork)."""
    command = [sys.executable, "-m", "gradelib.cli.main", "grade", str(COURSE.solution(assignment)),
               "--assignment", assignment, "--budget", options.budget, "--device", options.device]
    counts = Path(tempfile.mkstemp(prefix="gradelib-perf-")[1])
    if shutil.which("perf"):
        command = ["perf", "stat", "-x", ",", "-e", "task-clock", "-o", str(counts), "--", *command]
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=COURSE.root, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    peaks = {"pss": 0, "rss": 0}
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.5):
            pss, rss = _tree_memory(process.pid)
            peaks["pss"], peaks["rss"] = max(peaks["pss"], pss), max(peaks["rss"], rss)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    output = process.communicate()[0]
    wall = time.perf_counter() - started
    done.set()
    sampler.join()
    cpu = next((float(line.split(",")[0]) / 1000 for line in counts.read_text().splitlines() if "task-clock" in line),
               None)
    counts.unlink()
    total = next((line for line in output.splitlines() if line.startswith("TOTAL")), "TOTAL ?")
    return {"wall_s": wall, "cpu_s": cpu,
            "peak_pss_gib": peaks["pss"] / 2**30, "peak_rss_gib": peaks["rss"] / 2**30, "total": total}


def _tree_memory(root: int) -> tuple[int, int]:
    """(summed PSS, summed RSS) in bytes of ``root`` and its descendants."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", "rb") as stream:
                    children.setdefault(int(stream.read().rsplit(b")", 1)[1].split()[1]), []).append(int(entry))
            except (OSError, IndexError, ValueError):
                continue
    pss = rss = 0
    stack = [root]
    while stack:
        pid = stack.pop()
        stack.extend(children.get(pid, []))
        try:
            with open(f"/proc/{pid}/smaps_rollup") as stream:
                for line in stream:
                    if line.startswith(("Pss:", "Rss:")):
                        value = int(line.split()[1]) * 1024
                        if line.startswith("Pss:"):
                            pss += value
                        else:
                            rss += value
        except OSError:
            continue
    return pss, rss


def reference_quality(assignment: str, budget: str, device: str) -> dict[str, tuple[float, str]]:
    """Each quality run of the assignment (``tests/hidden/<id>/quality.py``) on the reference, at the graded seed."""
    quality = load_quality(COURSE, assignment)
    import torch

    torch_device = torch.device("cuda" if device in ("auto", "cuda") and torch.cuda.is_available() else "cpu")
    torch.set_num_threads(1)  # as in grading and calibration
    os.environ[settings.ENV_GRADING] = "1"
    reference = load_notebook(COURSE.solution(assignment))
    return {
        name: (run.function(reference, budget=budget, seed=test_seed_of(quality), device=torch_device), run.unit)
        for name, run in quality.QUALITY_RUNS.items()
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assignment", default="autoregressive")
    parser.add_argument("--budget", default=settings.DEFAULT_BUDGET, choices=settings.BUDGETS)
    parser.add_argument("--device", default="cpu", choices=settings.DEVICES)
    parser.add_argument("--repeat", type=int, default=1, help="time each door this many times (median reported)")
    parser.add_argument("--cli-only", action="store_true",
                        help="only `gradelib grade` as a command: wall, CPU seconds and peak memory of its processes")
    args = parser.parse_args()
    options = GradingOptions(device=args.device, budget=args.budget, timeout=3600)
    if args.cli_only:
        runs = [measure_cli(args.assignment, options) for _ in range(args.repeat)]
        for run in runs:
            cpu = "?" if run["cpu_s"] is None else f"{run['cpu_s']:.1f}"
            print(f"{args.assignment}: {run['total']}, wall {run['wall_s']:.1f} s, CPU {cpu} s, "
                  f"peak memory of all its processes {run['peak_pss_gib']:.2f} GiB (PSS; "
                  f"{run['peak_rss_gib']:.2f} GiB summed RSS), load average {os.getloadavg()[0]:.1f}")
        return

    grade_runs = [time_gradelib(args.assignment, options) for _ in range(args.repeat)]
    nbgrader_runs = [time_nbgrader(args.assignment, options) for _ in range(args.repeat)]
    grade_time = statistics.median(run[0] for run in grade_runs)
    nbgrader_time = statistics.median(run[0] for run in nbgrader_runs)
    print(f"assignment {args.assignment}, budget {args.budget}, device {args.device}, {os.cpu_count()} CPU cores")
    score, max_score = grade_runs[0][1], grade_runs[0][2]
    print(f"gradelib grade (hidden suite on the reference): {grade_time:7.1f} s  score {score:g}/{max_score:g}")
    print(f"nbgrader autograde (same notebook, filled):     {nbgrader_time:7.1f} s  score {nbgrader_runs[0][1]:g}")
    print(f"ratio autograde / grade:                        {nbgrader_time / grade_time:7.2f}")
    for name, (value, unit) in reference_quality(args.assignment, args.budget, args.device).items():
        print(f"reference {name}: {value:.3f} {unit}")


if __name__ == "__main__":
    main()
