"""One submission's report as a web page: what ``gradelib grade --report DIR`` writes.

``DIR/index.html`` (the total, each part's score, every test with its student-facing message, wrapped,
and the pictures the test drew: the student's samples, a number against its threshold) with the PNG files
beside it: ``parts.png`` (each part's score against its points, drawn with matplotlib) and one
``<group>-<k>-<picture>.png`` per picture (:mod:`gradelib.pictures`). Files are written atomically. The same
page suits a student (it holds only test titles, messages and pictures of the student's own model or of public
data, never hidden test code) and an instructor looking at one submission.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

from gradelib.class_report import _save_figure, _write_atomically
from gradelib.results import GradeReport

__all__ = ["write_submission_report", "part_scores"]


def part_scores(report: GradeReport) -> list[tuple[str, float, float]]:
    """(group, score, points) of every part, in the order the tests ran."""
    parts: dict[str, list[float]] = {}
    for test in report.tests:
        score, points = parts.setdefault(test.group, [0.0, 0.0])
        parts[test.group] = [score + test.score, points + test.max_score]
    return [(group, score, points) for group, (score, points) in parts.items()]


def write_submission_report(directory: Path, assignment: str, report: GradeReport, submission: str = "") -> Path:
    """Write ``index.html`` and ``parts.png`` into ``directory``; return the page's path."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    parts = part_scores(report)
    figure = Figure(figsize=(6.5, 0.8 + 0.35 * max(len(parts), 1)), layout="constrained")
    axes = figure.subplots()
    names = [group for group, _, _ in parts]
    axes.barh(names, [points for _, _, points in parts], color="#dddddd", label="points")
    axes.barh(names, [score for _, score, _ in parts], color="#27ae60", label="scored")
    axes.invert_yaxis()
    axes.set_xlabel("points")
    axes.set_title(f"{assignment}: {report.score:g} / {report.max_score:g}")
    axes.legend(loc="lower right")
    _save_figure(figure, directory / "parts.png")

    escape = html.escape
    sections = []
    for group, score, points in parts:
        items = []
        for k, test in enumerate(report.group_results(group)):
            mark = "pass" if test.passed else "FAIL"
            message = f"<pre>{escape(test.output)}</pre>" if test.output and not test.passed else ""
            figures = []
            for picture in test.pictures:
                name = f"{_safe(group)}-{k}-{picture.file_stem()}.png"
                _write_atomically(directory / name, picture.png)
                caption = escape(picture.caption or picture.name)
                figures.append(f'<figure><img src="{escape(name)}" alt="{caption}"><figcaption>{caption}'
                               "</figcaption></figure>")
            items.append(f'<li class="{mark.lower()}"><b>[{mark}]</b> {escape(test.name)} '
                         f"({test.score:g}/{test.max_score:g}){message}{''.join(figures)}</li>")
        sections.append(f"<h2>{escape(group)}: {score:g} / {points:g}</h2>\n<ul>{''.join(items)}</ul>")
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{escape(assignment)}: {report.score:g} / {report.max_score:g}</title>
<style>
body {{ font-family: sans-serif; max-width: 60em; margin: 1em auto; padding: 0 1em; }}
img {{ max-width: 100%; }} li {{ margin: 0.3em 0; }} li.fail b {{ color: #c0392b; }} li.pass b {{ color: #27ae60; }}
figure {{ margin: 0.5em 0; }} figcaption {{ font-size: 90%; color: #555; }}
pre {{ white-space: pre-wrap; overflow-wrap: anywhere; background: #f6f6f6; padding: 0.4em; }}
</style></head>
<body>
<h1>{escape(assignment)}{": " + escape(submission) if submission else ""}</h1>
<p>Score: <b>{report.score:g} / {report.max_score:g}</b>, graded in {report.execution_time:.1f} s.</p>
<img src="parts.png" alt="each part's score against its points">
{chr(10).join(sections)}
{f"<h2>Grader's notes</h2><pre>{escape(report.output)}</pre>" if report.output else ""}
</body></html>
"""
    _write_atomically(directory / "index.html", page.encode("utf-8"))
    return directory / "index.html"


def _safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "-", text).strip("-")[:40] or "part"
