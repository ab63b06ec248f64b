"""Is a grading through a warm start (gradelib.warm) the same grading as a cold one, and as well contained?"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from toycourse import write_notebook

from gradelib.grader import GradingOptions, grade_notebook
from gradelib.warm import WarmStart

GOOD_SQUARE = "def square(x):\n    return x * x"
GOOD_COUNTER = (
    "class Counter:\n    def __init__(self):\n        self.count = 0\n"
    "    def tick(self):\n        self.count += 1\n        return self.count"
)
WRONG_COUNTER = (
    "class Counter:\n    def __init__(self):\n        self.count = 0\n"
    "    def tick(self):\n        self.count += 2\n        return self.count"
)
FAST = GradingOptions(timeout=60, test_timeout=20, cell_timeout=5)


def _table(report) -> list[tuple]:
    return [(test.nodeid, test.status, test.score, test.output) for test in report.tests]


def _processes_with(marker: str) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/cmdline", "rb") as stream:
                    if marker.encode() in stream.read():
                        found.append(int(entry))
            except OSError:
                pass
    return found


def _leftovers(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.glob("gradelib-*"))


@pytest.fixture
def scratch_tmp(tmp_path, monkeypatch) -> Path:
    """A TMPDIR of this test's own, so that anything a grading leaves behind shows."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setenv("TMPDIR", str(folder))
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", None)
    return folder


def test_does_a_warm_grading_give_the_same_results_as_a_cold_one(toy_course, tmp_path):
    """The solution, a partly wrong notebook and a broken one get the same results, test by test, both ways."""
    notebooks = [
        write_notebook(tmp_path / "solution.ipynb", [GOOD_SQUARE, GOOD_COUNTER]),
        write_notebook(tmp_path / "partial.ipynb", [GOOD_SQUARE, WRONG_COUNTER]),
        write_notebook(tmp_path / "broken.ipynb", ["def square(x) return x"]),
    ]
    cold = [grade_notebook(nb, "toy", FAST, course=toy_course) for nb in notebooks]
    with WarmStart.for_grading(toy_course, FAST) as warm:
        hot = [grade_notebook(nb, "toy", FAST, course=toy_course, warm=warm) for nb in notebooks]
    assert [r.score for r in cold] == [5, 4, 0]
    for cold_report, warm_report in zip(cold, hot, strict=True):
        assert _table(warm_report) == _table(cold_report)


def test_does_a_warm_grading_that_hangs_leave_nothing_behind(toy_course, tmp_path, scratch_tmp):
    """A notebook that loops at load and starts a daemon is graded 0 at the time limit; its processes and files
    are gone, and the next grading through the same warm start still gets full marks."""
    marker = f"gradelib-warm-daemon-{os.getpid()}"
    hostile = write_notebook(tmp_path / "hostile.ipynb", [
        "import subprocess, sys\n"
        f"subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(300)  # {marker}'],\n"
        "                 start_new_session=True)\n"
        "while True:\n    pass",
    ])
    solution = write_notebook(tmp_path / "solution.ipynb", [GOOD_SQUARE, GOOD_COUNTER])
    options = GradingOptions(timeout=25, test_timeout=10, cell_timeout=8)
    with WarmStart.for_grading(toy_course, options) as warm:
        report = grade_notebook(hostile, "toy", options, course=toy_course, warm=warm)
        assert report.score == 0 and report.tests
        after = grade_notebook(solution, "toy", options, course=toy_course, warm=warm)
        assert after.score == after.max_score == 5
        deadline = time.monotonic() + 15
        while _processes_with(marker) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not _processes_with(marker), "a daemon of the submission outlived its warm grading"
    assert _leftovers(scratch_tmp) == [], "a warm start left files behind"


def test_does_closing_a_warm_start_end_its_server_and_spares(toy_course, scratch_tmp):
    """After close, neither the fork server nor any spare submission process is running, and its folder is gone."""
    warm = WarmStart.for_grading(toy_course, FAST, parallel=2)
    warm.start()
    server = warm._process.pid
    deadline = time.monotonic() + 120
    while len(_children_of(server)) < 2 and time.monotonic() < deadline:  # the two spares' launchers
        time.sleep(0.2)
    spares = _children_of(server)
    assert len(spares) >= 2
    warm.close()
    time.sleep(1)
    assert not [pid for pid in [server, *spares] if _alive(pid)]
    assert _leftovers(scratch_tmp) == []


def _children_of(pid: int) -> list[int]:
    children = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", "rb") as stream:
                    if int(stream.read().rsplit(b")", 1)[1].split()[1]) == pid:
                        children.append(int(entry))
            except (OSError, IndexError, ValueError):
                pass
    return children


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", "rb") as stream:
            return stream.read().rsplit(b")", 1)[1].split()[0] != b"Z"
    except OSError:
        return False


FD_SCRIPT = """
import os, socket, sys
from gradelib.sandbox.channel import Channel
from gradelib.warm import _install_fds

ours, theirs = socket.socketpair()
read_end, write_end = os.pipe()
target = theirs.fileno()  # the grading wants the pipe exactly where the spare's channel is
moved = _install_fds({target: write_end}, keep=Channel(theirs))
os.write(target, b"through the target")
os.close(target)
moved.send({"through": "the channel"})
print(os.read(read_end, 100).decode(), Channel(ours).recv()["through"], moved.fileno() != target, sep="|")
"""


def test_does_installing_a_descriptor_over_the_spares_channel_keep_the_channel():
    """When a grading's descriptor number is the one the spare's channel holds in the fork, do both still work?"""
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", FD_SCRIPT], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "through the target|the channel|True"
