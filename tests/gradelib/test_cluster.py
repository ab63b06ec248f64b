"""Does `gradelib grade-all --scheduler ADDRESS` grade a class on a Dask cluster exactly as the local pool does?

A real Dask scheduler and two worker processes on loopback (distributed's LocalCluster), the toy course, two
submissions (the solution, a wrong one); the same batch is graded locally and through
the cluster, and the CSVs and results files must agree (the time each grading took aside).
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from toycourse import write_notebook

WRONG = ["def square(x):\n    return x + x",
         "class Counter:\n    count = 0\n    def tick(self):\n        self.count += 1\n        return self.count"]


@pytest.fixture(scope="module")
def dask_cluster():
    """A Dask scheduler and two single-threaded worker processes on 127.0.0.1 (no dashboard)."""
    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                       dashboard_address=None, silence_logs=40)
    try:
        yield cluster.scheduler_address
    finally:
        cluster.close()


def _grade_all(course, folder: Path, out: Path, *extra: str) -> subprocess.CompletedProcess:
    path = os.pathsep.join(filter(None, [str(Path(__file__).resolve().parents[2]), os.environ.get("PYTHONPATH")]))
    return subprocess.run(
        [sys.executable, "-m", "gradelib.cli.main", "grade-all", str(folder), "--assignment", "toy", "--device", "cpu",
         "--csv", str(out / "grades.csv"), "--results-dir", str(out / "results"), *extra],
        cwd=course.root, env=dict(os.environ, PYTHONPATH=path), capture_output=True, text=True, timeout=600)


def _results(out: Path) -> dict:
    found = {}
    for path in sorted((out / "results").glob("*.json")):
        data = json.loads(path.read_text())
        data.pop("execution_time")
        found[path.stem] = data
    return found


def _csv(out: Path) -> list[dict]:
    with open(out / "grades.csv", newline="") as stream:
        return sorted(csv.DictReader(stream), key=lambda row: row["student"])


def test_does_a_dask_cluster_grade_a_class_as_the_local_pool_does(dask_cluster, toy_course, tmp_path):
    folder = tmp_path / "class"
    folder.mkdir()
    (folder / "a_solution.ipynb").write_bytes(toy_course.solution("toy").read_bytes())
    write_notebook(folder / "b_wrong.ipynb", WRONG)
    local = _grade_all(toy_course, folder, tmp_path / "local", "--jobs", "2")
    assert local.returncode == 0, local.stderr
    remote = _grade_all(toy_course, folder, tmp_path / "dask", "--scheduler", dask_cluster)
    assert remote.returncode == 0, remote.stderr
    assert _csv(tmp_path / "local") == _csv(tmp_path / "dask")
    scores = {row["student"]: row["score"] for row in _csv(tmp_path / "dask")}
    assert scores == {"a_solution": "5", "b_wrong": "1"}
    assert _results(tmp_path / "local") == _results(tmp_path / "dask")
    for student in scores:  # each counter test drew its picture on a worker, and it came back
        assert [test["name"] for test in _results(tmp_path / "dask")[student]["tests"] if test.get("pictures")] == [
            "Counter.tick counts from 1."]


def test_is_an_unreachable_scheduler_a_usage_error(toy_course, tmp_path):
    folder = tmp_path / "class"
    folder.mkdir()
    write_notebook(folder / "a.ipynb", WRONG)
    pytest.importorskip("distributed")
    result = _grade_all(toy_course, folder, tmp_path / "out", "--scheduler", "tcp://127.0.0.1:9")
    assert result.returncode == 2
    assert "cannot reach the Dask scheduler at tcp://127.0.0.1:9" in result.stderr
