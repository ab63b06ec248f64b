"""One picture of a test's result: a PNG made in the trusted process, and how it travels in a results file.

A :class:`Picture` is what a hidden test attached (:mod:`gradelib.pictures.record`) once it is drawn: a
name, a caption for the student and the PNG's bytes. In ``results.json`` it is
``{"name": ..., "caption": ..., "png_base64": ...}`` in the test's ``pictures`` list. Whoever reads a
results file takes only what :func:`accepted_pictures` accepts: at most :data:`MAX_PICTURES_PER_TEST`
pictures a test, each a real PNG of at most :data:`MAX_PNG_BYTES` bytes, with short text.

This module imports neither torch nor matplotlib (the grading parent reads results files with it).
"""

from __future__ import annotations

import base64
import binascii
import html
import re
from dataclasses import dataclass

__all__ = [
    "Picture",
    "accepted_pictures",
    "pictures_html",
    "MAX_PICTURES_PER_TEST",
    "MAX_PNG_BYTES",
    "MAX_TEXT_CHARS",
    "PNG_SIGNATURE",
]

#: At most this many pictures are kept for one test (the first ones attached).
MAX_PICTURES_PER_TEST = 6
#: A picture's PNG may have at most this many bytes (a grid of 64 digits is about 20 KB).
MAX_PNG_BYTES = 300 * 1024
#: Names and captions are cut to this many characters.
MAX_TEXT_CHARS = 300
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

KEY_NAME = "name"
KEY_CAPTION = "caption"
KEY_PNG = "png_base64"


@dataclass(frozen=True)
class Picture:
    """A drawn picture: ``name`` (short, unique within its test), ``caption`` (for the student) and ``png`` (bytes)."""

    name: str
    caption: str
    png: bytes

    def to_json(self) -> dict:
        return {KEY_NAME: self.name, KEY_CAPTION: self.caption, KEY_PNG: base64.b64encode(self.png).decode("ascii")}

    @classmethod
    def from_json(cls, data: object) -> Picture | None:
        """The picture an entry of a results file holds, or None when it is not a valid one."""
        if not isinstance(data, dict):
            return None
        name, caption, encoded = data.get(KEY_NAME), data.get(KEY_CAPTION, ""), data.get(KEY_PNG)
        if not isinstance(name, str) or not isinstance(caption, str) or not isinstance(encoded, str):
            return None
        if len(encoded) > 4 * (MAX_PNG_BYTES // 3 + 1):
            return None
        try:
            png = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            return None
        if not png.startswith(PNG_SIGNATURE) or len(png) > MAX_PNG_BYTES:
            return None
        return cls(name=name[:MAX_TEXT_CHARS], caption=caption[:MAX_TEXT_CHARS], png=png)

    def data_uri(self) -> str:
        """The PNG as a ``data:`` URI, for an ``<img>`` in a page that must stand alone."""
        return "data:image/png;base64," + base64.b64encode(self.png).decode("ascii")

    def file_stem(self) -> str:
        """The name as a safe file name (letters, digits, ``-`` and ``_``)."""
        return re.sub(r"[^A-Za-z0-9_-]+", "-", self.name).strip("-")[:60] or "picture"


def accepted_pictures(entries: object) -> list[Picture]:
    """The valid pictures of a results file's ``pictures`` list (anything else is dropped), at most
    :data:`MAX_PICTURES_PER_TEST`."""
    if not isinstance(entries, list):
        return []
    pictures = [picture for picture in map(Picture.from_json, entries[:MAX_PICTURES_PER_TEST]) if picture]
    return pictures


def pictures_html(message: str, pictures: list[Picture]) -> str:
    """A test's output as HTML: its message (escaped, as preformatted text) and its pictures, each with its
    caption. Only plain tags (``pre``, ``p``, ``img``, ``br``, ``em``), so that a sanitiser keeps them
    (Gradescope renders a test's ``output`` as HTML when its ``output_format`` is ``html``)."""
    parts = [f"<pre>{html.escape(message)}</pre>"] if message else []
    for picture in pictures:
        caption = html.escape(picture.caption or picture.name)
        parts.append(f'<p><img src="{picture.data_uri()}" alt="{caption}"><br><em>{caption}</em></p>')
    return "\n".join(parts)
