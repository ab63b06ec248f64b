"""Setting up a student's notebook: the device, and Lightning's start-up noise kept out of the way.

The first code cell of every assignment installs the course's package where it is missing and calls::

    DEVICE = gradelib.setup_notebook()

which returns the device for the student's own cells (the GPU when there is one; classes written in the
notebook must still follow the device of their inputs), prints one line saying what it found, and quiets
Lightning's start-up messages (GPU/TPU/HPU availability, "Tip" suggestions for litlogger and litmodels, the
CUDA_VISIBLE_DEVICES line) and the deprecation and "possible user" warnings of torch and Lightning internals.
Progress bars, model summaries and real warnings still show. While a notebook is graded it touches no GPU
(the grader decides the device) and prints nothing.
"""

from __future__ import annotations

import logging
import os
import warnings

__all__ = ["setup_notebook", "quiet_lightning", "pick_device"]

#: Loggers whose INFO lines are Lightning's start-up noise.
NOISY_LOGGERS = (
    "lightning.pytorch.utilities.rank_zero",
    "lightning.fabric.utilities.rank_zero",
    "lightning.pytorch.accelerators.cuda",
    "pytorch_lightning.utilities.rank_zero",
)
#: Modules whose deprecation warnings a student cannot act on.
_LIBRARIES = r"(lightning|lightning_fabric|lightning_utilities|pytorch_lightning|torch|torchmetrics|torchvision)(\.|$)"


def quiet_lightning() -> None:
    """Silence Lightning's start-up lines and library-internal deprecation warnings (idempotent)."""
    for name in NOISY_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    for category in (DeprecationWarning, FutureWarning):
        warnings.filterwarnings("ignore", category=category, module=_LIBRARIES)
    try:
        from lightning.fabric.utilities.warnings import PossibleUserWarning
    except ImportError:  # an older or newer Lightning: nothing to filter
        return
    warnings.filterwarnings("ignore", category=PossibleUserWarning)


def pick_device():
    """The GPU when torch sees one (CUDA, else Apple's MPS), else the CPU."""
    import torch

    if torch.cuda.is_available():
        return torch.device("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def setup_notebook(*, quiet: bool = True, verbose: bool = True):
    """Quiet Lightning (unless ``quiet=False``), print what the notebook runs on, and return the device to use.

    While the notebook is graded (:func:`gradelib.grading`) it returns the CPU without looking for a GPU and
    prints nothing: the grader moves models to the device it grades on.
    """
    import torch

    from gradelib import __version__, grading

    if quiet:
        quiet_lightning()
    if grading():
        return torch.device("cpu")
    device = pick_device()
    if verbose:
        name = torch.cuda.get_device_name(device) if device.type == "cuda" else os.uname().machine
        try:
            import lightning

            versions = f"torch {torch.__version__}, Lightning {lightning.__version__}"
        except ImportError:
            versions = f"torch {torch.__version__}"
        print(f"gradelib {__version__}, {versions}; your cells run on {device.type} ({name}).")
    return device
