"""Exit codes of the ``gradelib`` command, shared by its commands.

0 when the command completed (whatever a submission scored), 2 for a usage error (no such file,
unknown assignment), 1 only when the grader itself broke (or, for ``release --check``, when the
release is stale or leaks).
"""

EXIT_OK = 0
EXIT_GRADER_BROKE = 1
EXIT_USAGE = 2
