"""nbgrader configuration of the course: solutions/ is the source, assignments/ the student release."""

from gradelib.nbgrader_feedback import (
    TEMPLATE_BASEDIR,
    TEMPLATE_FILE,
    TEMPLATE_NAME,
    nbgrader_template_basedir,
)

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
# nbgrader's sanitize step, with one change: its OverwriteCells compared each grade cell with the source
# (hidden tests included), so every submission, even the untouched release, logged "Attribute 'checksum'
# for cell grade_* has changed!" (nbgrader#1961). gradelib's compares it with the release instead: only
# a locked cell that differs from what students were given is reported (and restored, as before).
c.Autograde.sanitize_preprocessors = [
    "nbgrader.preprocessors.ClearOutput",
    "nbgrader.preprocessors.DeduplicateIds",
    "nbgrader.preprocessors.OverwriteKernelspec",
    "gradelib.nbgrader_sanitize.GradelibOverwriteCells",
    "nbgrader.preprocessors.CheckCellMetadata",
]
# The release in assignments/ is committed, so `nbgrader generate_assignment ID` would skip it and leave
# the gradebook without the assignment (autograde then fails with "No assignment with ID ... exists").
# Forcing it rewrites assignments/ID with the same files (the release is deterministic: `gradelib
# release --check` says whether it is current) and fills gradebook.db: no `--force` is needed.
c.GenerateAssignment.force = True

c.Autograde.autograde_preprocessors = [
    "nbgrader.preprocessors.IgnorePattern",
    "nbconvert.preprocessors.ClearMetadataPreprocessor",
    "nbgrader.preprocessors.LimitOutput",
    "gradelib.nbgrader_door.GradelibAutograde",
    "nbgrader.preprocessors.SaveAutoGrades",
    "nbgrader.preprocessors.AssignLatePenalties",
    "nbgrader.preprocessors.CheckCellMetadata",
]

# The feedback page a student reads (gradelib.nbgrader_feedback): each part's score link named after the part,
# the hidden call of each grade cell explained, formulas drawn as pictures (offline), messages wrapped.
c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.GetGrades",
    "gradelib.nbgrader_feedback.GradelibFeedback",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
]
c.HTMLExporter.template_name = TEMPLATE_NAME
c.HTMLExporter.template_file = TEMPLATE_FILE
c.HTMLExporter.extra_template_basedirs = [str(TEMPLATE_BASEDIR), nbgrader_template_basedir()]
