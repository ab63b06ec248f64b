"""Tests of gradelib.messages: is every failure explained to the student without hidden code?"""

from __future__ import annotations

from gradelib.messages import NOT_IMPLEMENTED_PREFIX, student_message


def raised(error):
    try:
        raise error
    except BaseException as caught:  # noqa: BLE001
        return caught


def test_is_pytests_assertion_explanation_removed():
    """Does a rewritten assert show only its message, not the hidden test's expression?"""
    error = AssertionError("logits differ: check the mask\nassert tensor(False)\n +  where tensor(False) = secret(x)")
    assert student_message(error) == "logits differ: check the mask"


def test_does_a_bare_assert_give_a_neutral_message():
    """Is an assert without a message reported without the test's code?"""
    assert "check failed" in student_message(AssertionError("assert x == reference_value"))


def test_is_not_implemented_named():
    """Does a stub's NotImplementedError say that the part is not implemented yet?"""
    assert student_message(raised(NotImplementedError())).startswith(NOT_IMPLEMENTED_PREFIX)


def test_does_an_error_in_grader_code_hide_the_traceback():
    """Is an exception outside the student's cells reported by type and message only?"""
    message = student_message(raised(ValueError("shapes (3,) and (4,) differ")))
    assert message == "The test could not run your code to the end: ValueError: shapes (3,) and (4,) differ"


def test_does_running_out_of_memory_come_with_a_hint():
    """Is an allocation failure explained as too much memory?"""
    message = student_message(
        raised(RuntimeError("DefaultCPUAllocator: can't allocate memory: you tried to allocate 1e12 bytes"))
    )
    assert "limits the memory" in message


def test_is_a_long_message_cut():
    """Is a huge message cut to a readable length?"""
    assert len(student_message(AssertionError("x" * 10_000))) <= 2000
