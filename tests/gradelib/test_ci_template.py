"""The GitHub Actions template (templates/github/grade.yml): valid YAML, and every command it runs exists.

Each `gradelib ...` line of its `run:` steps is parsed by gradelib's own command-line parser (with the
workflow's expressions and variables filled in), so a renamed command or option fails here, not in a
course's CI. The shard and merge commands it relies on are tested too.
"""

from __future__ import annotations

import csv
import re
import shlex
from pathlib import Path

import pytest
import yaml

from gradelib.cli.grade_all import shard
from gradelib.cli.main import build_parser, main
from gradelib.results import GradeReport, TestResult

TEMPLATE = Path("templates") / "github" / "grade.yml"


def _workflow(course) -> dict:
    return yaml.safe_load((course.root / TEMPLATE).read_text())


def _run_lines(workflow: dict) -> list[str]:
    lines = []
    for job in workflow["jobs"].values():
        for step in job["steps"]:
            lines += [line.strip() for line in step.get("run", "").splitlines() if line.strip()]
    return lines


def _fill(line: str, workflow: dict) -> str:
    """A run line as the shell sees it: expressions and variables replaced by the inputs' defaults."""
    inputs = workflow.get("on", workflow.get(True))["workflow_dispatch"]["inputs"]

    def expression(text: str) -> str:
        text = re.sub(r"\$\{\{\s*matrix\.shard\s*\}\}", "0", text)
        return re.sub(r"\$\{\{\s*inputs\.(\w+)\s*\}\}", lambda m: str(inputs[m.group(1)]["default"]), text)

    env = {name: expression(str(value)) for name, value in workflow["env"].items()}
    line = expression(line)
    assert "${{" not in line, f"an expression the test does not know: {line}"
    return re.sub(r"\$\{?([A-Z_]+)\}?", lambda m: env[m.group(1)], line)


def test_is_the_workflow_valid_and_its_matrix_consistent(course):
    workflow = _workflow(course)
    trigger = workflow.get("on", workflow.get(True))  # YAML 1.1 reads the key `on` as true
    assert "workflow_dispatch" in trigger
    assert set(workflow["jobs"]) == {"grade", "report"} and workflow["jobs"]["report"]["needs"] == "grade"
    shards = workflow["jobs"]["grade"]["strategy"]["matrix"]["shard"]
    assert shards == list(range(int(workflow["env"]["SHARDS"])))
    for job in workflow["jobs"].values():
        for step in job["steps"]:
            if "uses" in step:
                assert re.fullmatch(r"actions/[\w-]+@v\d+", step["uses"]), step["uses"]
    uploads = [step["with"]["path"] for step in workflow["jobs"]["report"]["steps"]
               if step.get("uses", "").startswith("actions/upload-artifact")]
    assert any("grades.csv" in path for path in uploads) and any("report" in path for path in uploads)


def test_does_every_command_of_the_workflow_exist(course):
    workflow = _workflow(course)
    commands = [_fill(line, workflow) for line in _run_lines(workflow)]
    gradelib_commands = [shlex.split(line) for line in commands if line.startswith("gradelib ")]
    assert {argv[1] for argv in gradelib_commands} == {"grade-all", "class-report"}
    parser = build_parser()
    for argv in gradelib_commands:
        try:
            parser.parse_args(argv[1:])
        except SystemExit:
            pytest.fail(f"the template runs a command gradelib does not accept: {shlex.join(argv)}")
    for line in commands:
        if line.startswith("source "):
            assert (course.root / line.split()[1]).is_file()
        else:
            assert line.startswith("gradelib "), f"an unchecked command: {line}"


def test_do_the_shards_cover_the_class_once():
    assert shard("1/4") == (1, 4)
    for bad in ("4/4", "-1/4", "a/b", "3"):
        with pytest.raises(Exception):  # noqa: B017 - argparse's ArgumentTypeError, whatever the cause
            shard(bad)
    students = [f"s{i}" for i in range(10)]
    parts = [students[index::4] for index in range(4)]
    assert sorted(sum(parts, [])) == students


def test_does_class_report_merge_results_files(tmp_path, capsys):
    results = tmp_path / "results"
    for student, score in (("ann", 1.0), ("bob", 0.0)):
        tests = [TestResult(name="t", score=score, max_score=1.0, status="passed" if score else "failed",
                            output="", group="g", nodeid="test_g.py::t")]
        GradeReport(tests=tests, execution_time=2.0).write(results / f"{student}.json")
    (results / "cy.json").write_text("{ not json")
    assert main(["class-report", str(results), "--assignment", "toy", "--csv", str(tmp_path / "grades.csv"),
                 "--report", str(tmp_path / "report")]) == 0
    with open(tmp_path / "grades.csv", newline="") as stream:
        rows = {row["student"]: row for row in csv.DictReader(stream)}
    assert rows["ann"]["score"] == "1" and rows["bob"]["score"] == "0" and "unreadable" in rows["cy"]["error"]
    assert "unreadable results file" in (tmp_path / "report" / "index.html").read_text()
