"""gradelib: the course framework's library.

It loads student notebooks as modules, grades them with hidden pytest suites (through pytest,
the ``gradelib`` command line, or nbgrader), and ships the checks, metrics and data loaders
that the assignments share.

What a notebook uses from here: :func:`grading`, which guards long training cells so that loading a
notebook for grading is fast; :func:`setup_notebook` (the device, Lightning's start-up noise quieted);
:func:`public_check` and :func:`check` (the public checks of each part, with a short report)::

    DEVICE = gradelib.setup_notebook()
    if not gradelib.grading():
        trainer.fit(model, datamodule)
    gradelib.check("log_prob")
"""

from __future__ import annotations

import os

from gradelib.settings import ENV_GRADING, ENV_NBGRADER

__all__ = ["grading", "setup_notebook", "check", "public_check", "GRADING_ENV", "NBGRADER_ENV", "__version__"]

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


from gradelib.notebook import setup_notebook  # noqa: E402 - after grading(), which it uses
from gradelib.public_checks import check, public_check  # noqa: E402
