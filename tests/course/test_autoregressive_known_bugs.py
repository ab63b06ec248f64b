"""Do the known-bug submissions of the autoregressive assignment lose exactly the points they should?

Each bug of tests/known_bugs/autoregressive/bugs.py is applied to the solution notebook; the hidden
test files it concerns grade the patched notebook through gradelib.grader (a child process, two at a time),
and the tests it must fail, and only those, fail, with the expected words in the student's message.
Other correct ways to write the TODOs (``bugs.CORRECT_VARIANTS``) must pass every test of their
files. (That the skeleton fails every hidden test is checked for every assignment in test_doors.py.)
"""

from __future__ import annotations

import json
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pytest
from checkout import COURSE

from gradelib.grader import GradingOptions, grade_notebook

bugs = COURSE.import_helper(COURSE.known_bugs("autoregressive"), "bugs")

TIMEOUT_S = 600


def run_hidden(notebook: Path, files: list[str], results: Path) -> dict:
    """Grade a notebook with some hidden test files, through gradelib's own door (a child process).

    Returns the Gradescope results as a dict, also written to ``results``.
    """
    groups = [Path(name).stem.removeprefix("test_") for name in files]
    options = GradingOptions(device="cpu", budget="quick", timeout=TIMEOUT_S)
    report = grade_notebook(notebook, "autoregressive", options, course=COURSE, groups=groups)
    report.write(results)
    return report.to_json()


def outcomes(report: dict) -> dict[tuple[str, str], dict]:
    """(file name, test name with parameters) -> the test's result entry."""
    table = {}
    for test in report["tests"]:
        path, name = test["nodeid"].split("::", 1)
        table[(Path(path).name, name)] = test
    return table


@pytest.fixture(scope="module")
def bug_runs(request, tmp_path_factory) -> dict[str, Future]:
    """Start the hidden runs of every selected bug at once, two at a time; each test waits for its own."""
    selected = {item.callspec.params["bug"] for item in request.session.items
                if item.module is request.module and hasattr(item, "callspec") and "bug" in item.callspec.params}
    folder = tmp_path_factory.mktemp("known_bugs")
    executor = ThreadPoolExecutor(max_workers=2)
    futures = {}
    for name in sorted(selected):
        bug = bugs.BUGS_BY_NAME[name]
        notebook = bugs.write_buggy_notebook(bug, folder)
        futures[name] = executor.submit(run_hidden, notebook, sorted(bug.failing), folder / f"{name}.results.json")
    yield futures
    executor.shutdown(wait=True, cancel_futures=True)


def test_every_bug_patches_the_solution(tmp_path):
    """Does every bug's snippet occur exactly once in its cell of the solution, with unique names?"""
    assert len(bugs.BUGS) >= 8
    assert len(bugs.BUGS_BY_NAME) == len(bugs.BUGS) + len(bugs.CORRECT_VARIANTS)
    for bug in bugs.BUGS + bugs.CORRECT_VARIANTS:
        path = bugs.write_buggy_notebook(bug, tmp_path)
        assert bug.new in path.read_text() or json.dumps(bug.new)[1:-1] in path.read_text(), bug.name
        for name in bug.failing:
            assert (COURSE.hidden_suite("autoregressive") / name).is_file(), f"{bug.name}: no hidden test file {name}"


@pytest.mark.parametrize("bug", [bug.name for bug in bugs.BUGS])
def test_known_bug_fails_exactly_its_tests(bug, bug_runs):
    """Does the bug fail exactly its expected hidden tests, with the expected words in the message?"""
    spec = bugs.BUGS_BY_NAME[bug]
    table = outcomes(bug_runs[bug].result(timeout=TIMEOUT_S))
    failed = {key for key, test in table.items() if test["status"] != "passed"}
    expected = {(name, test) for name, tests in spec.failing.items() for test in tests}
    unknown = expected - set(table)
    assert not unknown, f"{bug}: expected failing tests that do not exist: {sorted(unknown)}"
    assert failed == expected, (
        f"{bug}: tests that should fail but passed: {sorted(expected - failed)}; "
        f"tests that failed but should pass: {sorted((k, table[k]['output'][:300]) for k in failed - expected)}"
    )
    first_file = next(iter(spec.failing))
    message = table[(first_file, spec.failing[first_file][0])]["output"]
    assert spec.fragment in message, f"{bug}: {spec.fragment!r} not in the message: {message}"
    assert "Traceback" not in message and "tests/hidden" not in message, (
        f"{bug}: the message leaks grader code: {message}"
    )


@pytest.mark.parametrize("bug", [variant.name for variant in bugs.CORRECT_VARIANTS])
def test_correct_variant_passes(bug, bug_runs):
    """Does another correct way of writing a TODO pass every test of its files?"""
    table = outcomes(bug_runs[bug].result(timeout=TIMEOUT_S))
    failed = {key: test["output"][:300] for key, test in table.items() if test["status"] != "passed"}
    assert table and not failed, f"{bug}: a correct implementation fails {failed}"
