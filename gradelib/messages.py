"""Turn what went wrong in a test into a message for a student.

A hidden test fails in one of a few ways; each gets its own kind of message, and none of them
shows hidden-test code or reference values:

- a check failed (an ``AssertionError``, such as :class:`gradelib.checks.CheckFailure`): its
  message, which the check wrote for a student;
- the student's stub still raises ``NotImplementedError``: "not implemented yet";
- the notebook does not define a name, or cannot be read: the loader's message;
- the student's code raised: the exception, with the traceback through the notebook's cells only;
- anything else raised in grader code: the exception's type and message, without the traceback.
"""

from __future__ import annotations

import traceback
import types

from gradelib.loader import CELL_FILENAME_PREFIX, MissingNameError, SubmissionError, student_traceback
from gradelib.settings import NOT_IMPLEMENTED_PREFIX

__all__ = ["student_message", "NOT_IMPLEMENTED_PREFIX"]

_MAX_MESSAGE_CHARS = 2000
_MEMORY_HINT = (
    "The grader limits the memory a submission may use, and this code asked for more: "
    "look for a tensor far larger than the batch needs (for example a D x D x H tensor, or a shape typo)."
)


def student_message(error: BaseException) -> str:
    """A student-readable explanation of why a test failed (see the module docstring)."""
    return _truncate(_message(error))


def _message(error: BaseException) -> str:
    from gradelib.sandbox.remote import StudentCodeError, SubmissionDied

    if isinstance(error, NotImplementedError):
        where = getattr(error, "where", None) or _innermost_student_function(error.__traceback__)
        what = (
            f"`{where}` still raises NotImplementedError"
            if where
            else "a function this test needs still raises NotImplementedError"
        )
        todo = "Fill in its TODO (replace `raise NotImplementedError()` with your code)."
        return f"{NOT_IMPLEMENTED_PREFIX}: {what}. {todo}"
    if isinstance(error, (MissingNameError, SubmissionError, SubmissionDied)):
        return str(error)
    if isinstance(error, StudentCodeError):
        text = f"{error.kind}: {error.message}"
        if error.kind == "MemoryError" or "out of memory" in error.message or "can't allocate memory" in error.message:
            text += "\n" + _MEMORY_HINT
        if error.load_errors:
            text += "\nThis may be because cells failed when the notebook was loaded: " + "; ".join(error.load_errors)
        if error.trace.strip():
            return f"Your code raised {text}\nWhere it happened in your notebook:\n{error.trace.rstrip()}"
        return f"The test could not run your code to the end: {text}"
    if isinstance(error, AssertionError):
        return _assertion_text(error)
    trace = student_traceback(error.__traceback__)
    text = f"{type(error).__name__}: {error}"
    if isinstance(error, MemoryError) or "can't allocate memory" in str(error) or "out of memory" in str(error):
        text += "\n" + _MEMORY_HINT
    if trace:
        return f"Your code raised {text}\nWhere it happened in your notebook:\n{trace.rstrip()}"
    return f"The test could not run your code to the end: {text}"


def _assertion_text(error: AssertionError) -> str:
    text = str(error).strip()
    # pytest's assertion rewriting appends the failing expression after the message: never show it.
    for marker in ("\nassert ", "\n+  where", "\nassert\n"):
        if marker in text:
            text = text.split(marker, 1)[0].rstrip()
    if text.startswith("assert "):
        text = ""
    return text or "A check failed (the grader gave no details)."


def _innermost_student_function(tb: types.TracebackType | None) -> str | None:
    frames = [frame for frame in traceback.walk_tb(tb) if frame[0].f_code.co_filename.startswith(CELL_FILENAME_PREFIX)]
    if not frames:
        return None
    frame = frames[-1][0]
    name = frame.f_code.co_qualname if hasattr(frame.f_code, "co_qualname") else frame.f_code.co_name
    return name


def _truncate(text: str) -> str:
    if len(text) <= _MAX_MESSAGE_CHARS:
        return text
    return text[: _MAX_MESSAGE_CHARS - 20].rstrip() + "\n... (message cut)"
