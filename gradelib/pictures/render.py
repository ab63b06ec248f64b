"""Drawing pictures as PNG bytes, in the trusted process: image grids and a number against its threshold.

Inputs are data only: tensors or NumPy arrays (what the sandbox's wire returns), numbers, or a matplotlib
``Figure`` built by trusted code. Every picture is bounded: at most :data:`MAX_IMAGES_PER_ROW` images a row,
:data:`MAX_ROWS` rows, images larger than :data:`MAX_IMAGE_SIDE` pixels are subsampled, and a PNG over
:data:`gradelib.pictures.picture.MAX_PNG_BYTES` is drawn again smaller or refused.

* :func:`image_grid_png`: one grid of images, or labelled rows of images (``{"a": a, "G(a)": fake}``);
* :func:`number_png`: a value on an axis with the threshold it must pass, the passing side shaded, and
  optional marks (the reference's mean, a baseline);
* :func:`figure_png`: a matplotlib figure as it is.
"""

from __future__ import annotations

import io
import math
from collections.abc import Mapping, Sequence

import numpy as np

from gradelib.pictures.picture import MAX_PNG_BYTES

__all__ = ["image_grid_png", "number_png", "figure_png", "as_image_batch", "PictureError",
           "MAX_IMAGES_PER_ROW", "MAX_ROWS", "MAX_IMAGE_SIDE"]

MAX_IMAGES_PER_ROW = 16
MAX_ROWS = 12
MAX_IMAGE_SIDE = 128
_DPI = 100


class PictureError(ValueError):
    """The data cannot be drawn as asked (a shape that is not an image, a value that is not a number)."""


def as_image_batch(images: object) -> np.ndarray:
    """Images as a float array (N, H, W, C) with C 1 or 3, from a tensor or array of shape (N, C, H, W),
    (C, H, W) with C 1 or 3, (N, H, W) or (H, W). Non-finite values become NaN (drawn as the low end)."""
    array = _to_numpy(images)
    if array.ndim == 2:
        array = array[None, None]
    elif array.ndim == 3:
        array = array[None] if array.shape[0] in (1, 3) else array[:, None]
    if array.ndim != 4 or array.shape[1] not in (1, 3) or min(array.shape[2:]) < 1:
        raise PictureError(f"a tensor of shape {tuple(array.shape)} is not a batch of images (N, 1 or 3, H, W)")
    step = max(1, math.ceil(max(array.shape[2:]) / MAX_IMAGE_SIDE))
    array = array[:, :, ::step, ::step]
    return np.transpose(array, (0, 2, 3, 1)).astype(np.float32)


def _to_numpy(value: object) -> np.ndarray:
    if isinstance(value, np.ndarray):
        array = value
    elif hasattr(value, "detach") and hasattr(value, "cpu"):  # a torch.Tensor (the wire's are plain tensors)
        array = value.detach().cpu().float().numpy()
    else:
        raise PictureError(f"cannot draw a {type(value).__name__} as images: a tensor or an array is needed")
    if array.dtype.kind not in "fiub":
        raise PictureError(f"cannot draw an array of dtype {array.dtype} as images")
    return np.asarray(array, dtype=np.float32)


def _rows_of(images: object, ncols: int | None) -> list[tuple[str, np.ndarray]]:
    """(label, (N, H, W, C) batch) per row: labelled rows from a mapping or a sequence of (label, images),
    else one batch cut into rows of ``ncols``."""
    if isinstance(images, Mapping):
        rows = [(str(label), as_image_batch(batch)[:MAX_IMAGES_PER_ROW]) for label, batch in images.items()]
    elif isinstance(images, Sequence) and images and all(isinstance(item, tuple) and len(item) == 2 for item in images):
        rows = [(str(label), as_image_batch(batch)[:MAX_IMAGES_PER_ROW]) for label, batch in images]
    else:
        batch = as_image_batch(images)
        ncols = max(1, min(ncols or math.ceil(math.sqrt(len(batch))), MAX_IMAGES_PER_ROW))
        rows = [("", batch[start : start + ncols]) for start in range(0, len(batch), ncols)]
    rows = [(label, batch) for label, batch in rows if len(batch)][:MAX_ROWS]
    if not rows:
        raise PictureError("there are no images to draw")
    return rows


def image_grid_png(images: object, *, value_range: tuple[float, float] = (0.0, 1.0), ncols: int | None = None,
                   cmap: str = "gray", title: str = "") -> bytes:
    """A grid of images as PNG bytes.

    Args:
        images: a batch (see :func:`as_image_batch`), or labelled rows: a mapping ``{label: batch}`` or a list of
            ``(label, batch)``; each row shows at most :data:`MAX_IMAGES_PER_ROW` images.
        value_range: the values drawn black and white (grey levels are clipped to it), e.g. (-1, 1) for tanh outputs.
        ncols: images a row for a plain batch (default: about a square).
        cmap: matplotlib colour map of one-channel images ("gray": low values black; "gray_r": ink on paper).
        title: drawn above the grid.
    """
    low, high = (float(v) for v in value_range)
    if not high > low:
        raise PictureError(f"value_range {value_range} is empty")
    rows = _rows_of(images, ncols)
    height = max(batch.shape[1] for _, batch in rows)
    width = max(batch.shape[2] for _, batch in rows)
    channels = 3 if any(batch.shape[3] == 3 for _, batch in rows) else 1
    columns = max(len(batch) for _, batch in rows)
    pad = max(1, height // 14)
    canvas = np.full((len(rows) * (height + pad) + pad, columns * (width + pad) + pad, channels), np.nan, np.float32)
    for r, (_, batch) in enumerate(rows):
        for c, image in enumerate(batch):
            if image.shape[2] != channels:
                image = np.repeat(image, channels, axis=2)
            top, left = pad + r * (height + pad), pad + c * (width + pad)
            canvas[top : top + image.shape[0], left : left + image.shape[1]] = image
    scaled = (np.clip(canvas, low, high) - low) / (high - low)  # NaN (padding, non-finite values) stays NaN
    label_px = 12 + 6.5 * max(len(label) for label, _ in rows) if any(label for label, _ in rows) else 4
    scale = max(1, round(44 / max(height, width)))  # each image at least ~44 screen pixels
    image_w, image_h = scaled.shape[1] * scale, scaled.shape[0] * scale
    total_w, total_h = image_w + label_px + 4, image_h + (24 if title else 6)
    figure = _figure(width_px=total_w, height_px=total_h)
    axes = figure.add_axes((label_px / total_w, 0.0, image_w / total_w, image_h / total_h))
    if channels == 1:
        import matplotlib

        colours = matplotlib.colormaps[cmap].with_extremes(bad="#d8d8d8")
        axes.imshow(scaled[:, :, 0], cmap=colours, vmin=0.0, vmax=1.0, interpolation="nearest")
    else:
        rgba = np.concatenate([np.nan_to_num(scaled, nan=0.85), np.ones(scaled.shape[:2] + (1,), np.float32)], axis=2)
        axes.imshow(rgba, interpolation="nearest")
    axes.set_xticks([])
    axes.set_yticks([pad + r * (height + pad) + height / 2 - 0.5 for r in range(len(rows))])
    axes.set_yticklabels([label for label, _ in rows], fontsize=9)
    axes.tick_params(length=0)
    for spine in axes.spines.values():
        spine.set_visible(False)
    if title:
        figure.suptitle(title, fontsize=10, y=0.995, va="top")
    return _png(figure)


def number_png(value: float, *, threshold: float, better: str, unit: str = "", name: str = "",
               marks: Mapping[str, float] | None = None) -> bytes:
    """A number against the threshold it must pass, as PNG bytes.

    Args:
        value: the student's number (NaN or infinite is shown as such).
        threshold: the calibrated threshold; ``better`` says on which side a value passes: "lower" (it must be
            below) or "higher" (above).
        unit: the unit shown after the numbers ("nats per image").
        name: what the number is ("NADE's test NLL").
        marks: other values worth seeing on the same axis, by label ({"reference (mean)": 23.9}); non-finite
            ones are left out.
    """
    if better not in ("lower", "higher"):
        raise PictureError(f"better must be 'lower' or 'higher', not {better!r}")
    threshold = float(threshold)
    value = float(value)
    if not math.isfinite(threshold):
        raise PictureError(f"the threshold {threshold} is not a finite number")
    marks = {str(k): float(v) for k, v in (marks or {}).items() if v is not None and math.isfinite(float(v))}
    finite = math.isfinite(value)
    passed = finite and (value < threshold if better == "lower" else value > threshold)
    known = [threshold, *marks.values()]
    low, high = min(known), max(known)
    span = max(high - low, abs(threshold) * 0.05, 1e-6)
    shown = value
    clipped = False
    if finite:
        if value > high + 2 * span or value < low - 2 * span:
            clipped = True
            shown = high + 1.6 * span if value > high else low - 1.6 * span
        low, high = min(low, shown), max(high, shown)
    left, right = low - 0.3 * span, high + 0.3 * span
    figure = _figure(width_px=640, height_px=170 + 18 * len(marks))
    axes = figure.add_axes((0.03, 0.18, 0.94, 0.62))
    passing = (left, threshold) if better == "lower" else (threshold, right)
    axes.axvspan(*passing, color="#27ae60", alpha=0.12, lw=0)
    axes.axvline(threshold, color="#c0392b", ls="--", lw=1.5)
    axes.text(threshold, 1.02, f"threshold {threshold:.4g}", transform=axes.get_xaxis_transform(), ha="center",
              va="bottom", fontsize=9, color="#c0392b")
    rows = len(marks) + 1
    for k, (label, mark) in enumerate(marks.items()):
        y = (k + 0.5) / (rows + 0.5)
        axes.plot([mark], [y], marker="|", ms=12, mew=2, color="#7f8c8d")
        _label(axes, mark, y, f"{label}: {mark:.4g}", left, right, fontsize=8, color="#555555")
    y = (rows - 0.5) / (rows + 0.5)
    if finite:
        colour = "#27ae60" if passed else "#c0392b"
        axes.plot([shown], [y], marker="o", ms=10, color=colour)
        text = f"yours: {value:.4g}" + (" (off the scale)" if clipped else "")
        _label(axes, shown, y, text, left, right, fontsize=10, color=colour, fontweight="bold")
    else:
        axes.text(0.5, y, f"yours: {value} (not a finite number)", transform=axes.transAxes, ha="center",
                  va="center", fontsize=10, fontweight="bold", color="#c0392b")
    axes.set_xlim(left, right)
    axes.set_ylim(0, 1)
    axes.set_yticks([])
    axes.tick_params(labelsize=8)
    for side in ("left", "right", "top"):
        axes.spines[side].set_visible(False)
    verdict = "passes" if passed else "does not pass"
    figure.suptitle(f"{name}{' (' + unit + ')' if unit else ''}: {verdict} ({better} is better)", fontsize=10,
                    y=0.99, va="top")
    return _png(figure)


def _label(axes, x: float, y: float, text: str, left: float, right: float, **style) -> None:
    """Text beside a point, on the side with more room (so it stays inside the axes)."""
    on_right = (x - left) < (right - left) * 0.6
    axes.annotate(text, (x, y), xytext=(8 if on_right else -8, 0), textcoords="offset points",
                  ha="left" if on_right else "right", va="center", **style)


def figure_png(figure) -> bytes:
    """A matplotlib ``Figure`` (built by trusted code) as PNG bytes, at most 8 x 8 inches at 100 dpi."""
    from matplotlib.figure import Figure

    if not isinstance(figure, Figure):
        raise PictureError(f"not a matplotlib Figure: {type(figure).__name__}")
    width, height = figure.get_size_inches()
    if width > 8 or height > 8:
        factor = 8 / max(width, height)
        figure.set_size_inches(width * factor, height * factor)
    return _png(figure)


def _figure(*, width_px: float, height_px: float):
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure

    width_px, height_px = min(width_px, 1400), min(height_px, 1400)
    return Figure(figsize=(width_px / _DPI, height_px / _DPI), dpi=_DPI)


def _png(figure) -> bytes:
    """The figure as PNG bytes; drawn again at a lower resolution if it is too large, refused if still too large."""
    for dpi in (_DPI, _DPI // 2):
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", dpi=dpi, metadata={"Software": None})
        data = buffer.getvalue()
        if len(data) <= MAX_PNG_BYTES:
            return data
    raise PictureError(f"the picture is too large ({len(data)} bytes as PNG)")
