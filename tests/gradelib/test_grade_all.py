"""`gradelib grade-all` on a whole class: resuming after a kill, atomic files, the class report, the progress bar.

The batch runs as the real command in a process of its own, with the grading itself replaced by a fake
that takes a fraction of a second (each fake notebook states the score it gets, and each grading leaves a
mark), so that a batch can be killed midway and restarted in a few seconds. The real grader is tested
elsewhere (tests/gradelib/test_grader.py, the doors).
"""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from gradelib.class_report import Graded, pass_rates, write_class_report
from gradelib.cli.grade_all import Journal, Progress, write_text_atomically
from gradelib.results import GradeReport, TestResult

FAKE_BATCH = """
import json, os, sys, time
from pathlib import Path
import gradelib.cli.grade_all as batch
from gradelib.cli.main import main
from gradelib.results import GradeReport, TestResult

def fake_grade(notebook, assignment, options=None, *, course=None, groups=None, warm=None):
    marks = Path(os.environ["FAKE_MARKS"])
    marks.mkdir(exist_ok=True)
    (marks / f"{Path(notebook).stem}.{time.monotonic_ns()}").touch()
    time.sleep(float(os.environ["FAKE_SECONDS"]))
    score = json.loads(Path(notebook).read_text())["score"]
    tests = [TestResult(name=f"test {i}", score=float(i < score), max_score=1.0,
                        status="passed" if i < score else "failed", output="" if i < score else "wrong",
                        group="g", nodeid=f"test_g.py::test_{i}") for i in range(4)]
    return GradeReport(tests=tests, execution_time=0.5 + score)

batch.grade_notebook = fake_grade
sys.exit(main(sys.argv[1:]))
"""

STUDENTS = {f"s{i}": i % 5 for i in range(6)}


def _class(folder: Path) -> Path:
    folder.mkdir()
    for student, score in STUDENTS.items():
        (folder / f"{student}.ipynb").write_text(json.dumps({"score": min(score, 4)}))
    return folder


def _command(tmp_path: Path, *extra: str) -> list[str]:
    return [sys.executable, "-c", FAKE_BATCH, "grade-all", str(tmp_path / "class"), "--assignment", "autoregressive",
            "--csv", str(tmp_path / "grades.csv"), "--results-dir", str(tmp_path / "results"), "--cold", *extra]


def _env(course, tmp_path: Path, seconds: float) -> dict:
    path = os.pathsep.join(filter(None, [str(course.root), os.environ.get("PYTHONPATH")]))
    return dict(os.environ, PYTHONPATH=path, FAKE_MARKS=str(tmp_path / "marks"), FAKE_SECONDS=str(seconds))


def _marks(tmp_path: Path) -> dict[str, int]:
    counts = dict.fromkeys(STUDENTS, 0)
    for mark in (tmp_path / "marks").iterdir():
        counts[mark.name.split(".")[0]] += 1
    return counts


def _journal_lines(path: Path) -> int:
    return len(path.read_text().splitlines()) if path.is_file() else 0


def _csv_rows(path: Path) -> dict[str, dict]:
    with open(path, newline="") as stream:
        return {row["student"]: row for row in csv.DictReader(stream)}


def test_does_a_killed_batch_resume_without_regrading_or_losing_results(course, tmp_path):
    """Killed (SIGKILL) after three submissions, the batch has an intact CSV of what it graded; run again,
    it grades only the rest; a changed notebook is graded again (and --report covers the whole class)."""
    _class(tmp_path / "class")
    journal = tmp_path / "grades.gradelib-journal.jsonl"
    batch = subprocess.Popen(_command(tmp_path), cwd=course.root, env=_env(course, tmp_path, 0.5),
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    deadline = time.monotonic() + 120
    while _journal_lines(journal) < 3 and batch.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    os.killpg(batch.pid, signal.SIGKILL)
    batch.wait()
    assert batch.returncode == -signal.SIGKILL, "the batch finished before it could be killed"
    before = _csv_rows(tmp_path / "grades.csv")  # atomic: complete rows, whatever the moment of the kill
    recorded = [json.loads(line)["student"] for line in journal.read_text().splitlines() if line.strip()]
    assert len(before) >= 3 and set(recorded) <= set(before)
    assert all(row["score"] == str(min(STUDENTS[name], 4)) for name, row in before.items())
    for student in recorded:
        json.loads((tmp_path / "results" / f"{student}.json").read_text())

    done = subprocess.run(_command(tmp_path), cwd=course.root, env=_env(course, tmp_path, 0.05),
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert f"resumed: {len(recorded)} submission(s) already graded" in done.stdout
    marks = _marks(tmp_path)
    assert all(marks[student] == 1 for student in recorded), marks  # nothing recorded was graded again
    assert all(count >= 1 for count in marks.values())
    after = _csv_rows(tmp_path / "grades.csv")
    assert {name: row["score"] for name, row in after.items()} == {n: str(min(s, 4)) for n, s in STUDENTS.items()}
    assert _journal_lines(journal) == len(STUDENTS)
    assert "\r[" not in done.stderr  # no progress bar where stderr is not a terminal
    assert not [p for p in tmp_path.rglob("*.tmp")]

    (tmp_path / "class" / "s1.ipynb").write_text(json.dumps({"score": 0}))  # a resubmission
    report = tmp_path / "report"
    subprocess.run(_command(tmp_path, "--report", str(report)), cwd=course.root, env=_env(course, tmp_path, 0.05),
                   check=True, capture_output=True, timeout=120)
    assert _marks(tmp_path)["s1"] == marks["s1"] + 1
    assert sum(_marks(tmp_path).values()) == sum(marks.values()) + 1
    assert _csv_rows(tmp_path / "grades.csv")["s1"]["score"] == "0"
    page = (report / "index.html").read_text()  # the report covers resumed and new results alike
    assert f"{len(STUDENTS)} submission(s); {len(STUDENTS)} graded" in page
    for name in ("scores.png", "tests.png", "slowest.png"):
        assert (report / name).read_bytes().startswith(b"\x89PNG") and name in page


def _report(score: int, seconds: float = 1.0) -> GradeReport:
    tests = [TestResult(name=f"test {i}", score=float(i < score), max_score=1.0,
                        status="passed" if i < score else "failed", output="", group="g", nodeid=f"t{i}")
             for i in range(3)]
    return GradeReport(tests=tests, execution_time=seconds)


def test_does_the_class_report_show_scores_pass_rates_and_the_slowest(tmp_path):
    graded = [Graded("ann", "ann.ipynb", _report(3, 5.0)), Graded("bob", "bob.ipynb", _report(1, 50.0)),
              Graded("cy", "cy.ipynb", None, "grader error: boom")]
    assert [(name, round(rate, 2)) for _, name, rate, _ in pass_rates(graded)] == [
        ("test 1", 0.5), ("test 2", 0.5), ("test 0", 1.0)]
    page = write_class_report(tmp_path, "toy", graded).read_text()
    assert "2 graded: mean 2.00" in page and "grader error: boom" in page
    assert page.index("<td>bob</td>") < page.index("<td>ann</td>")  # slowest first
    assert all((tmp_path / name).read_bytes().startswith(b"\x89PNG") for name in ("scores.png", "tests.png",
                                                                                   "slowest.png"))


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_is_the_progress_bar_drawn_on_a_terminal_only():
    terminal, log = _Terminal(), io.StringIO()
    for stream in (terminal, log):
        progress = Progress(3, stream=stream)
        progress.advance("ann")
        progress.advance("bob", failed=True)
        progress.clear()
        progress.advance("cy")
        progress.close()
    assert "3/3, 1 grader error(s)" in terminal.getvalue() and "\r[" in terminal.getvalue()
    assert log.getvalue() == ""


def test_does_the_journal_drop_a_line_cut_short(tmp_path):
    path = tmp_path / "j.jsonl"
    entry = {"student": "ann", "notebook": "ann.ipynb", "sha256": "x", "options": "o", "report": {}}
    path.write_text(json.dumps(entry) + "\n" + '{"student": "bob", "noteb')
    journal = Journal(path)
    journal.load(fresh=False)
    assert list(journal.entries) == [("ann", "ann.ipynb")]
    assert path.read_text() == json.dumps(entry) + "\n"
    assert journal.find("ann", Path("ann.ipynb"), "x", "o") and not journal.find("ann", Path("ann.ipynb"), "y", "o")


@pytest.mark.parametrize("fresh", [True])
def test_does_fresh_empty_the_journal(tmp_path, fresh):
    path = tmp_path / "j.jsonl"
    path.write_text(json.dumps({"student": "a", "notebook": "a", "sha256": "", "options": ""}) + "\n")
    Journal(path).load(fresh=fresh)
    assert path.read_text() == ""


def test_does_the_submission_report_show_each_part_and_wrap_messages(tmp_path):
    from gradelib.cli.main import build_parser
    from gradelib.submission_report import part_scores, write_submission_report

    report = _report(2)
    report.tests[2].output = "expected 3, found 4: " + "a long explanation " * 40
    assert part_scores(report) == [("g", 2.0, 3.0)]
    page = write_submission_report(tmp_path, "toy", report, "ann.ipynb").read_text()
    assert "g: 2 / 3" in page and "[FAIL]</b> test 2" in page and "white-space: pre-wrap" in page
    assert (tmp_path / "parts.png").read_bytes().startswith(b"\x89PNG")
    assert build_parser().parse_args(["grade", "a.ipynb", "--assignment", "toy", "--report", "r"]).report == Path("r")


def test_does_an_atomic_write_clear_what_a_killed_writer_left(tmp_path):
    """A writer killed mid-write (SIGKILL) leaves its temporary file; does the next write of that file remove it,
    and only it?"""
    (tmp_path / ".grades.csv.k1ll3d.tmp").write_text("half a row")
    (tmp_path / ".journal.jsonl.k1ll3d.tmp").write_text("another file's")
    write_text_atomically(tmp_path / "grades.csv", "student,score\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == [".journal.jsonl.k1ll3d.tmp", "grades.csv"]
    assert (tmp_path / "grades.csv").read_text() == "student,score\n"
