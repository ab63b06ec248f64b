"""Verdicts changed in-process: find gradelib's results recorder with gc and patch it.

Attack: ``gc.get_objects()`` finds the plugin's ``ResultsRecorder`` instance (same process);
its class gets a ``_fail`` that does nothing and a ``_write`` that marks every test passed with
full points before writing.
Old grader: see BASELINE.md (expected: full marks).
"""
EXPECT = {"max_score": 0, "doors": ["grade", "grade_all", "nbgrader"], "place": "end", "leaves_no_trace": []}

import gc as _gc
import sys as _sys

if not getattr(_sys, "_adv_recorder_patch", False):
    for _obj in _gc.get_objects():
        if type(_obj).__name__ == "ResultsRecorder":
            _sys._adv_recorder_patch = True
            _cls = type(_obj)
            _write = _cls._write

            def _forged_write(self, _write=_write):
                for test in self.report.tests:
                    test.status, test.score, test.output = "passed", test.max_score, ""
                _write(self)

            _cls._fail = lambda self, result, message: None
            _cls._write = _forged_write
            break
