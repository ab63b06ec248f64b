"""Public checks in a student's notebook: quick, registered per part, run with a short friendly report.

A public-checks cell defines its checks and runs them::

    @gradelib.public_check("log_prob")
    def check_log_prob():
        \"\"\"log_prob of an FVSBN with zero weights is -D ln 2 for every image.\"\"\"
        assert ..., "what was expected, what was found"

    gradelib.check("log_prob")

``gradelib.check("log_prob")`` runs that part's checks (again, after the student changed their code:
the checks look the notebook's names up when they run) and prints one line per check: ``✓`` or ``✗``
with the assertion's message, "not implemented yet" for a stub, or the error and where in the student's
code it was raised. ``gradelib.check()`` runs every part registered so far. A failed check does not stop
the notebook (the report says what to fix); the result is returned (true when every check passed) for
scripts. The grader never runs public checks: they are for the student.
"""

from __future__ import annotations

import os
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field

__all__ = ["public_check", "check", "CheckReport", "CheckOutcome"]

PASS, FAIL = "✓", "✗"

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep  # gradelib's own frames are not the student's
_REGISTRY: dict[str, dict[str, Callable[[], object]]] = {}


def public_check(part: str) -> Callable[[Callable[[], object]], Callable[[], object]]:
    """Register a function of no arguments as a public check of ``part`` (running its cell again replaces it)."""
    def register(function: Callable[[], object]) -> Callable[[], object]:
        _REGISTRY.setdefault(part, {})[function.__name__] = function
        return function

    return register


@dataclass
class CheckOutcome:
    """One check: its part, its title (the docstring's first line), whether it passed, and why not."""

    part: str
    title: str
    passed: bool
    message: str = ""
    seconds: float = 0.0


@dataclass
class CheckReport:
    """What :func:`check` found; true when every check ran and passed."""

    outcomes: list[CheckOutcome] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.outcomes) and not self.missing and all(outcome.passed for outcome in self.outcomes)

    def _ipython_display_(self) -> None:
        """Shown as the last value of a cell: nothing more (the report is already printed)."""


def check(part: str | None = None, *, file=None) -> CheckReport:
    """Run the public checks of ``part`` (every part registered so far when None) and print a short report.

    Returns:
        A :class:`CheckReport`, true when every check passed.
    """
    file = file or sys.stdout
    parts = [part] if part is not None else list(_REGISTRY)
    report = CheckReport()
    for name in parts:
        checks = _REGISTRY.get(name)
        if not checks:
            report.missing.append(name)
            known = ", ".join(repr(p) for p in _REGISTRY) or "none yet"
            print(f"{FAIL} No public checks are registered for {name!r}: run the cell that defines them first "
                  f"(parts with checks: {known}).", file=file)
            continue
        outcomes = [_run(name, function) for function in checks.values()]
        report.outcomes += outcomes
        passed = sum(outcome.passed for outcome in outcomes)
        mark = PASS if passed == len(outcomes) else FAIL
        print(f"{mark} Public checks of {name}: {passed} of {len(outcomes)} passed", file=file)
        for outcome in outcomes:
            print(f"  {PASS if outcome.passed else FAIL} {outcome.title}", file=file)
            if outcome.message:
                print("      " + outcome.message.replace("\n", "\n      "), file=file)
    if not parts:
        print("No public checks are registered yet: run the public-checks cells of the notebook.", file=file)
    elif report.outcomes and not all(outcome.passed for outcome in report.outcomes):
        print("Fix the first ✗ and run the checks again. They are quick and partial: the hidden tests check more.",
              file=file)
    return report


def _run(part: str, function: Callable[[], object]) -> CheckOutcome:
    doc = (function.__doc__ or "").strip()
    title = doc.splitlines()[0] if doc else function.__name__.replace("_", " ")
    started = time.perf_counter()
    try:
        function()
    except NotImplementedError as error:
        where = _where(error)
        return CheckOutcome(part, title, False, f"not implemented yet{' (' + where + ')' if where else ''}: fill in "
                            "its TODO (the stub still raises NotImplementedError).", time.perf_counter() - started)
    except AssertionError as error:
        message = str(error).strip() or f"an assertion failed ({_where(error, own=True) or 'in the check'})"
        return CheckOutcome(part, title, False, message, time.perf_counter() - started)
    except Exception as error:  # noqa: BLE001 - any error of the student's code is reported, not raised
        where = _where(error)
        text = f"{type(error).__name__}: {str(error).strip()}".strip()[:1000]
        return CheckOutcome(part, title, False, text + (f"\n(raised {where})" if where else ""),
                            time.perf_counter() - started)
    return CheckOutcome(part, title, True, "", time.perf_counter() - started)


def _where(error: BaseException, *, own: bool = False) -> str:
    """Where the error was raised, in the notebook's own code: "in log_prob, line 12 of its cell"."""
    frames = [frame for frame in traceback.extract_tb(error.__traceback__)[1:]
              if "site-packages" not in frame.filename and not frame.filename.startswith(_PACKAGE_DIR)]
    if not frames:
        return ""
    frame = frames[0] if own else frames[-1]
    return f"in {frame.name}, line {frame.lineno} of its cell" if frame.name != "<module>" else f"line {frame.lineno}"
