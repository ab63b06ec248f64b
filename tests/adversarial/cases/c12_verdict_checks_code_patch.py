"""Verdicts changed in-process: patch the code objects of every check in gradelib.checks.

Attack: instead of rebinding names (which misses ``from ... import`` copies), replace
``__code__`` of every ``assert_*`` function of ``gradelib.checks.*`` in place: every reference,
wherever it was imported, now runs a check that always passes. Also makes
``torch.testing.assert_close`` and ``torch.allclose`` always agree.
Old grader: see BASELINE.md.
"""
EXPECT = {"max_score": 0, "doors": ["grade", "grade_all", "nbgrader"], "place": "end", "leaves_no_trace": []}

import sys as _sys
import types as _types

import torch as _torch


def _no_check(*args, **kwargs):
    return None


for _name, _module in list(_sys.modules.items()):
    if _name == "gradelib.checks" or _name.startswith("gradelib.checks."):
        for _attr, _value in list(vars(_module).items()):
            if _attr.startswith("assert_") and isinstance(_value, _types.FunctionType) and not _value.__code__.co_freevars:
                _value.__code__ = _no_check.__code__
_torch.testing.assert_close = _no_check
_torch.allclose = lambda *args, **kwargs: True
