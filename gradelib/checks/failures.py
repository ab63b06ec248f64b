"""The failure that every check raises, and how its message is written for a student.

A hidden test shows a student only the first line of its docstring and, when it fails, the
message of the exception. So every check raises :class:`CheckFailure` with a message that says
what was checked, what was expected, what was found and the likely cause::

    raise CheckFailure(describe(
        what="log_prob of 4 images",
        expected="values in nats, about -44.4",
        found="-64.1: the ratio is 1/ln 2",
        hint="you return bits: use natural logarithms",
    ))
"""

from __future__ import annotations

__all__ = ["CheckFailure", "describe"]


class CheckFailure(AssertionError):
    """A check found the student's code wrong; the message is written for the student."""


def describe(what: str, expected: str | None = None, found: str | None = None, hint: str | None = None) -> str:
    """Compose a failure message: "<what>: expected <expected>, found <found>. <hint>".

    Inputs:
        what: what was checked, e.g. "NADE's logits on fixed weights".
        expected: what a correct implementation gives (optional).
        found: what the student's code gave (optional).
        hint: the likely cause and where to look (optional).
    """
    message = what
    details = []
    if expected:
        details.append(f"expected {expected}")
    if found:
        details.append(f"found {found}")
    if details:
        message += ": " + ", ".join(details)
    message = message.rstrip(".") + "."
    if hint:
        message += " " + hint.strip()
    return message
