"""A class report for an instructor: what ``gradelib grade-all --report DIR`` writes.

``DIR/index.html`` with PNG plots beside it (matplotlib, no network):

* ``scores.png``: the distribution of the class's scores;
* ``tests.png``: the pass rate of every hidden test, lowest first (the concepts the class struggled with);
* ``slowest.png``: the submissions that took longest to grade.

The page also lists each test's pass rate and the submissions the grader could not grade. Every file
is written atomically (a reader never sees half a page or half a picture).
"""

from __future__ import annotations

import html
import os
import statistics
import tempfile
from dataclasses import dataclass
from pathlib import Path

from gradelib.results import GradeReport

__all__ = ["Graded", "write_class_report", "pass_rates", "SLOWEST"]

#: How many of the slowest submissions the report shows.
SLOWEST = 10


@dataclass
class Graded:
    """One submission of the batch: its report, or the grader's error when there is none."""

    student: str
    notebook: str
    report: GradeReport | None
    error: str = ""


def pass_rates(graded: list[Graded]) -> list[tuple[str, str, float, int]]:
    """(group, test name, pass rate, submissions) for every test of the graded reports, lowest rate first."""
    counts: dict[tuple[str, str], list[int]] = {}
    for entry in graded:
        if entry.report is None:
            continue
        for test in entry.report.tests:
            passed, total = counts.setdefault((test.group, test.name), [0, 0])
            counts[(test.group, test.name)] = [passed + test.passed, total + 1]
    rates = [(group, name, passed / total, total) for (group, name), (passed, total) in counts.items()]
    return sorted(rates, key=lambda item: (item[2], item[0], item[1]))


def write_class_report(directory: Path, assignment: str, graded: list[Graded]) -> Path:
    """Write ``index.html`` and its PNG plots into ``directory``; return the page's path."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    reports = [entry for entry in graded if entry.report is not None]
    max_score = max((entry.report.max_score for entry in reports), default=0.0)
    scores = [entry.report.score for entry in reports]
    rates = pass_rates(graded)
    slowest = sorted(reports, key=lambda entry: entry.report.execution_time, reverse=True)[:SLOWEST]

    figure = Figure(figsize=(6, 3.2), layout="constrained")
    axes = figure.subplots()
    if scores:
        bins = min(20, max(5, int(max_score) + 1)) if max_score else 10
        axes.hist(scores, bins=bins, range=(0, max_score or 1), color="#3b75af", edgecolor="white")
        mean = statistics.mean(scores)
        axes.axvline(mean, color="#c0392b", linestyle="--", label=f"mean {mean:.1f}")
        axes.legend()
    axes.set_xlabel(f"score (out of {max_score:g})")
    axes.set_ylabel("submissions")
    axes.set_title(f"{assignment}: scores of {len(scores)} submission(s)")
    _save_figure(figure, directory / "scores.png")

    figure = Figure(figsize=(7, 0.6 + 0.28 * max(len(rates), 1)), layout="constrained")
    axes = figure.subplots()
    labels = [_short(f"{group}: {name}") for group, name, _, _ in rates]
    axes.barh(range(len(rates)), [100 * rate for _, _, rate, _ in rates],
              color=["#c0392b" if rate < 0.5 else "#e67e22" if rate < 0.8 else "#27ae60" for _, _, rate, _ in rates])
    axes.set_yticks(range(len(rates)), labels, fontsize=7)
    axes.invert_yaxis()
    axes.set_xlim(0, 100)
    axes.set_xlabel("submissions that pass (%)")
    axes.set_title("pass rate of every test, lowest first")
    _save_figure(figure, directory / "tests.png")

    figure = Figure(figsize=(6, 0.8 + 0.3 * max(len(slowest), 1)), layout="constrained")
    axes = figure.subplots()
    axes.barh(range(len(slowest)), [entry.report.execution_time for entry in slowest], color="#7f8c8d")
    axes.set_yticks(range(len(slowest)), [_short(entry.student, 30) for entry in slowest], fontsize=8)
    axes.invert_yaxis()
    axes.set_xlabel("seconds to grade")
    axes.set_title(f"the {len(slowest)} slowest submission(s)")
    _save_figure(figure, directory / "slowest.png")

    page = _page(assignment, graded, scores, max_score, rates, slowest)
    _write_atomically(directory / "index.html", page.encode("utf-8"))
    return directory / "index.html"


def _page(assignment, graded, scores, max_score, rates, slowest) -> str:
    escape = html.escape
    summary = "no submission was graded"
    if scores:
        summary = (f"{len(scores)} graded: mean {statistics.mean(scores):.2f}, median {statistics.median(scores):g}, "
                   f"min {min(scores):g}, max {max(scores):g} (out of {max_score:g})")
    errors = [entry for entry in graded if entry.report is None]
    rows = "\n".join(
        f"<tr><td>{escape(group)}</td><td>{escape(name)}</td><td>{100 * rate:.0f}%</td><td>{total}</td></tr>"
        for group, name, rate, total in rates
    )
    slow_rows = "\n".join(
        f"<tr><td>{escape(entry.student)}</td><td>{entry.report.execution_time:.1f} s</td>"
        f"<td>{entry.report.score:g} / {entry.report.max_score:g}</td></tr>" for entry in slowest
    )
    error_items = "\n".join(f"<li>{escape(entry.student)}: {escape(entry.error)}</li>" for entry in errors)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{escape(assignment)}: class report</title>
<style>
body {{ font-family: sans-serif; max-width: 60em; margin: 1em auto; padding: 0 1em; }}
img {{ max-width: 100%; }} table {{ border-collapse: collapse; }}
td, th {{ border-bottom: 1px solid #ddd; padding: 0.2em 0.6em; text-align: left; overflow-wrap: anywhere; }}
</style></head>
<body>
<h1>{escape(assignment)}: class report</h1>
<p>{len(graded)} submission(s); {escape(summary)}.</p>
<h2>Scores</h2>
<img src="scores.png" alt="distribution of the scores">
<h2>Pass rate of every test</h2>
<p>Lowest first: the concepts the class struggled with.</p>
<img src="tests.png" alt="pass rate of every test">
<table><tr><th>group</th><th>test</th><th>pass rate</th><th>submissions</th></tr>
{rows}
</table>
<h2>Slowest submissions</h2>
<img src="slowest.png" alt="the slowest submissions">
<table><tr><th>student</th><th>grading time</th><th>score</th></tr>
{slow_rows}
</table>
<h2>Not graded</h2>
{f"<ul>{error_items}</ul>" if errors else "<p>None: the grader graded every submission.</p>"}
</body></html>
"""


def _short(text: str, width: int = 60) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _save_figure(figure, path: Path) -> None:
    import io

    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110)
    _write_atomically(path, buffer.getvalue())


def _write_atomically(path: Path, data: bytes) -> None:
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    with os.fdopen(handle, "wb") as stream:
        stream.write(data)
    os.chmod(temporary, 0o644)  # a report is for reading (mkstemp made it private)
    os.replace(temporary, path)
