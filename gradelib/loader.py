"""Turn a notebook into a fresh Python module built from its code cells.

This is how every grading door sees a submission: the notebook's code cells run, in order, in
the namespace of a new module. Cells that nbgrader grades (hidden-test cells) and cells tagged
``public-checks`` are skipped: they test the student's code, they are not part of it. A cell that
raises (a syntax error, an exception, ``sys.exit``, a loop that outlives its time limit) is
recorded in ``module.cell_errors`` and loading goes on with the next cell, so one broken cell
costs only the tests that need what it defines.

Typical use::

    module = load_notebook("autoregressive.ipynb")
    model = module.NADE(num_pixels=64, hidden_size=32)
"""

from __future__ import annotations

import contextlib
import io
import itertools
import json
import linecache
import os
import sys
import traceback
import types
from dataclasses import dataclass
from pathlib import Path

from gradelib.settings import ENV_GRADING
from gradelib.timelimit import time_limit

__all__ = [
    "CodeCell",
    "CellError",
    "SubmissionError",
    "NotebookFormatError",
    "NotebookDidNotLoadError",
    "MissingNameError",
    "CellTimeoutError",
    "SubmissionModule",
    "read_code_cells",
    "build_module",
    "load_notebook",
    "PUBLIC_CHECKS_TAG",
    "CELL_FILENAME_PREFIX",
]

#: Cells with this tag hold the visible checks of a release; the loader does not run them.
PUBLIC_CHECKS_TAG = "public-checks"
#: Code from cell N is compiled with the file name "<notebook cell N>" (N counts all cells from 1).
CELL_FILENAME_PREFIX = "<notebook cell "

_module_counter = itertools.count()


class SubmissionError(Exception):
    """A submission that cannot be graded at all; its message is written for the student."""


class NotebookFormatError(SubmissionError, ValueError):
    """The file is not a notebook that can be read (not JSON, or not nbformat 4)."""


class NotebookDidNotLoadError(SubmissionError):
    """Loading the notebook did not finish: a cell ran past the loader's time limit."""


class CellTimeoutError(Exception):
    """A cell ran longer than the loader's time limit per cell."""


class MissingNameError(AttributeError):
    """The notebook does not define a name that a test needs."""


@dataclass(frozen=True)
class CodeCell:
    """One code cell of a notebook.

    Attributes:
        number: position of the cell in the notebook, counting every cell from 1.
        source: the cell's code.
        grade_id: nbgrader's id of the cell, or None when the cell has none.
    """

    number: int
    source: str
    grade_id: str | None = None

    @property
    def label(self) -> str:
        """How a student finds the cell: ``cell 7 (nade_forward)``."""
        return f"cell {self.number}" + (f" ({self.grade_id})" if self.grade_id else "")


@dataclass(frozen=True)
class CellError:
    """An error raised while a cell ran.

    Attributes:
        cell: the cell that raised.
        exception_type: the exception's class name, e.g. ``SyntaxError``.
        message: the exception's message.
        student_traceback: the traceback, restricted to frames in the notebook's own cells.
    """

    cell: CodeCell
    exception_type: str
    message: str
    student_traceback: str

    def describe(self) -> str:
        """One line for a student: where, what, and the message."""
        return f"{self.cell.label} raised {self.exception_type}: {self.message}"


class SubmissionModule(types.ModuleType):
    """A module built from a notebook; missing names raise a student-readable error."""

    notebook_path: Path
    cell_errors: list[CellError]
    cell_stdout: str

    def __getattr__(self, name: str):  # only called when normal lookup fails
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        errors = self.__dict__.get("cell_errors", [])
        message = f"Your notebook does not define `{name}`."
        if errors:
            message += " These cells raised errors when the notebook was loaded, which may be why: " + "; ".join(
                error.describe() for error in errors
            )
        else:
            message += f" Check that the cell defining `{name}` is still there and that the name is spelt exactly so."
        raise MissingNameError(message)


def read_code_cells(path: str | os.PathLike) -> list[CodeCell]:
    """Read the code cells that make up a submission, in notebook order.

    Skips nbgrader test cells (``grade`` true, ``solution`` false) and cells tagged
    ``public-checks``. IPython magics (``%...``, ``!...``) are commented out; cell magics
    (``%%...``) skip the whole cell.

    Raises:
        FileNotFoundError: no such file.
        NotebookFormatError: the file is not valid JSON or not an nbformat 4 notebook.
    """
    text = Path(path).read_text(encoding="utf-8", errors="replace")
    try:
        notebook = json.loads(text)
    except json.JSONDecodeError as error:
        raise NotebookFormatError(
            f"The notebook file is not valid JSON ({error.msg} at line {error.lineno}, column {error.colno}). "
            "It was probably edited outside Jupyter or truncated: open it in Jupyter, or download a fresh copy "
            "of the assignment and paste your code back in."
        ) from None
    if not isinstance(notebook, dict) or not isinstance(notebook.get("cells"), list):
        raise NotebookFormatError(
            "The file is JSON but not a Jupyter notebook (no list of 'cells'). Submit the .ipynb file itself."
        )
    if notebook.get("nbformat") != 4:
        raise NotebookFormatError(
            f"The notebook uses nbformat {notebook.get('nbformat')!r}; nbformat 4 is expected. "
            "Save it with a current Jupyter."
        )
    cells = []
    for number, cell in enumerate(notebook["cells"], start=1):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        metadata = cell.get("metadata") or {}
        nbgrader = metadata.get("nbgrader") or {}
        if nbgrader.get("grade") and not nbgrader.get("solution"):
            continue
        if PUBLIC_CHECKS_TAG in (metadata.get("tags") or []):
            continue
        source = cell.get("source", "")
        if isinstance(source, list):
            source = "".join(source)
        cells.append(CodeCell(number=number, source=_strip_magics(source), grade_id=nbgrader.get("grade_id")))
    return cells


def build_module(
    cells: list[CodeCell],
    *,
    notebook_path: str | os.PathLike = "<notebook>",
    cell_timeout: float | None = None,
    stdout: io.TextIOBase | None = None,
) -> SubmissionModule:
    """Run cells in order in a new module and return it.

    Args:
        cells: the code cells, as :func:`read_code_cells` returns them.
        notebook_path: recorded as ``module.notebook_path`` and ``__file__``.
        cell_timeout: seconds one cell may run before it is stopped and recorded as an error;
            None for no limit. Works on the main thread of a Unix process only.
        stdout: where the cells' printing goes; by default a buffer kept as ``module.cell_stdout``.

    Returns:
        The module; ``module.cell_errors`` lists the cells that raised. What cells print goes to
        ``module.cell_stdout``, not to the console.
    """
    name = f"gradelib_submission_{next(_module_counter)}"
    module = SubmissionModule(name)
    module.__file__ = str(notebook_path)
    module.notebook_path = Path(notebook_path)
    module.cell_errors = []
    sys.modules[name] = module  # classes defined in cells need a module that pickle and inspect can find
    stdout = stdout if stdout is not None else io.StringIO()
    previous = os.environ.get(ENV_GRADING)
    os.environ[ENV_GRADING] = "1"
    try:
        with contextlib.redirect_stdout(stdout):
            for cell in cells:
                error = _run_cell(cell, module, cell_timeout)
                if error is not None:
                    module.cell_errors.append(error)
    finally:
        if previous is None:
            os.environ.pop(ENV_GRADING, None)
        else:
            os.environ[ENV_GRADING] = previous
    module.cell_stdout = stdout.getvalue() if hasattr(stdout, "getvalue") else getattr(stdout, "text", "")
    return module


def load_notebook(path: str | os.PathLike, *, cell_timeout: float | None = None) -> SubmissionModule:
    """Build a fresh module from a notebook's code cells (see :func:`read_code_cells`)."""
    return build_module(read_code_cells(path), notebook_path=path, cell_timeout=cell_timeout)


def cell_filename(cell: CodeCell) -> str:
    """The file name a cell's code is compiled under, as it appears in tracebacks."""
    return f"{CELL_FILENAME_PREFIX}{cell.number}>"


def student_traceback(tb: types.TracebackType | None) -> str:
    """Format only the frames of a traceback that lie in notebook cells (never grader code)."""
    frames = [frame for frame in traceback.extract_tb(tb) if frame.filename.startswith(CELL_FILENAME_PREFIX)]
    return "".join(traceback.format_list(frames))


def _strip_magics(source: str) -> str:
    if source.lstrip().startswith("%%"):
        return ""
    lines = []
    for line in source.splitlines():
        stripped = line.lstrip()
        lines.append(line.replace(stripped, "pass  # " + stripped, 1) if stripped[:1] in ("%", "!") else line)
    return "\n".join(lines)


def _run_cell(cell: CodeCell, module: SubmissionModule, cell_timeout: float | None) -> CellError | None:
    filename = cell_filename(cell)
    linecache.cache[filename] = (len(cell.source), None, cell.source.splitlines(keepends=True), filename)
    try:
        code = compile(cell.source, filename, "exec")
    except SyntaxError as error:
        location = f" (line {error.lineno})" if error.lineno else ""
        return CellError(cell, type(error).__name__, f"{error.msg}{location}", "")
    try:
        with time_limit(cell_timeout, lambda: _cell_timeout_error(cell_timeout)):
            exec(code, module.__dict__)
    except KeyboardInterrupt:
        raise
    except BaseException as error:  # noqa: BLE001 - SystemExit and the time limit are a student's errors too
        message = str(error) if not isinstance(error, SystemExit) else f"the cell called exit({error.code!r})"
        return CellError(cell, type(error).__name__, message, student_traceback(error.__traceback__))
    return None


def _cell_timeout_error(seconds: float) -> CellTimeoutError:
    return CellTimeoutError(
        f"the cell ran for more than {seconds:g} s while the notebook was loaded for grading. "
        "Long training must be guarded with `if not gradelib.grading():`; an endless loop must be fixed."
    )
