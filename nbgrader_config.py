"""nbgrader configuration of the course: solutions/ is the source, assignments/ the student release."""

c = get_config()  # noqa: F821 - provided by nbgrader

c.CourseDirectory.course_id = "deep-generative-models"
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "assignments"
# Hidden tests live in tests/hidden/, outside solutions/, so they are never copied into a release.
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", "*.results.json"]

# The first grade cell of a notebook runs the whole hidden suite (about a minute on a laptop CPU
# with --budget quick; GRADELIB_BUDGET=full takes longer): nbgrader's 30 s default is too short.
c.Execute.timeout = 900  # above gradelib's own limit for the whole suite (GRADELIB_TIMEOUT, 600 s)
c.Execute.startup_timeout = 120
