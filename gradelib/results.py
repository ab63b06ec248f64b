"""Grading results in Gradescope's ``results.json`` format.

One :class:`TestResult` per hidden test; a :class:`GradeReport` holds them all and writes the
file that Gradescope, the ``gradelib`` command line and the nbgrader door all read::

    {"score": 7.0, "max_score": 10.0, "execution_time": 41.2, "output": "...",
     "tests": [{"name": ..., "score": ..., "max_score": ..., "status": "passed", "output": ...,
                "visibility": "visible", "group": "nade", "nodeid": ...}]}

A test with pictures (:mod:`gradelib.pictures`) also has ``"pictures": [{"name", "caption", "png_base64"}]``;
in the file it is written as Gradescope shows rich output: ``"output_format": "html"``, its ``output`` the
message and the pictures as HTML (``data:`` URIs), and the plain message under ``"message"``. Reading a file
gives back the plain message and the pictures that :func:`gradelib.pictures.accepted_pictures` accepts.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

from gradelib.pictures.picture import Picture, accepted_pictures, pictures_html

__all__ = [
    "PASSED",
    "FAILED",
    "KEY_SCORE",
    "KEY_MAX_SCORE",
    "KEY_EXECUTION_TIME",
    "KEY_OUTPUT",
    "KEY_TESTS",
    "TestResult",
    "GradeReport",
    "write_json_atomically",
]

PASSED = "passed"
FAILED = "failed"

KEY_SCORE = "score"
KEY_MAX_SCORE = "max_score"
KEY_EXECUTION_TIME = "execution_time"
KEY_OUTPUT = "output"
KEY_TESTS = "tests"


@dataclass
class TestResult:
    """The outcome of one hidden test.

    Attributes:
        name: what the student reads: the first line of the test's docstring.
        score: points earned, 0 or ``max_score``.
        max_score: the test's points.
        status: ``passed`` or ``failed``.
        output: for a student: why it failed (empty when it passed).
        group: the hidden-test group (the test file ``test_<group>.py``), one per nbgrader grade cell.
        nodeid: pytest's id of the test, for instructors.
        visibility: Gradescope's visibility of the test.
        pictures: what the test drew for the student (the student's samples, a number against its threshold).
    """

    __test__ = False  # not a pytest test class

    name: str
    score: float
    max_score: float
    status: str
    output: str
    group: str
    nodeid: str
    visibility: str = "visible"
    pictures: list[Picture] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return self.status == PASSED

    def to_json(self, *, html: bool = True) -> dict:
        """The test's entry in a results file; with pictures and ``html``, its output is Gradescope's HTML."""
        data = {key: value for key, value in asdict(self).items() if key != "pictures"}
        if self.pictures:
            data["pictures"] = [picture.to_json() for picture in self.pictures]
            if html:
                data.update(output_format="html", message=self.output, output=pictures_html(self.output, self.pictures))
        return data

    @classmethod
    def from_json(cls, data: dict) -> TestResult:
        known = {key: data[key] for key in ("name", "score", "max_score", "status", "output", "group", "nodeid",
                                            "visibility") if key in data}
        if data.get("output_format") == "html":
            known["output"] = data.get("message", "")
        return cls(**known, pictures=accepted_pictures(data.get("pictures")))


@dataclass
class GradeReport:
    """All results of grading one submission."""

    tests: list[TestResult] = field(default_factory=list)
    execution_time: float = 0.0
    output: str = ""

    @property
    def score(self) -> float:
        return float(sum(test.score for test in self.tests))

    @property
    def max_score(self) -> float:
        return float(sum(test.max_score for test in self.tests))

    def group_results(self, group: str) -> list[TestResult]:
        """The results of one group's tests, in the order they ran."""
        return [test for test in self.tests if test.group == group]

    def to_json(self, *, html: bool = True) -> dict:
        """The results file's content (``html=False``: pictures without their HTML copy, for a journal)."""
        return {
            KEY_SCORE: self.score,
            KEY_MAX_SCORE: self.max_score,
            KEY_EXECUTION_TIME: round(self.execution_time, 3),
            KEY_OUTPUT: self.output,
            KEY_TESTS: [test.to_json(html=html) for test in self.tests],
        }

    @classmethod
    def from_json(cls, data: dict) -> GradeReport:
        tests = [TestResult.from_json(test) for test in data.get(KEY_TESTS, [])]
        return cls(
            tests=tests, execution_time=float(data.get(KEY_EXECUTION_TIME, 0.0)), output=data.get(KEY_OUTPUT, "")
        )

    def write(self, path: str | os.PathLike, *, html: bool = True) -> None:
        write_json_atomically(path, self.to_json(html=html))

    @classmethod
    def read(cls, path: str | os.PathLike) -> GradeReport:
        return cls.from_json(json.loads(Path(path).read_text(encoding="utf-8")))


def write_json_atomically(path: str | os.PathLike, data: dict) -> None:
    """Write JSON so that a reader never sees half a file, even if this process is killed."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    with os.fdopen(handle, "w", encoding="utf-8") as stream:
        json.dump(data, stream, indent=1)
    os.replace(temporary, path)
