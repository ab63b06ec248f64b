"""Known bugs, written once: realistic wrong submissions made from the solution notebook at test time.

An assignment keeps its bug *data* in ``tests/known_bugs/<id>/bugs.py``::

    from gradelib.kit.known_bugs import Bug

    BUGS = [
        Bug(
            name="nade_sees_itself",
            description="NADE uses the inclusive running sum: pixel i sees x_i",
            cell="nade",                                   # grade_id of the solution cell to edit
            edits=[("F.pad(inclusive[:, :, :-1], (1, 0))", "inclusive")],
            fails=["nade::test_nade_is_autoregressive", "quality::test_nade_test_nll"],
            message_mentions="itself",
        ),
    ]
    CORRECT_VARIANTS = [Bug(name=..., cell=..., edits=[...])]   # other correct code: full marks

A bug is graded on the groups its ``fails`` name (plus ``also_graded``): exactly the listed tests must fail
and every other test of those groups must pass; ``message_mentions`` must be in the message of the first
listed test. A correct variant is graded on the whole suite and must get full marks. Bugs are applied to the
solution at test time (:func:`apply_bug`), so they never drift from it. The project's own test
``tests/course/test_known_bugs.py`` runs every assignment's list through :func:`gradelib.grader.grade_notebook`.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["Bug", "BugList", "BugError", "apply_bug", "load_bugs", "groups_of", "parse_test_id"]


class BugError(ValueError):
    """A bug cannot be applied to the solution (its cell or snippet is missing), or its data is malformed."""


@dataclass(frozen=True)
class Bug:
    """One realistic mistake (or, in ``CORRECT_VARIANTS``, one other correct way to write a TODO).

    Attributes:
        name: short identifier, unique in the assignment (also the patched notebook's file name).
        cell: nbgrader ``grade_id`` of the solution cell to edit.
        edits: ``(old, new)`` pairs applied in order; each ``old`` must occur exactly once in the cell.
        fails: the hidden tests the bug must fail, in order, each ``"<group>::<test name with parameters>"``
            (e.g. ``"masked_conv::test_mask_pattern[A-3]"``) or a bare ``"<group>"`` for every test of the group.
            Empty for a correct variant.
        message_mentions: text that must appear in the student's message of the first test of ``fails``.
        description: the mistake, in words.
        also_graded: further groups graded with the bug, whose tests must all pass.
    """

    name: str
    cell: str
    edits: tuple[tuple[str, str], ...]
    fails: tuple[str, ...] = ()
    message_mentions: str = ""
    description: str = ""
    also_graded: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "edits", tuple((str(old), str(new)) for old, new in self.edits))
        object.__setattr__(self, "fails", tuple(self.fails))
        object.__setattr__(self, "also_graded", tuple(self.also_graded))
        if not self.edits:
            raise BugError(f"bug {self.name}: no edits")
        if self.fails and not self.message_mentions:
            raise BugError(f"bug {self.name}: say what its message must mention (message_mentions)")

    @property
    def groups(self) -> list[str]:
        """The groups to grade: those of ``fails``, then ``also_graded``; empty (the whole suite) for a variant."""
        return list(dict.fromkeys([parse_test_id(test)[0] for test in self.fails] + list(self.also_graded)))


def parse_test_id(test_id: str) -> tuple[str, str | None]:
    """``"nade::test_x[A-3]"`` -> ``("nade", "test_x[A-3]")``; ``"nade"`` -> ``("nade", None)``."""
    group, _, name = test_id.partition("::")
    return group, (name or None)


def groups_of(bugs: Iterable[Bug]) -> set[str]:
    """Every group that some bug names."""
    return {group for bug in bugs for group in bug.groups}


@dataclass
class BugList:
    """An assignment's ``bugs.py``: its ``BUGS`` and ``CORRECT_VARIANTS``."""

    assignment: str
    bugs: list[Bug] = field(default_factory=list)
    correct_variants: list[Bug] = field(default_factory=list)

    @property
    def by_name(self) -> dict[str, Bug]:
        return {bug.name: bug for bug in self.bugs + self.correct_variants}


def load_bugs(course, assignment: str) -> BugList:
    """Import ``tests/known_bugs/<id>/bugs.py`` of a :class:`gradelib.course.Course` (an empty list if absent).

    Raises:
        BugError: the file lacks ``BUGS`` or ``CORRECT_VARIANTS``, or two entries share a name.
    """
    path = course.known_bugs(assignment) / "bugs.py"
    if not path.is_file():
        return BugList(assignment)
    name = f"gradelib_known_bugs_{assignment}"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    try:
        found = BugList(assignment, list(module.BUGS), list(module.CORRECT_VARIANTS))
    except AttributeError as error:
        raise BugError(f"{path} must define the lists BUGS and CORRECT_VARIANTS: {error}") from None
    names = [bug.name for bug in found.bugs + found.correct_variants]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise BugError(f"{path}: names used twice: {duplicates}")
    return found


def apply_bug(solution_notebook: str | Path, bug: Bug, folder: str | Path | None = None) -> Path:
    """Write the solution notebook with ``bug`` applied to ``folder/<bug.name>.ipynb``; return that path.

    Args:
        solution_notebook: the source notebook, e.g. ``Course.find().solution("autoregressive")``.
        bug: the edits to apply to its cell ``bug.cell``.
        folder: where to write (default: beside nothing, a new temporary folder).

    Raises:
        BugError: the cell is not there exactly once, or an ``old`` snippet does not occur exactly once.
    """
    notebook = json.loads(Path(solution_notebook).read_text(encoding="utf-8"))
    cells = [c for c in notebook["cells"] if (c.get("metadata", {}).get("nbgrader") or {}).get("grade_id") == bug.cell]
    if len(cells) != 1:
        raise BugError(f"bug {bug.name}: the solution has {len(cells)} cells with grade_id {bug.cell!r}, not one")
    source = "".join(cells[0]["source"]) if isinstance(cells[0]["source"], list) else cells[0]["source"]
    for old, new in bug.edits:
        if source.count(old) != 1:
            raise BugError(
                f"bug {bug.name}: the snippet {old!r} occurs {source.count(old)} times in cell {bug.cell!r}, not once"
            )
        source = source.replace(old, new)
    cells[0]["source"] = source
    if folder is None:
        import tempfile

        folder = tempfile.mkdtemp(prefix="gradelib-bug-")
    path = Path(folder) / f"{bug.name}.ipynb"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(notebook, indent=1), encoding="utf-8")
    return path
