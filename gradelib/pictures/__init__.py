"""Pictures in feedback: what the student's own model drew while it was graded, and the numbers behind a test.

A hidden test attaches a picture in one line (:mod:`gradelib.pictures.record`)::

    from gradelib.pictures import attach_image, attach_number

    attach_image("NADE samples", lambda: model.sample(16), caption="16 digits your trained NADE drew")
    attach_number("NADE test NLL", nll, threshold=limit, better="lower", unit="nats per image",
                  marks={"reference (mean)": entry["mean"]})

The pictures are drawn as PNG in the trusted pytest process (:mod:`gradelib.pictures.render`) from data only
(tensors through the sandbox's wire, public data, numbers), after the test's verdict, and a failure to draw is
logged, never graded. They travel with the test's result (:class:`gradelib.pictures.picture.Picture` in
``results.json``) and appear in every door: ``gradelib grade --report DIR`` (PNG files beside ``index.html``),
Gradescope (the test's output as HTML, pictures as ``data:`` URIs) and nbgrader's feedback (``image/png``
outputs of the grade cell). A picture shows what the student's model did, or public data (test digits, their
true translations), never a hidden reference output.
"""

from gradelib.pictures.picture import Picture, accepted_pictures, pictures_html

__all__ = ["Picture", "accepted_pictures", "pictures_html", "attach_image", "attach_number", "attach_figure",
           "pictures_of"]

_RECORD = ("attach_image", "attach_number", "attach_figure", "pictures_of")


def __getattr__(name: str):
    """The attaching functions, imported on first use (they need pytest; a results file's reader does not)."""
    if name in _RECORD:
        from gradelib.pictures import record

        return getattr(record, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
