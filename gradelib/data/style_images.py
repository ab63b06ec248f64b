"""Content and style images for style transfer, offline: scikit-image's bundled photographs and textures.

- :data:`CONTENT_IMAGES`: photographs ("astronaut", "chelsea", "coffee", "rocket").
- :data:`STYLE_IMAGES`: textures ("brick", "grass", "gravel": grey textures tinted with two colours each, so that
  style carries colour too; "immunohistochemistry": a stained tissue section, a colourful painterly texture).
- :func:`load_image`: one image, (1, 3, size, size) RGB float32 in [0, 1], centre-cropped to a square and resized by
  area averaging (antialiased), read once per process and size.
- :func:`content_crops`: random square crops of the photographs (a training set for fast style transfer).

Nothing is downloaded: these files ship inside scikit-image.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

__all__ = ["CONTENT_IMAGES", "STYLE_IMAGES", "TINTS", "load_image", "content_crops"]

CONTENT_IMAGES = ("astronaut", "chelsea", "coffee", "rocket")
STYLE_IMAGES = ("brick", "grass", "gravel", "immunohistochemistry")
#: (dark RGB, light RGB) that each grey texture's levels are mapped between.
TINTS = {
    "brick": ((0.30, 0.08, 0.05), (0.95, 0.62, 0.42)),
    "grass": ((0.05, 0.20, 0.05), (0.75, 0.95, 0.35)),
    "gravel": ((0.10, 0.10, 0.22), (0.85, 0.80, 0.70)),
}

_RAW: dict[str, Tensor] = {}
_IMAGES: dict[tuple[str, int], Tensor] = {}


def _raw(name: str) -> Tensor:
    """(3, H, W) float32 in [0, 1] of a scikit-image picture (tinted if it is a grey texture), read once."""
    if name not in _RAW:
        if name not in CONTENT_IMAGES + STYLE_IMAGES:
            raise ValueError(f"unknown image {name!r}: content {CONTENT_IMAGES}, style {STYLE_IMAGES}")
        from skimage import data

        array = np.asarray(getattr(data, name)(), dtype=np.float32) / 255.0
        if array.ndim == 2:  # a grey texture: stretch its levels to [0, 1], then tint
            array = (array - array.min()) / max(float(array.max() - array.min()), 1e-6)
            dark, light = (np.asarray(colour, dtype=np.float32) for colour in TINTS[name])
            array = dark + array[..., None] * (light - dark)
        _RAW[name] = torch.from_numpy(np.ascontiguousarray(array[..., :3])).permute(2, 0, 1).contiguous()
    return _RAW[name]


def _square(image: Tensor, size: int) -> Tensor:
    """(3, H, W) -> (1, 3, size, size): the central square, resized with antialiasing."""
    _, H, W = image.shape  # channels, height, width
    side = min(H, W)
    top, left = (H - side) // 2, (W - side) // 2
    square = image[None, :, top : top + side, left : left + side]
    return F.interpolate(square, size=(size, size), mode="bilinear", antialias=True, align_corners=False).clamp(0, 1)


def load_image(name: str, size: int = 64) -> Tensor:
    """A content or style image as a batch of one.

    Inputs:
        name: one of :data:`CONTENT_IMAGES` or :data:`STYLE_IMAGES`.
        size: the side in pixels of the square result.

    Returns:
        (1, 3, size, size) float32 RGB in [0, 1] (a new tensor at each call).
    """
    key = (name, int(size))
    if key not in _IMAGES:
        _IMAGES[key] = _square(_raw(name), int(size))
    return _IMAGES[key].clone()


def content_crops(n: int, size: int = 32, *, seed: int = 0, names: tuple[str, ...] = CONTENT_IMAGES) -> Tensor:
    """``n`` random square crops of the photographs, each a quarter to a half of the picture's shorter side.

    Returns:
        (n, 3, size, size) float32 RGB in [0, 1]; the same ``seed`` gives the same crops.
    """
    rng = np.random.default_rng(seed)
    crops = []
    for _ in range(n):
        image = _raw(names[int(rng.integers(len(names)))])
        _, H, W = image.shape
        side = int(rng.integers(min(H, W) // 4, min(H, W) // 2 + 1))
        top, left = int(rng.integers(0, H - side + 1)), int(rng.integers(0, W - side + 1))
        crop = image[None, :, top : top + side, left : left + side]
        crops.append(F.interpolate(crop, size=(size, size), mode="bilinear", antialias=True, align_corners=False))
    return torch.cat(crops).clamp(0, 1)
