"""Tests of `gradelib grade` on the toy course: is every submission graded, whatever it does?"""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest
from toycourse import write_notebook

from gradelib import settings
from gradelib.cli.main import build_parser
from gradelib.cli.options import grading_options
from gradelib.course import Course
from gradelib.grader import GradingOptions, format_table, grade_notebook
from gradelib.release import fill_in_solutions, release_assignment
from gradelib.results import GradeReport, TestResult

GOOD_SQUARE = "def square(x):\n    return x * x"
GOOD_COUNTER = (
    "class Counter:\n    def __init__(self):\n        self.count = 0\n"
    "    def tick(self):\n        self.count += 1\n        return self.count"
)
FAST = GradingOptions(timeout=60, test_timeout=20, cell_timeout=5)


def run_cli(course: Course, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "gradelib.cli.main", *args], cwd=course.root, capture_output=True, text=True, timeout=300
    )


def test_does_the_solution_get_full_marks_with_a_results_file(toy_course):
    """Does the CLI grade the solution 5/5, print a table, and write Gradescope's results?"""
    done = run_cli(toy_course, "grade", "solutions/toy/toy.ipynb", "--assignment", "toy", "--results", "r.json")
    assert done.returncode == 0, done.stderr
    assert "TOTAL  5 / 5" in done.stdout
    results = json.loads((toy_course.root / "r.json").read_text())
    assert results["score"] == results["max_score"] == 5
    assert {test["status"] for test in results["tests"]} == {"passed"}
    assert set(results["tests"][0]) >= {"name", "score", "max_score", "status", "output"}


def test_does_a_half_right_submission_get_partial_credit(toy_course, tmp_path):
    """Is a submission with one wrong function scored on the tests it passes?"""
    path = write_notebook(tmp_path / "s.ipynb", ["def square(x):\n    return 2 * x", GOOD_COUNTER])
    report = grade_notebook(path, "toy", FAST, course=toy_course)
    assert report.score == 1 and report.max_score == 5  # only Counter.tick is right
    failed = [test for test in report.tests if not test.passed]
    assert "returned 8" in failed[0].output


def test_does_the_skeleton_score_zero_saying_not_implemented(toy_course):
    """Does the released skeleton get 0, each test saying what is not implemented yet?"""
    release_assignment(toy_course, "toy")
    report = grade_notebook(toy_course.root / "assignments/toy/toy.ipynb", "toy", FAST, course=toy_course)
    assert report.score == 0
    outputs = [test.output for test in report.tests]
    assert all(output.startswith("Not implemented yet") for output in outputs[:3]), outputs
    assert "`square` still raises NotImplementedError" in outputs[0]


@pytest.mark.parametrize(
    "name, make, expected",
    [
        ("invalid_json", lambda p: write_notebook(p, [], valid_json=False), "not valid JSON"),
        ("syntax_error", lambda p: write_notebook(p, ["def square(x:\n    return x", GOOD_COUNTER]), "SyntaxError"),
        ("missing_class", lambda p: write_notebook(p, [GOOD_SQUARE]), "does not define `Counter`"),
    ],
)
def test_is_a_broken_notebook_graded_with_a_clear_message(toy_course, tmp_path, name, make, expected):
    """Is a broken notebook graded (exit 0) with a low score and a message saying what is wrong?"""
    path = make(tmp_path / f"{name}.ipynb")
    done = run_cli(toy_course, "grade", str(path), "--assignment", "toy", "--results", "r.json")
    assert done.returncode == 0, done.stderr
    results = json.loads((toy_course.root / "r.json").read_text())
    assert results["score"] < results["max_score"]
    assert any(expected in test["output"] for test in results["tests"]), [t["output"] for t in results["tests"]]
    if name == "invalid_json":
        assert results["score"] == 0


def test_is_an_endless_loop_at_load_graded_within_the_timeout(toy_course, tmp_path):
    """Does a notebook that loops forever when loaded get 0 within --timeout, with results written?"""
    path = write_notebook(tmp_path / "loop.ipynb", ["while True:\n    pass", GOOD_SQUARE])
    started = time.monotonic()
    done = run_cli(toy_course, "grade", str(path), "--assignment", "toy", "--timeout", "30", "--results", "r.json")
    elapsed = time.monotonic() - started
    assert done.returncode == 0, done.stderr
    assert elapsed < 60
    results = json.loads((toy_course.root / "r.json").read_text())
    assert results["score"] == 0  # a notebook that never finishes loading is graded as such
    assert all("did not finish loading" in test["output"] for test in results["tests"]), results["tests"]


def test_is_a_hang_in_c_code_stopped_by_the_process_timeout(toy_course, tmp_path):
    """Is a submission blocking where no Python signal reaches it still stopped at --timeout?"""
    path = write_notebook(
        tmp_path / "block.ipynb",
        ["import signal\nsignal.signal(signal.SIGALRM, signal.SIG_IGN)\nimport time\ntime.sleep(1000)"],
    )
    report = grade_notebook(path, "toy", GradingOptions(timeout=8, test_timeout=5, cell_timeout=5), course=toy_course)
    assert report.score == 0
    assert any("time limit of 8 s" in test.output for test in report.tests)


def test_is_os_exit_graded_with_zero_and_a_reason(toy_course, tmp_path):
    """Does a notebook calling os._exit at load get 0, with results for every test?"""
    path = write_notebook(tmp_path / "exit.ipynb", ["import os\nos._exit(0)"])
    done = run_cli(toy_course, "grade", str(path), "--assignment", "toy", "--timeout", "30", "--results", "r.json")
    assert done.returncode == 0, done.stderr
    results = json.loads((toy_course.root / "r.json").read_text())
    assert results["score"] == 0 and len(results["tests"]) == 4
    assert all("did not finish loading" in test["output"] for test in results["tests"]), results["tests"]


def test_are_usage_errors_exit_code_two(toy_course):
    """Is a missing file or an unknown assignment a usage error (exit 2), not a crash?"""
    assert run_cli(toy_course, "grade", "nope.ipynb", "--assignment", "toy").returncode == 2
    done = run_cli(toy_course, "grade", "solutions/toy/toy.ipynb", "--assignment", "nope")
    assert done.returncode == 2 and "Unknown assignment 'nope'" in done.stderr


def test_does_grade_all_survive_bad_submissions(toy_course, tmp_path):
    """Does grade-all grade a class with broken notebooks in it and write every row?"""
    release_assignment(toy_course, "toy")
    submissions = tmp_path / "class"
    submissions.mkdir()
    fill_in_solutions(toy_course, "toy", submissions / "ada" / "toy" / "toy.ipynb")
    write_notebook(submissions / "bob.ipynb", [], valid_json=False)
    write_notebook(submissions / "cy.ipynb", ["import os\nos._exit(1)"])
    done = run_cli(
        toy_course,
        "grade-all",
        str(submissions),
        "--assignment",
        "toy",
        "--jobs",
        "2",
        "--csv",
        "g.csv",
        "--timeout",
        "60",
    )
    assert done.returncode == 0, done.stderr
    rows = (toy_course.root / "g.csv").read_text().splitlines()
    assert rows[0].startswith("student,notebook,score")
    scores = {row.split(",")[0]: row.split(",")[2] for row in rows[1:]}
    assert scores == {"ada": "5", "bob": "0", "cy": "0"}


def test_is_the_table_readable():
    """Does the table show each test's group, points and status and the total?"""
    report = GradeReport(
        tests=[
            TestResult("a test", 1, 1, "passed", "", "g", "n"),
            TestResult("b", 0, 2, "failed", "why\nmore", "g", "m"),
        ]
    )
    table = format_table(report)
    assert "a test" in table and "0/2" in table and "why" in table and "more" not in table
    assert table.splitlines()[2].split() == ["g", "a", "test", "1/1", "passed"]
    assert table.splitlines()[-1] == "TOTAL  1 / 3"


def test_does_the_table_wrap_long_names_instead_of_cutting_them():
    """Are long, parametrised test names shown whole (group and [id] included), within 100 columns?"""
    title = "Does the masked convolution see exactly the kernel positions it should, for its mask type and size?"
    ids = ["A-3", "A-5", "A-7", "B-3", "B-5", "B-7"]
    message = "the masked convolution sees the kernel positions " + "it should not see, " * 12 + "check the mask."
    report = GradeReport(tests=[
        TestResult(f"{title} [{id_}]", 0 if id_ == "B-7" else 1, 1, "failed" if id_ == "B-7" else "passed",
                   message if id_ == "B-7" else "", "masked_conv", id_)
        for id_ in ids
    ])
    table = format_table(report, width=100)
    lines = table.splitlines()
    assert all(len(line) <= 100 for line in lines), max(lines, key=len)
    joined = " ".join(" ".join(line.split()) for line in lines)
    for id_ in ids:
        assert f"size? [{id_}]" in joined  # the whole title, with its parameters
    assert "..." not in table
    assert "check the mask." in joined  # the message too is wrapped, not cut
    assert sum(line.startswith("masked_conv") for line in lines) == len(ids)


def test_is_the_seed_offset_passed_from_the_command_line():
    """Does `gradelib grade --seed-offset N` reach the grading options (default from gradelib.settings)?"""
    args = build_parser().parse_args(["grade", "s.ipynb", "--assignment", "toy", "--seed-offset", "7"])
    assert grading_options(args).seed_offset == 7
    args = build_parser().parse_args(["grade-all", "class", "--assignment", "toy"])
    assert grading_options(args).seed_offset == settings.DEFAULT_SEED_OFFSET == GradingOptions().seed_offset


def test_is_a_giant_allocation_graded_not_fatal(toy_course, tmp_path):
    """Does a notebook that allocates far too much memory get graded, with a hint about memory?"""
    giant = "import torch\nhuge = torch.ones(6 * 10**9)  # 24 GB of float32\n" + GOOD_SQUARE
    path = write_notebook(tmp_path / "giant.ipynb", [giant, GOOD_COUNTER])
    report = grade_notebook(path, "toy", GradingOptions(timeout=120, memory_limit_gb=8), course=toy_course)
    assert report.score == 1  # Counter works; square was never defined
    assert any("can't allocate memory" in test.output for test in report.tests), [t.output for t in report.tests]


def test_does_grade_all_take_only_the_assignments_folder_of_nbgraders_layout(tmp_path):
    """In submitted/<student>/<assignment>/, are a student's other assignments left out?"""
    from gradelib.cli.grade_all import find_submissions

    write_notebook((tmp_path / "ada" / "toy").mkdir(parents=True) or tmp_path / "ada" / "toy" / "toy.ipynb", ["x = 1"])
    write_notebook(
        (tmp_path / "ada" / "other").mkdir(parents=True) or tmp_path / "ada" / "other" / "other.ipynb", ["x = 1"]
    )
    write_notebook(tmp_path / "bob.ipynb", ["x = 1"])
    found = [(student, path.relative_to(tmp_path).as_posix()) for student, path in find_submissions(tmp_path, "toy")]
    assert found == [("ada", "ada/toy/toy.ipynb"), ("bob", "bob.ipynb")]


def test_does_a_grading_killed_by_the_out_of_memory_killer_say_so(toy_course, monkeypatch):
    """When the kernel's out-of-memory killer ends the grading (SIGKILL while its OOM counter rose: a container too
    small, e.g. Gradescope's default), is every unfinished test failed with that reason, not one blaming the
    notebook's os._exit?"""
    import gradelib.grader as grader

    run_for_real = grader._run_isolated
    counts = iter([5, 6])

    def killed_by_the_kernel(command, **kwargs):
        if "--collect-only" in command:
            return run_for_real(command, **kwargs)
        kwargs["after_start"]()  # the child never lists its tests: it is killed first
        return -9, False, ""

    monkeypatch.setattr(grader, "_run_isolated", killed_by_the_kernel)
    from gradelib import processes

    monkeypatch.setattr(grader, "oom_kill_count", lambda: next(counts))  # the count before the grading
    monkeypatch.setattr(processes, "oom_kill_count", lambda: next(counts))  # and after it (oom_kills_since)
    report = grade_notebook(toy_course.solution("toy"), "toy", FAST, course=toy_course)
    assert report.score == 0 and report.tests
    assert all("ran out of memory" in test.output and "os._exit" not in test.output for test in report.tests)
    assert "ran out of memory" in report.output

    counts = iter([5, 5])  # SIGKILL without an out-of-memory kill: the old reason stands
    report = grade_notebook(toy_course.solution("toy"), "toy", FAST, course=toy_course)
    assert all("ended abruptly (exit code -9)" in test.output for test in report.tests)


def test_are_the_out_of_memory_counters_read_from_vmstat_and_cgroup_files(tmp_path, monkeypatch):
    """Does oom_kill_count add the machine's and the memory cgroup's counters, and give None when it can read none?"""
    from gradelib import processes

    vmstat = tmp_path / "vmstat"
    vmstat.write_text("pgfault 10\noom_kill 3\n")
    v1 = tmp_path / "memory.oom_control"
    v1.write_text("oom_kill_disable 0\nunder_oom 0\noom_kill 2\n")
    v2 = tmp_path / "memory.events"
    v2.write_text("low 0\nhigh 0\nmax 4\noom 1\noom_kill 1\n")
    assert processes._counter(vmstat, "oom_kill") == 3
    assert processes._counter(v1, "oom_kill") == 2 and processes._counter(v2, "oom_kill") == 1
    assert processes._counter(tmp_path / "missing", "oom_kill") is None
    monkeypatch.setattr(processes, "_memory_cgroup_files", lambda: [v1, v2, tmp_path / "missing"])
    real_path = processes.Path
    monkeypatch.setattr(processes, "Path", lambda p: vmstat if p == "/proc/vmstat" else real_path(p))
    assert processes.oom_kill_count() == 6
    monkeypatch.setattr(processes, "_memory_cgroup_files", lambda: [])
    monkeypatch.setattr(processes, "Path", lambda p: tmp_path / "none")
    assert processes.oom_kill_count() is None
