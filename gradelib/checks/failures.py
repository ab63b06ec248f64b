"""The failure that every check raises, and the one way its message is written for a student.

A hidden test shows a student only the first line of its docstring and, when it fails, the
message of the exception. So every check raises :class:`CheckFailure` with a message that says
what was checked, what was expected, what was found and the likely cause::

    raise CheckFailure.build(
        "log_prob of 4 images",
        expected="values in nats, about -44.4",
        found="-64.1: the ratio is 1/ln 2",
        cause="you return bits: use natural logarithms",
    )
"""

from __future__ import annotations

__all__ = ["CheckFailure", "failure_message"]


def failure_message(
    checked: str, expected: str | None = None, found: str | None = None, cause: str | None = None
) -> str:
    """Compose a failure message: "<checked>: expected <expected>, found <found>. <cause>".

    Inputs:
        checked: what was checked, e.g. "NADE's logits on fixed weights" (or a whole sentence when
            there is no expected/found pair).
        expected: what a correct implementation gives (optional).
        found: what the student's code gave (optional).
        cause: the likely cause and where to look (optional).
    """
    message = checked.strip()
    details = []
    if expected:
        details.append(f"expected {expected}")
    if found:
        details.append(f"found {found}")
    if details:
        message += ": " + ", ".join(details)
    message = message.rstrip(".") + "."
    if cause:
        message += " " + cause.strip()
    return message


class CheckFailure(AssertionError):
    """A check found the student's code wrong; the message is written for the student."""

    @classmethod
    def build(
        cls, checked: str, *, expected: str | None = None, found: str | None = None, cause: str | None = None
    ) -> CheckFailure:
        """A failure whose message is :func:`failure_message` of the same arguments."""
        return cls(failure_message(checked, expected, found, cause))
