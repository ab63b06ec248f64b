"""Ending processes: the one way gradelib kills a process group, and telling that the kernel's out-of-memory killer
ended one (stdlib only; the sandbox's worker uses it too)."""

from __future__ import annotations

import contextlib
import os
import signal
from collections.abc import Iterable
from pathlib import Path

__all__ = ["MACHINE_OUT_OF_MEMORY", "kill_group", "oom_kill_count", "oom_kills_since"]

#: Why a grading or a submission process died when the kernel's out-of-memory killer was at work (completes "... died:
#: "): the student is not to blame.
MACHINE_OUT_OF_MEMORY = (
    "the grading machine ran out of memory meanwhile (the kernel's out-of-memory killer ended processes). Unless "
    "your notebook holds gigabytes, this is the grading machine's limit, not a mistake in your work: ask for a regrade "
    "(instructors: grade on a machine or container with more memory; the README gives the sizes)"
)


def kill_group(pid: int, *, members: Iterable[int] = ()) -> None:
    """SIGKILL the process group led by ``pid``, the process ``pid`` itself and each of ``members`` (pids that may
    have left the group: ``setsid`` daemons). Processes already gone, or not ours to signal, are skipped;
    reaping is the caller's (it knows whether ``pid`` is its child)."""
    kills = [lambda: os.killpg(pid, signal.SIGKILL), lambda: os.kill(pid, signal.SIGKILL)]
    kills += [lambda member=member: os.kill(member, signal.SIGKILL) for member in members]
    for kill in kills:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            kill()


def oom_kill_count() -> int | None:
    """How many processes the kernel's out-of-memory killer has ended so far, as far as this process can see.

    The sum of the machine's counter (``oom_kill`` in /proc/vmstat) and that of this process's memory cgroup (cgroup
    v1 ``memory.oom_control`` or v2 ``memory.events``: a container's memory limit, e.g. Gradescope's); None where
    neither can be read. Only its increase means anything: compare a count taken before a process with one taken
    after it ended with SIGKILL.
    """
    counts = [_counter(Path("/proc/vmstat"), "oom_kill")]
    counts += [_counter(path, "oom_kill") for path in _memory_cgroup_files()]
    found = [count for count in counts if count is not None]
    return sum(found) if found else None


def oom_kills_since(count_before: int | None) -> bool:
    """Has the out-of-memory killer ended a process since :func:`oom_kill_count` gave ``count_before``?"""
    return count_before is not None and (oom_kill_count() or 0) > count_before


def _memory_cgroup_files() -> list[Path]:
    """The files of this process's memory cgroup that hold an ``oom_kill`` counter (cgroup v1 and v2)."""
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return []
    files = []
    for line in lines:
        parts = line.split(":", 2)
        if len(parts) != 3:
            continue
        controllers, relative = parts[1], parts[2].lstrip("/")
        if "memory" in controllers.split(","):
            files.append(Path("/sys/fs/cgroup/memory") / relative / "memory.oom_control")
        elif controllers == "":
            files.append(Path("/sys/fs/cgroup") / relative / "memory.events")
    return files


def _counter(path: Path, name: str) -> int | None:
    """The integer on the ``name value`` line of ``path``, or None."""
    try:
        lines = path.read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        key, _, value = line.partition(" ")
        if key == name and value.strip().isdigit():
            return int(value)
    return None
