"""The assignment kit: machinery every assignment shares, written once.

- :mod:`gradelib.kit.known_bugs`: realistic wrong submissions (``tests/known_bugs/<id>/bugs.py``) and
  other correct implementations, applied to the solution notebook at test time;
- :mod:`gradelib.kit.calibration`: quality thresholds measured on the reference solution over many seeds
  (``tests/hidden/<id>/quality.py`` -> ``tests/hidden/<id>/calibration.json``), behind ``gradelib calibrate``;
- :mod:`gradelib.kit.scaffold`: a new assignment from templates, behind ``gradelib new``.
"""
