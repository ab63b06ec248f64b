"""Errors raised by the dataset loaders."""

from __future__ import annotations

__all__ = ["DatasetUnavailableError"]


class DatasetUnavailableError(RuntimeError):
    """A dataset's files are not on disk and cannot be fetched right now.

    The message always says which files are missing, the folder they must be put in, and how
    to provide them (``download=True`` when online, or copying the files by hand).
    """
