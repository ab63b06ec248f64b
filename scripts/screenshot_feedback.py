"""Render a student's nbgrader feedback page with headless Chromium and save a screenshot (PNG).

    python scripts/screenshot_feedback.py --out feedback.png                      # the autoregressive solution
    python scripts/screenshot_feedback.py --assignment vae --notebook sub.ipynb --out vae.png --part grade_quality
    python scripts/screenshot_feedback.py --html feedback/alice/vae/vae.html --out page.png   # an existing page

Without ``--html`` it makes the page as an instructor does: a scratch course with the assignment's source and
hidden suite, ``nbgrader autograde`` of the notebook (gradelib's door) and ``nbgrader generate_feedback``. The
screenshot shows the page from the grade cell ``--part`` on (default: the quality part, where the pictures of
the student's model are), below the page's heading with every part's score. It needs Debian's ``chromium``
(``apt-get install chromium``); without it the script says so and exits 0 (it is not part of CI unless Chromium
is installed). Nothing is downloaded: the page is a local file and Chromium runs with its network features off.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome")


def find_chromium() -> str | None:
    """The Chromium executable on PATH, or None."""
    return next((path for path in map(shutil.which, CHROMIUM_NAMES) if path), None)


def focus_on_part(page: str, part: str) -> str:
    """The page with the notebook's cells before grade cell ``part`` left out (its heading, with the score of every
    part, stays), so that a screenshot of the top of the page shows that part. Headless Chromium does not scroll
    a screenshot to a ``#fragment``."""
    anchor = page.find(f'name="{part}"')
    start = page.find('id="notebook-container">')
    if anchor < 0 or start < 0:
        return page
    start += len('id="notebook-container">')
    cell = page.rfind('<div class="cell', start, anchor)
    return page[:start] + page[cell:] if cell > 0 else page


def screenshot(html: Path, out: Path, *, part: str = "", width: int = 1200, height: int = 1500,
               chromium: str | None = None, timeout: float = 120) -> Path:
    """Render ``html`` (from the grade cell ``part`` on, if given) into the PNG ``out`` with headless Chromium."""
    chromium = chromium or find_chromium()
    if chromium is None:
        raise FileNotFoundError("Chromium is not installed (apt-get install chromium)")
    html = Path(html).resolve()
    out = Path(out).resolve()
    with tempfile.TemporaryDirectory(prefix="gradelib-chromium-") as profile:
        if part:  # beside the page, so that relative links still resolve
            focused = html.with_name(f".{html.stem}.{part}.html")
            focused.write_text(focus_on_part(html.read_text(encoding="utf-8"), part), encoding="utf-8")
        command = [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                   "--no-first-run", "--hide-scrollbars", f"--user-data-dir={profile}",
                   "--virtual-time-budget=5000",  # lay the page out and paint it before the picture is taken
                   f"--window-size={width},{height}", f"--screenshot={out}", (focused if part else html).as_uri()]
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
        finally:
            if part:
                focused.unlink(missing_ok=True)
    if not out.is_file():
        raise RuntimeError(f"Chromium wrote no screenshot (exit {done.returncode}):\n{done.stderr[-2000:]}")
    return out


def feedback_page(assignment: str, notebook: Path, workdir: Path, student: str = "student") -> Path:
    """Autograde ``notebook`` with nbgrader in a scratch course and generate its feedback page; return the page."""
    from gradelib.course import Course
    from gradelib.nbgrader_course import autograde, copy_course, nbgrader

    root = copy_course(Course.find(), workdir / "course", assignment)
    scores = autograde(root, assignment, {student: notebook}, env_extra={"GRADELIB_DEVICE": "cpu"})
    print(f"nbgrader autograde: {scores[student]['total']:g} points")
    nbgrader(root, "generate_feedback", assignment, "--force")
    return root / "feedback" / student / assignment / f"{assignment}.html"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--assignment", default="autoregressive")
    parser.add_argument("--notebook", type=Path, default=None, help="default: the assignment's solution")
    parser.add_argument("--html", type=Path, default=None, help="screenshot this page instead of making one")
    parser.add_argument("--part", default="grade_quality", help="the grade cell to open the page at ('' for the top)")
    parser.add_argument("--out", type=Path, default=Path("feedback.png"))
    parser.add_argument("--keep", type=Path, default=None, help="keep the scratch course here")
    parser.add_argument("--width", type=int, default=1200)
    parser.add_argument("--height", type=int, default=1500)
    args = parser.parse_args(argv)
    chromium = find_chromium()
    if chromium is None:
        print("screenshot_feedback: Chromium is not installed (apt-get install chromium): skipped")
        return 0
    with tempfile.TemporaryDirectory(prefix="gradelib-feedback-") as scratch:
        workdir = args.keep or Path(scratch)
        html = args.html
        if html is None:
            from gradelib.course import Course

            notebook = args.notebook or Course.find().solution(args.assignment)
            html = feedback_page(args.assignment, notebook.resolve(), workdir)
        page = html.read_text(encoding="utf-8")
        pictures = page.count('src="data:image/png;base64,')
        print(f"feedback page: {html} ({len(page) / 2**20:.1f} MiB, {pictures} PNG pictures)")
        out = screenshot(html, args.out, part=args.part, width=args.width, height=args.height, chromium=chromium)
    print(f"screenshot: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
