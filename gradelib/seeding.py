"""Seeds: every hidden test is seeded from its own name (plus an offset that is 0 when grading)."""

from __future__ import annotations

import random
import zlib

__all__ = ["seed_everything", "seed_for"]


def seed_for(name: str, offset: int = 0) -> int:
    """A seed for a named test, the same wherever the suite runs from: crc32 of the name, plus ``offset``.

    Args:
        name: ``<test file name>::<test name>``, e.g. ``test_nade.py::test_nade_logits``.
        offset: added to the seed (``--seed-offset``); 0 when grading.
    """
    return (zlib.crc32(name.encode()) + offset) & 0x7FFFFFFF


def seed_everything(seed: int) -> None:
    """Seed Python's, NumPy's and torch's generators (every device)."""
    random.seed(seed)
    import numpy
    import torch

    numpy.random.seed(seed % 2**32)
    torch.manual_seed(seed)
