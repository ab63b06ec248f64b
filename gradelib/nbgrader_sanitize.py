"""A quiet ``OverwriteCells`` for ``nbgrader autograde``: no false "checksum has changed" warnings.

nbgrader records the checksum of each locked cell as it is in the *source* notebook, hidden tests
included, and compares it with the submitted cell's checksum (``OverwriteCells``). A grade cell with
a ``### BEGIN HIDDEN TESTS`` region never matches: the release has that region removed, so every
submission, even the untouched release, logs ``Attribute 'checksum' for cell grade_* has changed!``
once per grade cell (nbgrader#1961), which reads like tampering.

:class:`GradelibOverwriteCells` compares a locked cell with what the *release* holds instead: when the
submitted source is exactly the source cell with its hidden-test region removed (what
``nbgrader generate_assignment`` released), the source is restored before nbgrader's own check, which
then finds nothing to report. Anything else (an edited, emptied or retyped locked cell, changed points
or flags) goes through nbgrader's check unchanged: it still warns, and the gradebook's source is still
restored. ``nbgrader_config.py`` puts it in ``c.Autograde.sanitize_preprocessors`` in place of
``OverwriteCells``.
"""

from __future__ import annotations

import nbformat
from nbformat.notebooknode import NotebookNode
from nbgrader import utils
from nbgrader.api import MissingEntry
from nbgrader.preprocessors import ClearHiddenTests, OverwriteCells

__all__ = ["GradelibOverwriteCells", "released_source", "SANITIZE_PREPROCESSORS"]

#: nbgrader 0.9's sanitize step of ``autograde``, with the quiet ``OverwriteCells``.
SANITIZE_PREPROCESSORS = [
    "nbgrader.preprocessors.ClearOutput",
    "nbgrader.preprocessors.DeduplicateIds",
    "nbgrader.preprocessors.OverwriteKernelspec",
    "gradelib.nbgrader_sanitize.GradelibOverwriteCells",
    "nbgrader.preprocessors.CheckCellMetadata",
]


def released_source(source: str, config=None) -> str:
    """A source cell's text as ``generate_assignment`` releases it: its hidden-test region removed."""
    cell = nbformat.v4.new_code_cell(source)
    ClearHiddenTests(config=config)._remove_hidden_test_region(cell)
    return cell.source


class GradelibOverwriteCells(OverwriteCells):
    """``OverwriteCells`` that accepts a locked cell exactly as released without a warning."""

    def preprocess_cell(self, cell: NotebookNode, resources: dict, cell_index: int) -> tuple[NotebookNode, dict]:
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if grade_id is not None and utils.is_locked(cell):
            try:
                source_cell = self.gradebook.find_source_cell(grade_id, self.notebook_id, self.assignment_id)
            except MissingEntry:
                source_cell = None
            if (
                source_cell is not None
                and source_cell.locked
                and source_cell.cell_type == cell.cell_type
                and cell.source != source_cell.source
                and cell.source == released_source(source_cell.source, self.config)
            ):
                cell.source = source_cell.source  # as released: restore the hidden tests, nothing to report
        return super().preprocess_cell(cell, resources, cell_index)
