"""Tests of gradelib.loader: does a notebook become a module, whatever state it is in?"""

from __future__ import annotations

import nbformat
import pytest
from toycourse import public_check_cell, toy_source_notebook, write_notebook

from gradelib.loader import MissingNameError, NotebookFormatError, load_notebook, read_code_cells


def test_are_functions_and_classes_defined(tmp_path):
    """Does a plain notebook become a module with its names?"""
    path = write_notebook(tmp_path / "a.ipynb", ["def f(x):\n    return 2 * x", "class A:\n    pass"])
    module = load_notebook(path)
    assert module.f(3) == 6
    assert module.A.__module__ == module.__name__
    assert module.cell_errors == []


def test_is_each_load_a_fresh_module(tmp_path):
    """Does state changed in one load stay out of the next?"""
    path = write_notebook(tmp_path / "a.ipynb", ["values = []"])
    first = load_notebook(path)
    first.values.append(1)
    assert load_notebook(path).values == []


def test_is_a_syntax_error_recorded_and_loading_continues(tmp_path):
    """Is a cell with a syntax error reported, while later cells still load?"""
    path = write_notebook(tmp_path / "a.ipynb", ["def broken(:\n    pass", "def fine():\n    return 1"])
    module = load_notebook(path)
    assert module.fine() == 1
    assert [error.exception_type for error in module.cell_errors] == ["SyntaxError"]
    assert "cell 1" in module.cell_errors[0].describe()


def test_does_a_missing_name_explain_itself(tmp_path):
    """Does asking for an undefined class say so, and mention the cells that failed?"""
    path = write_notebook(tmp_path / "a.ipynb", ["raise ValueError('boom')"])
    module = load_notebook(path)
    with pytest.raises(MissingNameError) as caught:
        _ = module.NADE
    assert "does not define `NADE`" in str(caught.value)
    assert "ValueError: boom" in str(caught.value)


def test_is_sys_exit_recorded_not_fatal(tmp_path):
    """Is sys.exit() in a cell an error of that cell, not the end of the grader?"""
    path = write_notebook(tmp_path / "a.ipynb", ["import sys\nsys.exit(3)", "after = True"])
    module = load_notebook(path)
    assert module.after is True
    assert module.cell_errors[0].exception_type == "SystemExit"


def test_does_an_endless_cell_stop_at_the_time_limit(tmp_path):
    """Is a cell that loops forever stopped after cell_timeout and reported?"""
    path = write_notebook(tmp_path / "a.ipynb", ["while True:\n    pass", "after = 1"])
    module = load_notebook(path, cell_timeout=0.5)
    assert module.after == 1
    assert module.cell_errors[0].exception_type == "CellTimeoutError"
    assert "gradelib.grading()" in module.cell_errors[0].message


def test_is_invalid_json_a_clear_error(tmp_path):
    """Is a notebook that is not valid JSON refused with a message a student understands?"""
    path = write_notebook(tmp_path / "a.ipynb", [], valid_json=False)
    with pytest.raises(NotebookFormatError, match="not valid JSON"):
        load_notebook(path)


def test_are_grade_and_public_check_cells_skipped(tmp_path):
    """Are nbgrader test cells and public checks left out of the submission's code?"""
    path = tmp_path / "toy.ipynb"
    nbformat.write(toy_source_notebook(), path)
    sources = [cell.source for cell in read_code_cells(path)]
    assert not any("grade_group" in source for source in sources)
    assert not any("assert square(3)" in source for source in sources)
    assert any("def square" in source for source in sources)


def test_are_magics_neutralised(tmp_path):
    """Do IPython magics and shell escapes load without IPython?"""
    path = write_notebook(tmp_path / "a.ipynb", ["%matplotlib inline\n!pip list\nx = 1", "%%time\ny = 2"])
    module = load_notebook(path)
    assert module.x == 1 and module.cell_errors == []
    assert not hasattr(module.__dict__, "y")


def test_does_loading_mark_grading(tmp_path):
    """Does gradelib.grading() return True while a notebook loads, so long cells are skipped?"""
    path = write_notebook(tmp_path / "a.ipynb", ["import gradelib\nflag = gradelib.grading()"])
    assert load_notebook(path).flag is True


def test_is_public_check_tag_honoured(tmp_path):
    """Is a cell tagged public-checks skipped even without other nbgrader metadata?"""
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell("x = 1"), public_check_cell("raise RuntimeError('never')", "c")]
    nbformat.write(notebook, tmp_path / "a.ipynb")
    assert load_notebook(tmp_path / "a.ipynb").cell_errors == []
