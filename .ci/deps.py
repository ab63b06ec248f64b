"""The course's dependencies, read from pyproject.toml: ``list`` prints them, ``key`` prints their hash.

The hash names the cached virtual environment (``.ci/env.sh``), so the 5 GB install happens once
per set of dependencies, not once per clone.

``installed`` (run with the environment's interpreter) exits 0 when that environment already holds a
``gradelib`` distribution with this checkout's console scripts and entry points, so ``env.sh`` need
not reinstall it: the code itself is found through ``PYTHONPATH``, which puts the checkout that
sourced ``env.sh`` first, whichever checkout the editable install points at.
"""

import hashlib
import sys
from pathlib import Path

import tomllib

PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"


def requirements() -> list[str]:
    project = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]
    extras = [req for group in project.get("optional-dependencies", {}).values() for req in group]
    return list(project["dependencies"]) + extras


def key() -> str:
    text = "\n".join(requirements()) + f"\npython {sys.version_info.major}.{sys.version_info.minor}"
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def declared_entry_points() -> set[tuple[str, str, str]]:
    """(group, name, value) of pyproject.toml's console scripts and entry points."""
    project = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]
    found = {("console_scripts", name, value) for name, value in project.get("scripts", {}).items()}
    for group, entries in project.get("entry-points", {}).items():
        found |= {(group, name, value) for name, value in entries.items()}
    return found


def installed() -> bool:
    """Does this interpreter's environment hold gradelib with the entry points that pyproject.toml declares?"""
    from importlib import metadata

    try:
        distribution = metadata.distribution("gradelib")
    except metadata.PackageNotFoundError:
        return False
    have = {(entry.group, entry.name, entry.value) for entry in distribution.entry_points}
    return declared_entry_points() <= have


if __name__ == "__main__":
    if sys.argv[1:] == ["installed"]:
        sys.exit(0 if installed() else 1)
    print(key() if sys.argv[1:] == ["key"] else "\n".join(requirements()))
