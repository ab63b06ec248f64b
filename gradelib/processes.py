"""Ending processes: the one way gradelib kills a process group (stdlib only; the sandbox's worker uses it too)."""

from __future__ import annotations

import contextlib
import os
import signal
from collections.abc import Iterable

__all__ = ["kill_group"]


def kill_group(pid: int, *, members: Iterable[int] = ()) -> None:
    """SIGKILL the process group led by ``pid``, the process ``pid`` itself and each of ``members`` (pids that may
    have left the group: ``setsid`` daemons). Processes already gone, or not ours to signal, are skipped;
    reaping is the caller's (it knows whether ``pid`` is its child)."""
    kills = [lambda: os.killpg(pid, signal.SIGKILL), lambda: os.kill(pid, signal.SIGKILL)]
    kills += [lambda member=member: os.kill(member, signal.SIGKILL) for member in members]
    for kill in kills:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            kill()
