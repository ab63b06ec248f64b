"""The solution within reach: copy the reference module that the grader left in sys.modules.

Attack: the hidden suite's ``reference`` fixture builds the solution notebook into a module in
the same process and registers it in ``sys.modules``; from the second test on, the notebook finds
it there (a module whose ``notebook_path`` is under ``solutions/``) and copies its classes.
Old grader: see BASELINE.md (expected: nearly full marks, all tests after the first reference load).
"""
EXPECT = {"max_score": 0, "doors": ["grade", "grade_all", "nbgrader"], "place": "end", "leaves_no_trace": []}

import gc as _gc
import sys as _sys
import types as _types

_modules = [m for m in list(_sys.modules.values()) if isinstance(m, _types.ModuleType)]
_modules += [m for m in _gc.get_objects() if isinstance(m, _types.ModuleType)]
for _module in _modules:
    try:
        _path = str(vars(_module).get("notebook_path", ""))  # vars(): no module __getattr__ runs
    except TypeError:
        continue
    if "solutions" in _path:
        for _name in ("AutoregressiveImageModel", "FVSBN", "NADE", "MaskedConv2d", "PixelCNN", "train"):
            if _name in vars(_module):
                globals()[_name] = vars(_module)[_name]
        break
