"""Containment: sleep forever inside a method that a test calls.

Attack: every model method sleeps, catching every exception (a per-test time limit delivered as
an exception is swallowed), so the first test never ends. DAMAGE BOUND: gives up after 300 s.
Old grader: see BASELINE.md (expected: 0, after the whole --timeout).
"""
EXPECT = {"max_score": 0, "doors": ["grade", "grade_all", "nbgrader"], "place": "end", "leaves_no_trace": [],
          "slow": True}

import time as _time


def _sleep_forever(*args, **kwargs):
    deadline = _time.monotonic() + 300
    while _time.monotonic() < deadline:
        try:
            _time.sleep(1)
        except BaseException:  # noqa: BLE001
            pass
    raise NotImplementedError()


for _cls in (AutoregressiveImageModel, FVSBN, NADE, PixelCNN):
    for _method in ("forward", "log_prob", "sample", "complete", "_common_step"):
        setattr(_cls, _method, _sleep_forever)
PixelCNN.__init__ = _sleep_forever
MaskedConv2d.__init__ = _sleep_forever
