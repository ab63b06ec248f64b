"""Batch throughput of the grading doors on one class of submissions (a script, not a timed test).

Builds a class of ``--students`` notebooks of an assignment (the reference solution filled into the release, the
untouched release, and known-bug notebooks, in turn) and grades it four ways, one after the other:
``gradelib grade-all --jobs 1``, ``--jobs 2``, ``nbgrader autograde`` (the course's door, one batch) and
``grade-all --scheduler`` on a local Dask cluster (a scheduler and two single-threaded worker processes on
loopback). For each it records the wall time, the CPU seconds of every process it started (user + system,
from the waited-for children's resource usage) and the load average before and after, and checks that every
way gives every student the same score. The machine may be shared: compare CPU seconds, and read wall times
with the load average beside them.

    python scripts/benchmark_batch.py --assignment autoregressive --students 20 --out batch.json
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from gradelib import settings
from gradelib.course import Course
from gradelib.kit.known_bugs import apply_bug, load_bugs
from gradelib.nbgrader_course import autograde, copy_course
from gradelib.release import fill_in_solutions

COURSE = Course.find(Path(__file__).resolve().parent)
BUGS = {"autoregressive": ("nade_sees_itself", "log_prob_in_bits", "mask_wrong_centre_column")}
DASK_BATCH = """
import sys
from distributed import LocalCluster
from gradelib.cli.main import main
cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None,
                       silence_logs=40)
try:
    code = main(sys.argv[1:] + ["--scheduler", cluster.scheduler_address])
finally:
    cluster.close()
sys.exit(code)
"""


def make_class(assignment: str, students: int, folder: Path) -> dict[str, str]:
    """``folder/sNN.ipynb``: the reference, the release and known bugs in turn; returns {student: kind}."""
    folder.mkdir(parents=True)
    scratch = folder.parent / "sources"
    scratch.mkdir()
    reference = fill_in_solutions(COURSE, assignment, scratch / "reference.ipynb")
    bugs = load_bugs(COURSE, assignment).by_name
    sources = [("reference", reference), ("release", COURSE.release(assignment))]
    sources += [(f"bug {name}", apply_bug(COURSE.solution(assignment), bugs[name], scratch))
                for name in BUGS.get(assignment, ())]
    kinds = {}
    for index in range(students):
        kind, path = sources[index % len(sources)]
        shutil.copy(path, folder / f"s{index:02d}.ipynb")
        kinds[f"s{index:02d}"] = kind
    return kinds


def measure(name: str, run) -> dict:
    """Run ``run()`` (which waits for the processes it starts); wall time, their CPU seconds, load averages."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    load_before = os.getloadavg()
    started = time.perf_counter()
    scores = run()
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    result = {"mode": name, "wall_s": round(wall, 1), "cpu_s": round(cpu, 1), "load_before": load_before,
              "load_after": os.getloadavg(), "scores": scores}
    print(json.dumps({k: v for k, v in result.items() if k != "scores"}), flush=True)
    return result


def grade_all(assignment: str, folder: Path, out: Path, extra: list[str], *, dask: bool = False) -> dict:
    csv_path = out / "grades.csv"
    command = ["grade-all", str(folder), "--assignment", assignment, "--device", "cpu", "--csv", str(csv_path),
               "--fresh", *extra]
    argv = [sys.executable, "-c", DASK_BATCH, *command] if dask else [sys.executable, "-m", "gradelib.cli.main",
                                                                        *command]
    done = subprocess.run(argv, cwd=COURSE.root, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-3000:])
    import csv

    with open(csv_path, newline="") as stream:
        return {row["student"]: float(row["score"]) for row in csv.DictReader(stream)}


def nbgrader_batch(assignment: str, folder: Path, scratch: Path) -> dict:
    course = copy_course(COURSE, scratch / "course", assignment)
    submissions = {path.stem: path for path in sorted(folder.glob("*.ipynb"))}
    env = {settings.ENV_DEVICE: "cpu"}
    scores = autograde(course, assignment, submissions, env_extra=env)
    return {student: float(grades["total"]) for student, grades in scores.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--assignment", default="autoregressive")
    parser.add_argument("--students", type=int, default=20)
    parser.add_argument("--modes", default="jobs1,jobs2,nbgrader,dask")
    parser.add_argument("--out", type=Path, default=None, help="write the measurements here (JSON)")
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory(prefix="gradelib-batch-") as scratch:
        scratch = Path(scratch)
        kinds = make_class(args.assignment, args.students, scratch / "class")
        print(json.dumps({"class": kinds}), flush=True)
        runs = {
            "jobs1": lambda: grade_all(args.assignment, scratch / "class", scratch / "jobs1", ["--jobs", "1"]),
            "jobs2": lambda: grade_all(args.assignment, scratch / "class", scratch / "jobs2", ["--jobs", "2"]),
            "nbgrader": lambda: nbgrader_batch(args.assignment, scratch / "class", scratch / "nb"),
            "dask": lambda: grade_all(args.assignment, scratch / "class", scratch / "dask", [], dask=True),
        }
        for mode in args.modes.split(","):
            results.append(measure(mode, runs[mode]))
            if args.out:
                args.out.write_text(json.dumps({"class": kinds, "results": results}, indent=1))
    first = results[0]["scores"]
    for result in results[1:]:
        same = result["scores"] == first
        print(f"{result['mode']}: the same scores as {results[0]['mode']}: {same}")


if __name__ == "__main__":
    main()
