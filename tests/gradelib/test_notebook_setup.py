"""The student's side of a notebook: the install cell, gradelib.setup_notebook and gradelib.check.

Does the install cell install only where gradelib is missing, and from COURSE_PACKAGE? Does setup_notebook keep
Lightning's start-up noise out of the way but not its progress bar? Does gradelib.check report each check with
a reason, and never stop the notebook?
"""

from __future__ import annotations

import builtins
import io
import json
import os
import subprocess
import sys

import pytest

from gradelib.public_checks import _REGISTRY, check, public_check
from gradelib.student_bundle import PACKAGE_URL_PLACEHOLDER

NOTEBOOKS = ["autoregressive", "vae", "gan", "cyclegan"]


def _code_cells(path) -> list[dict]:
    return [cell for cell in json.loads(path.read_text())["cells"] if cell["cell_type"] == "code"]


@pytest.mark.parametrize("assignment", NOTEBOOKS)
def test_does_each_notebook_start_with_the_install_cell(course, assignment):
    """Solution and release: the first code cell is the install cell; every public-checks cell reports through
    gradelib.check."""
    for path in (course.solution(assignment), course.release(assignment)):
        cells = _code_cells(path)
        first = "".join(cells[0]["source"])
        assert f'COURSE_PACKAGE = "{PACKAGE_URL_PLACEHOLDER}"' in first and "gradelib.setup_notebook()" in first
        checks = ["".join(c["source"]) for c in cells if "public-checks" in c["metadata"].get("tags", [])]
        assert checks and all("@gradelib.public_check(" in c and "\ngradelib.check(" in c for c in checks)


def _install_cell(course) -> str:
    return "".join(_code_cells(course.solution("autoregressive"))[0]["source"])


def test_does_the_install_cell_install_only_where_gradelib_is_missing(course, monkeypatch):
    """With gradelib importable nothing is installed; without it, pip installs COURSE_PACKAGE, then it imports."""
    cell = _install_cell(course)
    calls = []
    monkeypatch.setattr(subprocess, "run", lambda command, **kwargs: calls.append(command))
    exec(compile(cell, "install-cell", "exec"), {})
    assert calls == []

    real_import = builtins.__import__
    missing = {"gradelib": True}

    def importer(name, *args, **kwargs):
        if name == "gradelib" and missing["gradelib"]:
            raise ImportError("No module named 'gradelib'")
        return real_import(name, *args, **kwargs)

    def pip(command, **kwargs):
        calls.append(command)
        missing["gradelib"] = False  # installed

    monkeypatch.setattr(builtins, "__import__", importer)
    monkeypatch.setattr(subprocess, "run", pip)
    namespace = {}
    exec(compile(cell, "install-cell", "exec"), namespace)
    assert calls == [[sys.executable, "-m", "pip", "install", "--quiet", PACKAGE_URL_PLACEHOLDER]]
    assert str(namespace["DEVICE"]) in ("cpu", "cuda", "mps")


QUIET_FIT = """
import torch, lightning as L
import gradelib
torch.set_num_threads(1)
print("DEVICE", gradelib.setup_notebook())
class M(L.LightningModule):
    def __init__(self):
        super().__init__()
        self.layer = torch.nn.Linear(2, 1)
    def training_step(self, batch, index):
        return self.layer(batch[0]).pow(2).mean()
    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), 0.1)
data = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(torch.randn(32, 2)), batch_size=8)
L.Trainer(max_epochs=1, accelerator="auto", devices=1, logger=False, enable_checkpointing=False).fit(M(), data)
"""


@pytest.mark.parametrize("quiet", [True, False])
def test_does_setup_notebook_quiet_lightning_but_keep_the_progress_bar(tmp_path, quiet):
    code = QUIET_FIT if quiet else QUIET_FIT.replace("gradelib.setup_notebook()", "'cpu'")
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "GRADELIB_GRADING": "", "PYTHONWARNINGS": "default"})
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-3000:]
    assert "Epoch 0" in output  # the progress bar
    noise = ["GPU available", "TPU available", "Tip:"]
    if quiet:
        assert not [line for line in noise if line in output], output[-3000:]
        assert "your cells run on" in output
    else:
        assert all(line in output for line in noise[:2])  # the noise is Lightning's (the test sees it)


def test_does_setup_notebook_touch_no_gpu_and_print_nothing_while_graded(monkeypatch, capsys):
    import gradelib

    monkeypatch.setenv(gradelib.GRADING_ENV, "1")
    assert str(gradelib.setup_notebook()) == "cpu"
    assert capsys.readouterr().out == ""


@pytest.fixture
def registry():
    saved = dict(_REGISTRY)
    _REGISTRY.clear()
    yield
    _REGISTRY.clear()
    _REGISTRY.update(saved)


def test_does_check_report_each_check_with_its_reason(registry):
    """A pass, a failed assertion (its message), a stub (not implemented yet, where) and an error (type, where)."""
    def stub():
        raise NotImplementedError()

    @public_check("part")
    def check_passes():
        """square(3) is 9."""

    @public_check("part")
    def check_fails():
        """log_prob has one value per image."""
        raise AssertionError("log_prob should return shape (3,), got (3, 1)")

    @public_check("part")
    def check_stub():
        """sample runs."""
        stub()

    @public_check("part")
    def check_error():
        """complete runs."""
        [][1]

    out = io.StringIO()
    report = check("part", file=out)
    text = out.getvalue()
    assert not report and [o.passed for o in report.outcomes] == [True, False, False, False]
    assert "✗ Public checks of part: 1 of 4 passed" in text
    assert "  ✓ square(3) is 9." in text
    assert "  ✗ log_prob has one value per image.\n      log_prob should return shape (3,), got (3, 1)" in text
    assert "not implemented yet (in stub, line" in text
    assert "IndexError: list index out of range" in text and "(raised in check_error, line" in text
    assert "Fix the first ✗" in text


def test_does_rerunning_a_check_cell_replace_its_checks_and_check_all_run_every_part(registry):
    for _ in range(2):
        @public_check("a")
        def check_a():
            """a."""

    @public_check("b")
    def check_b():
        """b."""

    out = io.StringIO()
    report = check(file=out)
    assert report and len(report.outcomes) == 2
    assert "✓ Public checks of a: 1 of 1 passed" in out.getvalue() and "✓ Public checks of b" in out.getvalue()
    missing = io.StringIO()
    assert not check("c", file=missing)
    assert "No public checks are registered for 'c'" in missing.getvalue()


def test_does_a_bundle_point_the_install_cell_at_its_package_url(course, tmp_path):
    from gradelib.student_bundle import write_student_bundle

    url = "git+https://example.org/course/students.git"
    bundle = write_student_bundle(course, tmp_path / "bundle", ["autoregressive"], package_url=url)
    cell = "".join(_code_cells(bundle / "assignments" / "autoregressive" / "autoregressive.ipynb")[0]["source"])
    assert f'COURSE_PACKAGE = "{url}"' in cell and PACKAGE_URL_PLACEHOLDER not in cell


def test_is_the_kit_scaffold_notebook_set_up_the_same_way():
    """`gradelib new` writes the install cell and a public-checks cell that reports through gradelib.check."""
    from importlib import resources

    text = resources.files("gradelib.kit").joinpath("templates", "notebook.ipynb.tmpl").read_text(encoding="utf-8")
    assert "COURSE_PACKAGE" in text and "gradelib.setup_notebook()" in text and "gradelib.public_check(" in text
