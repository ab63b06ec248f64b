"""Containment: a single 16 GiB allocation.

Attack: reserve 16 GiB in one tensor, then touch its pages. An address-space limit refuses the
reservation; a memory limit (cgroup) must stop the touching. DAMAGE BOUND: the reservation is
16 GiB but at most min(16 GiB, 35% of the machine's available memory) is touched, held for 20 s.
Old grader: see BASELINE.md (expected: refused by RLIMIT_AS on a CPU-only machine; not bounded
where CUDA is present, as the old grader then sets no limit).
"""
EXPECT = {"max_score": 0, "doors": ["grade", "grade_all", "nbgrader"], "place": "end", "leaves_no_trace": []}

import sys as _sys
import time as _time

import torch as _torch


def _available():
    for line in open("/proc/meminfo"):
        if line.startswith("MemAvailable:"):
            return int(line.split()[1]) * 1024
    return 0


if not getattr(_sys, "_adv_big", False):
    _sys._adv_big = True
    try:
        _block = _torch.empty(16 * 2**30, dtype=_torch.uint8)
        _touch = int(min(16 * 2**30, 0.35 * _available()))
        _block[:_touch:4096] = 1
        _time.sleep(20)
        del _block
    except (MemoryError, RuntimeError) as _error:
        print("refused:", str(_error)[:200])
