"""A time limit for a block of Python code, by SIGALRM, that nests.

Used for the time a notebook cell may run while it loads and the time a test may run. An inner
limit inside an outer one (a cell loading inside a test) restores the outer one when it ends;
when the outer one would fire first, the inner one steps aside and lets it.
Pure-Python loops and sleeps are interrupted; a single C call that never returns is not, which is
why the grader also runs every submission in a process of its own with an overall limit.
"""

from __future__ import annotations

import contextlib
import signal
import threading
import time
from collections.abc import Callable, Iterator

__all__ = ["time_limit"]


@contextlib.contextmanager
def time_limit(seconds: float | None, make_error: Callable[[], BaseException]) -> Iterator[None]:
    """Raise ``make_error()`` inside the block if it runs longer than ``seconds``.

    Does nothing when ``seconds`` is None or not positive, off the main thread, or where the
    platform has no ``setitimer`` (Windows).
    """
    usable = (
        seconds is not None
        and seconds > 0
        and hasattr(signal, "setitimer")
        and threading.current_thread() is threading.main_thread()
    )
    if not usable:
        yield
        return
    outer_remaining, _ = signal.getitimer(signal.ITIMER_REAL)
    if outer_remaining and outer_remaining <= seconds:
        yield  # the enclosing limit fires first, with its own error
        return

    def on_alarm(signum, frame):
        raise make_error()

    started = time.monotonic()
    outer_handler = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, outer_handler)
        if outer_remaining:
            signal.setitimer(signal.ITIMER_REAL, max(outer_remaining - (time.monotonic() - started), 1e-3))
