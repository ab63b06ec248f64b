"""Student code in a process of its own; verdicts in the trusted process that started it.

- :mod:`~gradelib.sandbox.codec` and :mod:`~gradelib.sandbox.channel`: the data-only wire.
- :mod:`~gradelib.sandbox.worker`: the submission process (loads the notebook once, forks per test).
- :mod:`~gradelib.sandbox.jail` and :mod:`~gradelib.sandbox.launch`: containment.
- :mod:`~gradelib.sandbox.remote`: the trusted side's proxies, and :func:`probe`.
- :mod:`~gradelib.sandbox.expr`: expressions over the student's objects that a probe evaluates where they live.
"""

from gradelib.sandbox.launch import capabilities, sandbox_kind

__all__ = ["capabilities", "sandbox_kind"]
