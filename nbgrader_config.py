"""nbgrader configuration of the course: solutions/ is the source, assignments/ the student release."""

c = get_config()  # noqa: F821 - provided by nbgrader

c.CourseDirectory.course_id = "deep-generative-models"
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "assignments"
# Hidden tests live in tests/hidden/, outside solutions/, so they are never copied into a release.
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", "*.results.json"]

# Autograding is decided outside any kernel, and the student's code never runs unsandboxed. nbgrader's
# own pipeline (0.9) with two changes: its Execute step is taken out (it would run the student's code
# as the instructor's user, with the course tree in reach), and gradelib's preprocessor takes its place:
# it grades the notebook once with gradelib's hidden suite (as `gradelib grade` does: the notebook runs
# in gradelib's sandbox) and writes every grade cell's outputs, the group's results and score, which
# SaveAutoGrades then reads. Nothing the student's code prints, displays, raises or redefines can reach
# a grade or a feedback page. Settings: GRADELIB_DEVICE, GRADELIB_BUDGET, GRADELIB_TIMEOUT (whole suite).
# (Putting "nbgrader.preprocessors.Execute" back first in this list would run each notebook in an
# ordinary kernel too, to show its outputs in the feedback: only for trusted submissions.)
c.Autograde.autograde_preprocessors = [
    "nbgrader.preprocessors.IgnorePattern",
    "nbconvert.preprocessors.ClearMetadataPreprocessor",
    "nbgrader.preprocessors.LimitOutput",
    "gradelib.nbgrader_door.GradelibAutograde",
    "nbgrader.preprocessors.SaveAutoGrades",
    "nbgrader.preprocessors.AssignLatePenalties",
    "nbgrader.preprocessors.CheckCellMetadata",
]
