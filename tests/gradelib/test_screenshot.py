"""Does scripts/screenshot_feedback.py render a page with a picture through headless Chromium?

Skipped where Debian's chromium is not installed (the script itself then says so and exits 0).
"""

from __future__ import annotations

import importlib.util
import io
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "screenshot_feedback.py"


def _script():
    spec = importlib.util.spec_from_file_location("screenshot_feedback", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_does_headless_chromium_show_a_pictures_pixels(tmp_path):
    script = _script()
    if script.find_chromium() is None:
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    from PIL import Image

    from gradelib.pictures.picture import Picture

    red = io.BytesIO()
    Image.new("RGB", (200, 100), (255, 0, 0)).save(red, format="PNG")
    page = tmp_path / "page.html"
    image_tag = f'<img src="{Picture("r", "", red.getvalue()).data_uri()}">'
    cells = '<div class="cell">' + "<p>earlier cell</p>" * 200 + '</div><div class="cell"><a name="grade_x"></a>'
    page.write_text(f'<html><body style="margin:0"><div id="notebook-container">{cells}{image_tag}</div></div>'
                    "</body></html>")
    out = script.screenshot(page, tmp_path / "shot.png", part="grade_x", width=400, height=300)
    image = Image.open(out).convert("RGB")
    assert image.size == (400, 300)
    assert image.getpixel((100, 50)) == (255, 0, 0) and image.getpixel((350, 250)) == (255, 255, 255)
    assert not list(tmp_path.glob(".page.*"))  # the focused copy is gone


def test_does_the_script_skip_cleanly_without_chromium(monkeypatch, capsys):
    script = _script()
    monkeypatch.setattr(script, "find_chromium", lambda: None)
    assert script.main(["--html", "nothing.html"]) == 0
    assert "skipped" in capsys.readouterr().out
