"""How ``-n auto`` spreads the project's tests over pytest-xdist workers.

Most tests go, one at a time, to whichever worker is free (pytest-xdist's ``load``). The modules of
``SHARED_FIXTURE_MODULES`` share a costly module- or session-scoped fixture between their tests; each of
them goes whole to one worker, which runs its tests in a row and builds the fixture once. Under ``load``
they would be split between the workers, and each worker (and each return of a worker to the module, since
pytest tears a module fixture down when the next test is in another module) would build it again.

pytest-xdist's own ``--dist loadgroup`` does not group anything with pytest 9 (it renames ``item._nodeid``,
which ``Item.nodeid`` no longer reads), so the grouping is decided here, by file, on the controller.
"""

from __future__ import annotations

#: Test modules (paths from the repository root) that one worker runs whole, and the fixture they share.
SHARED_FIXTURE_MODULES = {
    "tests/course/test_adversarial.py": "the adversarial corpus's gradings",
    "tests/course/test_new_assignment.py": "a scratch course made by `gradelib new` and `gradelib release`",
    "tests/gradelib/test_cluster.py": "a local Dask cluster",
    "tests/gradelib/test_course_setup.py": "a fresh clone and a toy gradebook",
    "tests/gradelib/test_gradescope.py": "the unpacked Gradescope bundle",
    "tests/gradelib/test_metrics.py": "FID and KID of every image set",
    "tests/gradelib/test_nbgrader_door.py": "one autograde batch of hostile kernels",
    "tests/gradelib/test_pictures.py": "the toy solution's grading",
    "tests/gradelib/test_sandbox.py": "a started submission process per sandbox mode",
    "tests/gradelib/test_student_bundle.py": "the written student bundle",
}


def work_unit(nodeid: str) -> str:
    """The unit of work a test belongs to: its module when the module is in SHARED_FIXTURE_MODULES, else itself."""
    module = nodeid.split("::", 1)[0]
    return module if module in SHARED_FIXTURE_MODULES else nodeid


def pytest_xdist_make_scheduler(config, log):
    """The hook (re-exported by tests/conftest.py): under ``load`` (what ``-n`` gives), pytest-xdist's scope
    scheduler with ``work_unit`` as the scope, the biggest units handed out first; another ``--dist`` mode asked
    for by name is left to pytest-xdist."""
    if config.getoption("dist") != "load":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class SharedFixtureScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return work_unit(nodeid)

    return SharedFixtureScheduling(config, log)
