"""The ``gradelib`` command line: one module per command, wired together in :mod:`gradelib.cli.main`."""
