"""gradelib: the course framework's library.

It loads student notebooks as modules, grades them with hidden pytest suites (through pytest,
the ``gradelib`` command line, or nbgrader), and ships the checks, metrics and data loaders
that the assignments share.

The one function a notebook needs from here is :func:`grading`, which guards long training
cells so that loading a notebook for grading is fast::

    if not gradelib.grading():
        trainer.fit(model, datamodule)
"""

from __future__ import annotations

import os

from gradelib.settings import ENV_GRADING, ENV_NBGRADER

__all__ = ["grading", "GRADING_ENV", "NBGRADER_ENV", "__version__"]

__version__ = "0.1.0"

#: Set to "1" by gradelib while it loads or grades a notebook.
GRADING_ENV = ENV_GRADING
#: Set to "autograde" by nbgrader (>= 0.9) in the kernel that runs ``nbgrader autograde``.
NBGRADER_ENV = ENV_NBGRADER


def grading() -> bool:
    """Is this notebook being graded right now (by gradelib or by nbgrader autograde)?

    Returns:
        True inside a grader, False in a student's own Jupyter session. Guard long training
        cells with ``if not gradelib.grading():``.
    """
    return os.environ.get(GRADING_ENV) == "1" or os.environ.get(NBGRADER_ENV) == "autograde"
