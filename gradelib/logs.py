"""Reading the logs that gradelib's processes write (imports nothing heavy: the parent grader uses it)."""

from __future__ import annotations

from pathlib import Path

from gradelib import settings

__all__ = ["read_tail"]


def read_tail(path: Path, limit: int = settings.LOG_TAIL_BYTES) -> str:
    """At most the last ``limit`` bytes of a log, decoded (the grader never reads a whole log)."""
    try:
        with open(path, "rb") as stream:
            stream.seek(max(0, path.stat().st_size - limit))
            return stream.read(limit).decode("utf-8", errors="replace")
    except OSError:
        return ""
