"""Does ``-n`` send each module that shares a costly fixture whole to one pytest-xdist worker?"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from scheduling import SHARED_FIXTURE_MODULES, work_unit

REPO_ROOT = Path(__file__).resolve().parents[1]


def test_is_every_listed_module_a_test_module_of_this_checkout():
    """A renamed or deleted module must leave the list too (else its tests are spread again, silently)."""
    for module in SHARED_FIXTURE_MODULES:
        assert (REPO_ROOT / module).is_file(), f"{module} is in tests/scheduling.py but not in the checkout"


def test_is_a_listed_module_one_unit_and_any_other_test_its_own():
    module = next(iter(SHARED_FIXTURE_MODULES))
    assert work_unit(f"{module}::test_a[x-y]") == work_unit(f"{module}::test_b") == module
    assert work_unit("tests/gradelib/test_messages.py::test_a") == "tests/gradelib/test_messages.py::test_a"


def _run(pytester: pytest.Pytester, grouped: bool) -> dict[str, set[str]]:
    """Two workers over a module of six tests sharing a fixture and six other tests; which workers ran each module."""
    pytester.makeconftest(textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(REPO_ROOT / "tests")!r})
        import scheduling
        if {grouped!r}:
            scheduling.SHARED_FIXTURE_MODULES["tests/test_a_shared.py"] = "a fixture"
            from scheduling import pytest_xdist_make_scheduler
    """))
    ran = pytester.path / f"ran-{'grouped' if grouped else 'plain'}"
    ran.mkdir()
    body = textwrap.dedent(f"""
        import os, pathlib, time, pytest
        @pytest.mark.parametrize("i", range(6))
        def test_it(i):
            time.sleep(0.2)
            pathlib.Path({str(ran)!r}, f"{{__name__}}-{{i}}").write_text(os.environ["PYTEST_XDIST_WORKER"])
    """)
    (pytester.path / "tests").mkdir(exist_ok=True)
    (pytester.path / "tests" / "test_a_shared.py").write_text(body)
    (pytester.path / "tests" / "test_b_other.py").write_text(body)
    result = pytester.runpytest_subprocess("-n", "2", "-p", "no:cacheprovider", "-p", "no:gradelib", "tests")
    result.assert_outcomes(passed=12)
    workers: dict[str, set[str]] = {}
    for path in ran.iterdir():
        workers.setdefault(path.name.split("-")[0], set()).add(path.read_text())
    return workers


def test_does_one_worker_run_a_shared_fixture_module_whole(pytester: pytest.Pytester):
    """With the hook, the listed module runs on one worker; without it (pytest-xdist's plain ``load``, whose first
    round hands the first tests out one per worker) it is split, which is what the hook is for (and what
    ``--dist loadgroup`` still does with pytest 9)."""
    pytest.importorskip("xdist")
    grouped = _run(pytester, grouped=True)
    assert len(grouped["test_a_shared"]) == 1, json.dumps({k: sorted(v) for k, v in grouped.items()})
    plain = _run(pytester, grouped=False)
    assert len(plain["test_a_shared"]) == 2, json.dumps({k: sorted(v) for k, v in plain.items()})
