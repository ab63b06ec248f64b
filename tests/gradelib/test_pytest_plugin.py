"""Tests of the pytest plugin with pytester: options, points, results, seeding, messages."""

from __future__ import annotations

import json

import pytest
import torch
from toycourse import write_notebook

from gradelib.seeding import seed_for

HIDDEN = '''
import pytest

@pytest.mark.points(2)
def test_passes(submission):
    """Adds numbers."""
    assert submission.add(1, 2) == 3, "add(1, 2) should be 3"

@pytest.mark.points(3)
def test_fails_with_message(submission):
    """Subtracts numbers."""
    assert submission.sub(1, 2) == -1, "sub(1, 2) should be -1: check the order of the operands"

@pytest.mark.points(1)
def test_stub(submission):
    """Multiplies numbers."""
    submission.mul(2, 3)

@pytest.mark.points(1)
def test_student_error(submission):
    """Divides numbers."""
    submission.div(1, 0)
'''

SUBMISSION = [
    "def add(a, b):\n    return a + b",
    "def sub(a, b):\n    return b - a",
    "def mul(a, b):\n    # YOUR CODE HERE\n    raise NotImplementedError()",
    "def div(a, b):\n    return a / b",
]


@pytest.fixture
def graded(pytester, tmp_path):
    hidden = pytester.mkdir("hidden_suite")
    (hidden / "test_ops.py").write_text(HIDDEN)
    notebook = write_notebook(tmp_path / "sub.ipynb", SUBMISSION)
    results = tmp_path / "results.json"
    outcome = pytester.runpytest_subprocess(
        str(hidden),
        "--submission",
        str(notebook),
        "--gradelib-results",
        str(results),
        "--assert=plain",
        "-p",
        "no:cacheprovider",
    )
    return outcome, json.loads(results.read_text())


def test_are_points_and_statuses_recorded(graded):
    """Does results.json hold each test's points and status, and the total?"""
    outcome, results = graded
    outcome.assert_outcomes(passed=1, failed=3)
    assert results["max_score"] == 7 and results["score"] == 2
    by_name = {test["name"]: test for test in results["tests"]}
    assert by_name["Adds numbers."]["status"] == "passed" and by_name["Adds numbers."]["score"] == 2
    assert by_name["Subtracts numbers."]["group"] == "ops"


def test_are_failure_messages_for_students(graded):
    """Is a failure explained by the check's message, a stub as not implemented, a crash by the student's own frames?"""
    _, results = graded
    by_name = {test["name"]: test["output"] for test in results["tests"]}
    assert by_name["Subtracts numbers."] == "sub(1, 2) should be -1: check the order of the operands"
    assert by_name["Multiplies numbers."].startswith("Not implemented yet: `mul` still raises NotImplementedError")
    division = by_name["Divides numbers."]
    assert "ZeroDivisionError" in division and "<notebook cell 4>" in division
    assert "test_ops.py" not in division and "submission.div" not in division  # no hidden test code


def test_does_a_missing_submission_option_stop_with_a_usage_error(pytester):
    """Is running a hidden test without --submission a clear usage error?"""
    pytester.makepyfile(test_x='def test_a(submission):\n    """A."""\n')
    outcome = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    assert "--submission" in outcome.stdout.str() + outcome.stderr.str()
    assert outcome.ret != 0


def test_is_the_seed_the_same_in_every_run(pytester, tmp_path):
    """Does a test draw the same random numbers whether run alone or with others?"""
    pytester.makepyfile(
        test_seed='''
import random, torch
def test_a():
    """A."""
    print("VALUES", random.random(), torch.rand(1).item())
def test_b():
    """B."""
    random.random()
'''
    )
    alone = pytester.runpytest_subprocess("-s", "-k", "test_a", "-p", "no:cacheprovider").stdout.str()
    together = pytester.runpytest_subprocess("-s", "-p", "no:cacheprovider").stdout.str()
    line = [l for l in alone.splitlines() if "VALUES" in l][0]
    assert line in together


def test_is_every_seed_moved_by_the_seed_offset(pytester):
    """Is a test seeded with seed_for("<file>::<test>", --seed-offset), so that an offset changes its draws?"""
    pytester.makepyfile(
        test_draws='''
import torch
def test_a():
    """A."""
    print("VALUES", torch.rand(1).item())
'''
    )

    def draw(*options: str) -> str:
        out = pytester.runpytest_subprocess("-s", "-p", "no:cacheprovider", *options).stdout.str()
        return [l for l in out.splitlines() if "VALUES" in l][0]

    for offset in (0, 3):
        torch.manual_seed(seed_for("test_draws.py::test_a", offset))
        assert f"VALUES {torch.rand(1).item()}" in draw("--seed-offset", str(offset))
    assert draw() == draw("--seed-offset", "0") != draw("--seed-offset", "3")


def test_does_a_slow_test_stop_at_the_test_timeout(pytester, tmp_path):
    """Is a test that loops forever stopped at --test-timeout with a message, and the next test still run?"""
    pytester.makepyfile(
        test_slow='''
import pytest
@pytest.mark.points(1)
def test_loops(submission):
    """Loops."""
    submission.forever()
@pytest.mark.points(1)
def test_after(submission):
    """After."""
    assert submission.ok() == 1, "ok"
'''
    )
    notebook = write_notebook(
        tmp_path / "s.ipynb", ["def forever():\n    while True:\n        pass", "def ok():\n    return 1"]
    )
    results = tmp_path / "r.json"
    pytester.runpytest_subprocess(
        "--submission",
        str(notebook),
        "--gradelib-results",
        str(results),
        "--test-timeout",
        "1",
        "-p",
        "no:cacheprovider",
    )
    tests = json.loads(results.read_text())["tests"]
    assert "ran for more than 1 s" in tests[0]["output"]
    assert tests[1]["status"] == "passed"
