"""Verdicts changed in-process: rebind gradelib.checks' assert_* functions to no-ops.

Attack: rebind every ``assert_*`` name of ``gradelib.checks`` (and of its submodules) to a
function that does nothing, and rebind the same names wherever another loaded module (a hidden
test module, its helpers) imported them with ``from gradelib.checks import ...``.
Old grader: see BASELINE.md (expected: every test whose verdict is an assert_* check passes).
"""
EXPECT = {"max_score": 0, "doors": ["grade", "grade_all", "nbgrader"], "place": "end", "leaves_no_trace": []}

import sys as _sys
import types as _types


def _no_check(*args, **kwargs):
    return None


_checks = {}
for _name, _module in list(_sys.modules.items()):
    if _name == "gradelib.checks" or _name.startswith("gradelib.checks."):
        for _attr, _value in list(vars(_module).items()):
            if _attr.startswith("assert_") and isinstance(_value, _types.FunctionType):
                _checks[id(_value)] = _value
                setattr(_module, _attr, _no_check)
for _module in list(_sys.modules.values()):
    try:
        _items = list(vars(_module).items())
    except TypeError:
        continue
    for _attr, _value in _items:
        if id(_value) in _checks:
            try:
                setattr(_module, _attr, _no_check)
            except (AttributeError, TypeError):
                pass
