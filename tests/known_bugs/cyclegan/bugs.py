"""Known bugs of cyclegan: realistic mistakes, and other correct ways to write the TODOs.

Data only: :class:`gradelib.kit.known_bugs.Bug` says what each entry means, and tests/course/test_known_bugs.py
applies each one to solutions/cyclegan/cyclegan.ipynb and grades it through gradelib's own door. For example::

    Bug(
        name="log_prob_divides_by_log_std",
        description="the standardised point divides by log_std instead of the standard deviation",
        cell="gaussian_log_prob",
        edits=[("z = (x - mean) / log_std.exp()", "z = (x - mean) / log_std")],
        fails=["log_prob::test_log_prob_agrees_with_torch_distributions"],
        message_mentions="exp(log_std)",
    )
"""

from gradelib.kit.known_bugs import Bug

BUGS: list[Bug] = []

#: Other correct ways to write the TODOs: each must get full marks.
CORRECT_VARIANTS: list[Bug] = []
