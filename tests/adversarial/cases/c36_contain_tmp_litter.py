"""Containment: write 256 MiB to /tmp and leave it.

Attack: a file of 256 MiB in the machine's /tmp (and a folder with the marker); a grader without a
private /tmp leaves them behind after every grading, and a class of such submissions fills the disk.
DAMAGE BOUND: 256 MiB, one file, under /tmp only.
Old grader: see BASELINE.md (expected: the file stays).
"""
EXPECT = {"max_score": 0, "doors": ["grade", "grade_all", "nbgrader"], "place": "end",
          "leaves_no_trace": ["/tmp/__ADV_MARKER__-litter.bin", "/tmp/__ADV_MARKER__-dir"]}

import os as _os
import sys as _sys

MARKER = "__ADV_MARKER__"
if not getattr(_sys, "_adv_litter", False):
    _sys._adv_litter = True
    try:
        _os.makedirs(f"/tmp/{MARKER}-dir", exist_ok=True)
        with open(f"/tmp/{MARKER}-litter.bin", "wb") as _stream:
            _chunk = b"\0" * 2**20
            for _ in range(256):
                _stream.write(_chunk)
    except OSError as _error:
        print("refused:", _error)
