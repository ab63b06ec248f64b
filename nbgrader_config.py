"""nbgrader configuration of the course: solutions/ is the source, assignments/ the student release."""

c = get_config()  # noqa: F821 - provided by nbgrader

c.CourseDirectory.course_id = "deep-generative-models"
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "assignments"
# Hidden tests live in tests/hidden/, outside solutions/, so they are never copied into a release.
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", "*.results.json"]

# Autograding is decided outside the notebook's kernel. nbgrader's own pipeline (0.9), with gradelib's
# preprocessor after the kernel has run (Execute) and its output was limited (LimitOutput), and before
# the scores are read from the grade cells' outputs (SaveAutoGrades): it grades the notebook once with
# gradelib's hidden suite (as `gradelib grade` does) and replaces every grade cell's outputs with its
# group's results and score. Nothing the student's code prints, displays, raises or redefines in the
# kernel can reach a grade. Settings: GRADELIB_DEVICE, GRADELIB_BUDGET, GRADELIB_TIMEOUT (whole suite).
c.Autograde.autograde_preprocessors = [
    "nbgrader.preprocessors.Execute",
    "nbgrader.preprocessors.IgnorePattern",
    "nbconvert.preprocessors.ClearMetadataPreprocessor",
    "nbgrader.preprocessors.LimitOutput",
    "gradelib.nbgrader_door.GradelibAutograde",
    "nbgrader.preprocessors.SaveAutoGrades",
    "nbgrader.preprocessors.AssignLatePenalties",
    "nbgrader.preprocessors.CheckCellMetadata",
]

# The kernel only runs the student's cells (grade cells do no work in it): nbgrader's limit per cell
# can be an ordinary one. A notebook that loops at load is interrupted after this many seconds.
c.Execute.timeout = 120
c.Execute.startup_timeout = 120
