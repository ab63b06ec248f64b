"""Does `.ci/env.sh` give each checkout its own gradelib in the one shared environment, and show pip's errors?"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

PROBE = """
import importlib.metadata, shutil, sys
import gradelib
plugin = next(e for e in importlib.metadata.entry_points(group="pytest11") if e.name == "gradelib").load()
print("module", gradelib.__file__)
print("plugin", plugin.__file__)
print("script", shutil.which("gradelib"))
"""


def _source(course, command: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", "-c", f"source .ci/env.sh && {command}"], cwd=course.root, env=env,
                          capture_output=True, text=True, timeout=300)


def _key(course) -> str:
    return subprocess.run([sys.executable, str(course.root / ".ci" / "deps.py"), "key"], capture_output=True,
                          text=True, check=True).stdout.strip()


def test_does_env_sh_put_its_own_checkout_first(course, tmp_path):
    """Sourced in a shell where another checkout was sourced before, env.sh activates the shared
    environment and imports this checkout's gradelib: the module, the pytest plugin entry point and the
    `gradelib` command all resolve to it; the other checkout is dropped from PYTHONPATH, other entries kept."""
    cache = Path(os.environ.get("GRADELIB_ENV_CACHE") or Path.home() / ".cache" / "gradelib-course")
    venv = cache / f"venv-{_key(course)}"
    if not (venv / ".complete").is_file():
        pytest.skip(f"no cached environment {venv} (env.sh would install 5 GB)")
    env = dict(os.environ, GRADELIB_PYTHON=sys.executable, GRADELIB_ENV_CACHE=str(cache),
               GRADELIB_CHECKOUT="/elsewhere/checkout", PYTHONPATH=f"/elsewhere/checkout:{tmp_path}")
    done = _source(course, f"python -c '{PROBE}' && echo path $PYTHONPATH && gradelib --help >/dev/null", env)
    assert done.returncode == 0, done.stderr
    found = dict(line.split(" ", 1) for line in done.stdout.splitlines())
    root = str(course.root.resolve())
    assert found["module"].startswith(root + os.sep) and found["plugin"].startswith(root + os.sep)
    assert found["script"] == str(venv / "bin" / "gradelib")
    assert found["path"] == f"{course.root}:{tmp_path}"


def test_does_a_failed_install_show_pips_error(course, tmp_path):
    """When installing the checkout fails, the shell shows pip's own error and env.sh returns non-zero."""
    venv = tmp_path / f"venv-{_key(course)}"
    (venv / "bin").mkdir(parents=True)
    (venv / ".complete").touch()
    fake = venv / "bin" / "python"
    fake.write_text("#!/bin/sh\n"
                    'case "$*" in *installed*) exit 1;; *"-m pip"*) '
                    'echo "ERROR: Could not build gradelib (pip said so)" >&2; exit 1;; esac\n'
                    f'exec {shutil.which("python3") or sys.executable} "$@"\n')
    fake.chmod(0o755)
    env = dict(os.environ, GRADELIB_PYTHON=sys.executable, GRADELIB_ENV_CACHE=str(tmp_path))
    done = _source(course, "echo sourced", env)
    assert done.returncode != 0 and "sourced" not in done.stdout
    assert "ERROR: Could not build gradelib (pip said so)" in done.stderr
    assert "failed" in done.stderr
