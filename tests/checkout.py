"""The checkout under test, as a :class:`~gradelib.course.Course`: built here and nowhere else.

Tests take it as the ``course`` fixture (tests/conftest.py); a test module that needs it while it is
collected (to parametrize, or to import a hidden suite's helper module) imports ``COURSE`` from here.
"""

from __future__ import annotations

from pathlib import Path

from gradelib.course import Course
from gradelib.grader import GradingOptions

COURSE = Course(Path(__file__).resolve().parents[1])
#: The options of the course tests' own gradings: the command line's defaults, on the CPU.
OPTIONS = GradingOptions(device="cpu", budget="quick", timeout=600)
