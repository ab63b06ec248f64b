"""Image conversions between what metric libraries feed and what the digit classifier reads.

torch-fidelity and torchmetrics pass uint8 images (N, 3, H, W) in 0..255; the digit classifier
reads grey levels (N, 1, 28, 28) in [0, 1]. Generated samples usually come as float images
(N, 1, H, W) in [0, 1] and are turned into uint8 RGB for torch-fidelity.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

__all__ = ["CLASSIFIER_SIZE", "uint8_to_classifier_input", "to_uint8_rgb"]

#: Height and width the digit classifier reads.
CLASSIFIER_SIZE = 28


def uint8_to_classifier_input(images: Tensor) -> Tensor:
    """Convert uint8 images of any size to the classifier's grey 28x28 input.

    Inputs:
        images: (N, C, H, W) uint8 in 0..255 with C = 3 (RGB, averaged to grey) or C = 1.

    Returns:
        (N, 1, 28, 28) float32 grey levels in [0, 1]; resized with antialiased bilinear
        interpolation when H, W differ from 28 (unchanged when they are 28).
    """
    if images.dtype != torch.uint8:
        raise TypeError(f"expected uint8 images in 0..255, got dtype {images.dtype}")
    if images.dim() != 4 or images.shape[1] not in (1, 3):
        raise ValueError(f"expected images of shape (N, 3 or 1, H, W), got {tuple(images.shape)}")
    N, C, H, W = images.shape  # batch, channels, height, width
    grey = images.float().mean(dim=1, keepdim=True) / 255.0  # (N, 1, H, W)
    if (H, W) != (CLASSIFIER_SIZE, CLASSIFIER_SIZE):
        grey = F.interpolate(
            grey, size=(CLASSIFIER_SIZE, CLASSIFIER_SIZE), mode="bilinear", align_corners=False, antialias=True
        ).clamp_(0.0, 1.0)
    return grey


def to_uint8_rgb(images: Tensor) -> Tensor:
    """Convert images to the uint8 RGB form torch-fidelity expects.

    Inputs:
        images: (N, C, H, W) with C in {1, 3}, either uint8 in 0..255 or float in [0, 1]
            (values outside are clamped).

    Returns:
        (N, 3, H, W) uint8 in 0..255 (grey images repeated over the 3 channels), on the CPU.
    """
    if images.dim() != 4 or images.shape[1] not in (1, 3):
        raise ValueError(f"expected images of shape (N, 1 or 3, H, W), got {tuple(images.shape)}")
    images = images.detach().cpu()
    if images.dtype != torch.uint8:
        if not images.is_floating_point():
            raise TypeError(f"expected uint8 or float images, got dtype {images.dtype}")
        images = (images.clamp(0.0, 1.0) * 255.0).round().to(torch.uint8)
    if images.shape[1] == 1:
        images = images.expand(-1, 3, -1, -1)
    return images.contiguous()
