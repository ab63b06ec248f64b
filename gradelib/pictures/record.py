"""Attaching pictures to the running hidden test, and drawing them once its verdict is decided.

A hidden test (or a helper it calls) attaches a picture in one line::

    attach_image("samples", samples, caption="16 digits your NADE drew")          # a tensor it already has
    attach_image("samples", lambda: model.sample(16), caption="...")              # or a function that fetches one
    attach_number("test NLL", nll, threshold=limit, better="lower", unit="nats")  # a number against its threshold

Nothing is drawn then: :class:`PictureHooks` (registered by gradelib's pytest plugin) draws the test's pictures
after its call phase, when its verdict is already decided, each under a time limit, so a picture never changes a
score: whatever goes wrong while drawing (a function that raises or hangs, the submission dying, data that is no
image) is written to the grader's log (stderr) and that picture is left out. A function given to
``attach_image`` still talks to the submission through the sandbox (data only); the PNG is made here.
Outside a hidden test (a calibration run, a notebook) ``attach_*`` do nothing and return False.

:func:`pictures_of` gives the drawn pictures of a test item (the results recorder stores them with the result).
"""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import pytest

from gradelib.pictures.picture import MAX_PICTURES_PER_TEST, MAX_TEXT_CHARS, Picture
from gradelib.timelimit import time_limit

__all__ = ["attach_image", "attach_number", "attach_figure", "pictures_of", "PictureHooks", "SECONDS_PER_TEST"]

#: Seconds that drawing one test's pictures may take, all together (fetching them from the submission included).
SECONDS_PER_TEST = 30.0

PICTURES = pytest.StashKey[list]()
#: The name of gradelib's results recorder (gradelib.pytest_plugin), which stores the pictures with the results.
RESULTS_RECORDER = "gradelib-results-recorder"


@dataclass
class _Pending:
    name: str
    caption: str
    source: object  # the data, or a function of no arguments that returns it
    draw: Callable[[object], bytes]


class _PictureTimeout(Exception):
    pass


_pending: list[_Pending] | None = None  # the running test's pictures; None outside a test


def attach_image(name: str, images: object, caption: str = "", *, value_range: tuple[float, float] = (0.0, 1.0),
                 ncols: int | None = None, cmap: str = "gray") -> bool:
    """Attach a grid of images to the running test (see :func:`gradelib.pictures.render.image_grid_png`).

    Args:
        name: short and unique within the test ("NADE samples"); also the PNG's file name in a report.
        images: a batch of images (N, C, H, W) (a tensor from the submission, or public data), labelled rows
            (``{"a": a, "G(a)": fake}``), or a function of no arguments returning either (called after the verdict).
        caption: what the student sees under the picture: what it shows and how it was made.
        value_range, ncols, cmap: how to draw (values drawn black and white, images a row, colour map).

    Returns:
        True if the picture will be drawn (False outside a hidden test, or past the limit of pictures).
    """
    def draw(data: object) -> bytes:
        from gradelib.pictures.render import image_grid_png

        return image_grid_png(data, value_range=value_range, ncols=ncols, cmap=cmap)

    return _attach(name, caption, images, draw)


def attach_number(name: str, value: object, *, threshold: float, better: str, unit: str = "",
                  marks: Mapping[str, float] | None = None, caption: str = "") -> bool:
    """Attach a number against the threshold it must pass (see :func:`gradelib.pictures.render.number_png`).

    Args:
        name: what the number is ("NADE's test NLL").
        value: the student's number (or a function of no arguments returning it).
        threshold, better: the calibrated threshold and the side that passes ("lower" or "higher").
        unit: the number's unit.
        marks: other values to show on the same axis, by label (the reference's mean, a baseline): only values
            the student may see (failure messages already quote them).
        caption: what the student sees under the picture.
    """
    def draw(data: object) -> bytes:
        from gradelib.pictures.render import number_png

        return number_png(float(data), threshold=threshold, better=better, unit=unit, name=name, marks=marks)

    return _attach(name, caption, value, draw)


def attach_figure(name: str, figure: object, caption: str = "") -> bool:
    """Attach a matplotlib ``Figure`` made by trusted code (or a function of no arguments returning one)."""
    def draw(data: object) -> bytes:
        from gradelib.pictures.render import figure_png

        return figure_png(data)

    return _attach(name, caption, figure, draw)


def _attach(name: str, caption: str, source: object, draw: Callable[[object], bytes]) -> bool:
    try:
        if _pending is None:
            return False
        if len(_pending) >= MAX_PICTURES_PER_TEST:
            _log(f"picture {name!r} left out: a test keeps at most {MAX_PICTURES_PER_TEST} pictures")
            return False
        _pending.append(_Pending(str(name)[:MAX_TEXT_CHARS], str(caption)[:MAX_TEXT_CHARS], source, draw))
        return True
    except Exception as error:  # noqa: BLE001 - a picture never breaks a test
        _log(f"picture {name!r} could not be attached: {type(error).__name__}: {error}")
        return False


def draw_pending(pending: list[_Pending], seconds: float) -> list[Picture]:
    """Draw the pictures; one that fails or runs out of time is logged and left out."""
    pictures: list[Picture] = []
    deadline = time.monotonic() + seconds
    for entry in pending:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            _log(f"picture {entry.name!r} left out: drawing this test's pictures took more than {seconds:g} s")
            continue
        try:
            with time_limit(remaining, _PictureTimeout):
                data = entry.source() if callable(entry.source) else entry.source
                png = entry.draw(data)
            pictures.append(Picture(entry.name, entry.caption, png))
        except Exception as error:  # noqa: BLE001 - a picture never costs a point or breaks grading
            reason = "it took too long" if isinstance(error, _PictureTimeout) else f"{type(error).__name__}: {error}"
            _log(f"picture {entry.name!r} not drawn: {reason}"[:1000])
    return pictures


def pictures_of(item: pytest.Item) -> list[Picture]:
    """The pictures drawn for a test item (empty when it attached none)."""
    return list(item.stash.get(PICTURES, []))


def _log(message: str) -> None:
    """The grader's log (the trusted process's stderr), outside pytest's capture of the test."""
    with contextlib.suppress(Exception):  # no stderr at all: nothing to log to
        print(f"gradelib: {message}", file=sys.__stderr__ or sys.stderr, flush=True)


class PictureHooks:
    """Collects each test's attached pictures and draws them after its call phase (see the module docstring)."""

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_protocol(self, item: pytest.Item, nextitem):
        global _pending
        _pending = []
        item.stash[PICTURES] = []
        try:
            yield
        finally:
            _pending = None

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo):
        yield  # the report (the verdict) is made first
        if call.when != "call" or not _pending:
            return
        if not item.config.pluginmanager.has_plugin(RESULTS_RECORDER):  # no results file: no one to show them to
            _pending.clear()
            return
        pending = list(_pending)
        _pending.clear()
        item.stash[PICTURES] = draw_pending(pending, SECONDS_PER_TEST)


def register(config: pytest.Config) -> None:
    """Register the hooks with pytest (once)."""
    if not config.pluginmanager.has_plugin("gradelib-pictures"):
        config.pluginmanager.register(PictureHooks(), "gradelib-pictures")
