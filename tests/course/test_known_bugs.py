"""Do the known bugs of every assignment lose exactly the points they should, and do correct variants get them all?

For each assignment that :meth:`Course.assignments` lists, ``tests/known_bugs/<id>/bugs.py`` holds ``BUGS``
and ``CORRECT_VARIANTS`` (see :mod:`gradelib.kit.known_bugs`). Each is applied to the solution notebook and
graded through :func:`gradelib.grader.grade_notebook`, the door ``gradelib grade`` uses (two at a time,
all started at once, through one warm start: :mod:`gradelib.warm`; on a pytest-xdist
worker, each when its test asks). A bug fails exactly its listed tests of the
groups it concerns, the first with a message
that names the mistake; a correct variant gets every point. (The released skeleton scoring zero is
test_doors.py's question.)
"""

from __future__ import annotations

import os
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pytest
from checkout import OPTIONS

from gradelib.course import Course
from gradelib.grader import grade_notebook
from gradelib.kit.known_bugs import Bug, apply_bug, load_bugs, parse_test_id
from gradelib.results import GradeReport
from gradelib.warm import WarmStart

COURSE = Course.find(Path(__file__).resolve().parent)
ASSIGNMENTS = COURSE.assignments()

TIMEOUT_S = OPTIONS.timeout
PARALLEL = 2  # the warm start of tests/course/conftest.py keeps two spares
BUG_LISTS = {assignment: load_bugs(COURSE, assignment) for assignment in ASSIGNMENTS}
BUG_CASES = [pytest.param(a, bug.name, id=f"{a}-{bug.name}") for a, found in BUG_LISTS.items() for bug in found.bugs]
VARIANT_CASES = [
    pytest.param(a, v.name, id=f"{a}-{v.name}") for a, found in BUG_LISTS.items() for v in found.correct_variants
]


def grade_bug(assignment: str, bug: Bug, folder, warm: WarmStart) -> GradeReport:
    """The solution with ``bug`` applied, graded on the bug's groups (a correct variant: its groups, else all)."""
    notebook = apply_bug(COURSE.solution(assignment), bug, folder)
    return grade_notebook(notebook, assignment, OPTIONS, course=COURSE, groups=bug.groups or None, warm=warm)


def result_id(test) -> str:
    """``<group>::<test name with parameters>`` of a result."""
    return f"{test.group}::{test.nodeid.split('::', 1)[1]}"


class _Gradings(dict):
    """Gradings by (assignment, bug name), as futures; one that nobody started yet starts when a test asks for it."""

    def __init__(self, start):
        super().__init__()
        self._start = start

    def __missing__(self, key: tuple[str, str]) -> Future:
        self[key] = future = self._start(key)
        return future


@pytest.fixture(scope="session")
def bug_runs(request, tmp_path_factory, warm) -> dict[tuple[str, str], Future]:
    """The gradings of the selected bugs and variants, two at a time through the warm start.

    In a plain run every selected one starts at once, so two grade while the tests wait in order. A pytest-xdist
    worker is sent its tests one batch at a time and cannot know which it will get: it grades each when its test
    asks (the workers, one per core, are the parallelism), so no bug is graded by two workers.
    """
    folder = tmp_path_factory.mktemp("known_bugs")
    executor = ThreadPoolExecutor(max_workers=PARALLEL)
    gradings = _Gradings(lambda key: executor.submit(
        grade_bug, key[0], BUG_LISTS[key[0]].by_name[key[1]], folder / key[0], warm))
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        selected = {
            (item.callspec.params["assignment"], item.callspec.params["bug"])
            for item in request.session.items
            if hasattr(item, "callspec")
            and {"assignment", "bug"} <= set(item.callspec.params)
            and item.module.__name__ == __name__
        }
        for key in sorted(selected):
            gradings[key]  # noqa: B018 - starts it
    yield gradings
    executor.shutdown(wait=True, cancel_futures=True)


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_does_every_bug_apply_to_the_solution(assignment, tmp_path):
    """Does every bug's edit apply to its cell of the solution, and does every test it names exist?"""
    found = BUG_LISTS[assignment]
    suite = COURSE.hidden_suite(assignment)
    for bug in found.bugs + found.correct_variants:
        apply_bug(COURSE.solution(assignment), bug, tmp_path)  # raises BugError if a snippet is not there once
        for test in bug.fails:
            group, name = parse_test_id(test)
            path = suite / f"test_{group}.py"
            assert path.is_file(), f"{bug.name}: no hidden test file {path.name}"
            assert name is None or f"def {name.split('[')[0]}(" in path.read_text(), (
                f"{bug.name}: no test {name} in {path.name}"
            )
        for group in bug.also_graded:
            assert (suite / f"test_{group}.py").is_file(), f"{bug.name}: no hidden test file test_{group}.py"


@pytest.mark.parametrize("assignment, bug", BUG_CASES)
def test_does_the_bug_fail_exactly_its_tests(assignment, bug, bug_runs):
    """Does the bug fail exactly its listed tests of its groups, the first one with a message naming the mistake?"""
    spec = BUG_LISTS[assignment].by_name[bug]
    report = bug_runs[(assignment, bug)].result(timeout=TIMEOUT_S)
    table = {result_id(test): test for test in report.tests}
    expected: list[str] = []
    for wanted in spec.fails:
        group, name = parse_test_id(wanted)
        expected += [key for key in table if key.startswith(f"{group}::")] if name is None else [wanted]
    unknown = sorted(set(expected) - set(table))
    assert not unknown, f"{bug}: listed failing tests that the suite does not have: {unknown}"
    failed = {key for key, test in table.items() if test.status != "passed"}
    assert failed == set(expected), (
        f"{bug}: tests that should fail but passed: {sorted(set(expected) - failed)}; "
        f"tests that failed but should pass: {sorted((k, table[k].output[:300]) for k in failed - set(expected))}"
    )
    message = table[expected[0]].output
    assert spec.message_mentions in message, f"{bug}: {spec.message_mentions!r} is not in the message: {message}"
    assert "Traceback" not in message and "tests/hidden" not in message, (
        f"{bug}: the message leaks grader code: {message}"
    )


@pytest.mark.parametrize("assignment, bug", VARIANT_CASES)
def test_does_the_correct_variant_get_full_marks(assignment, bug, bug_runs):
    """Does another correct way of writing a TODO get every point of the tests it is graded on?"""
    report = bug_runs[(assignment, bug)].result(timeout=TIMEOUT_S)
    failed = {result_id(test): test.output[:300] for test in report.tests if test.status != "passed"}
    assert report.tests and not failed, f"{bug}: a correct implementation fails {failed}"
    assert report.score == report.max_score > 0
