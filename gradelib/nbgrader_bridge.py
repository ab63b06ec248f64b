"""What a grade cell's hidden call does in the notebook's kernel: nothing that counts.

Each grade cell of a source notebook ends, inside ``### BEGIN HIDDEN TESTS``, with::

    import gradelib.nbgrader_bridge
    gradelib.nbgrader_bridge.grade_group("autoregressive", "nade")

The call names the cell's group of hidden tests; :class:`gradelib.nbgrader_door.GradelibAutograde`
reads it from nbgrader's gradebook (never from the submitted notebook). The grading happens in
that preprocessor, in the ``nbgrader autograde`` process, after the kernel has run: it grades the
notebook once with :func:`gradelib.grader.grade_notebook` and replaces each grade cell's outputs
with its group's results. So in the kernel this function only says so, decides nothing and returns
None: redefining it, or anything else the kernel does in a grade cell, cannot change a grade.
"""

from __future__ import annotations

import re

__all__ = ["grade_group", "GRADE_GROUP_CALL", "KERNEL_MESSAGE"]

#: The hidden call of a grade cell, ``grade_group("<assignment>", "<group>")``: the release and the door read it.
GRADE_GROUP_CALL = re.compile(r"grade_group\(\s*['\"]([\w-]+)['\"]\s*,\s*['\"]([\w-]+)['\"]")

KERNEL_MESSAGE = "Graded by gradelib outside this notebook when your instructor runs nbgrader autograde."


def grade_group(assignment: str, group: str) -> None:
    """Name this grade cell's group of hidden tests; grade nothing (see the module docstring).

    Args:
        assignment: the assignment id, e.g. ``autoregressive``.
        group: the group, i.e. the hidden test file ``test_<group>.py``.
    """
    print(KERNEL_MESSAGE)
