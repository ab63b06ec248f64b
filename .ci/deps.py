"""The course's dependencies, read from pyproject.toml: ``list`` prints them, ``key`` prints their hash.

The hash names the cached virtual environment (``.ci/env.sh``), so the 5 GB install happens once
per set of dependencies, not once per clone.
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


if __name__ == "__main__":
    print(key() if sys.argv[1:] == ["key"] else "\n".join(requirements()))
