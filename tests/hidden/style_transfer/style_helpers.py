"""Helpers of style_transfer's hidden suite: the same VGG-19 on both sides, images, scalars."""

from __future__ import annotations

import torch

from gradelib.checks import CheckFailure
from gradelib.data.style_images import load_image
from gradelib.metrics.vgg import load_vgg19_features
from gradelib.sandbox.probes_style import build_vgg19

#: The images of the structural tests (32x32, the grader's size).
SIZE = 32
#: A shallow configuration for structural tests: three convolutions deep, so that a fit costs little.
LIGHT = {"content_layer": "relu2_1", "style_layers": ("relu1_1", "relu2_1")}
#: Every layer of the 30 modules, in order (the convention of the notebook's Part 1).
ALL_LAYERS = ("conv1_1", "relu1_1", "conv1_2", "relu1_2", "pool1", "conv2_1", "relu2_1", "conv2_2", "relu2_2", "pool2",
              "conv3_1", "relu3_1", "conv3_2", "relu3_2", "conv3_3", "relu3_3", "conv3_4", "relu3_4", "pool3",
              "conv4_1", "relu4_1", "conv4_2", "relu4_2", "conv4_3", "relu4_3", "conv4_4", "relu4_4", "pool4",
              "conv5_1", "relu5_1", "conv5_2", "relu5_2", "conv5_3", "relu5_3", "conv5_4", "relu5_4", "pool5")


_LOCAL: dict[int, torch.nn.Sequential] = {}


def vgg_pair(submission, num_modules: int = 30):
    """(a VGG-19 in the submission's process, the same network here): seeded random weights, seed 0.

    The local network is built once per grading and shared by the tests (the reference freezes it and never changes
    its weights); the submission's is a fresh copy in each test's process.
    """
    if num_modules not in _LOCAL:
        _LOCAL[num_modules] = load_vgg19_features("random", num_modules=num_modules).requires_grad_(False)
    return build_vgg19(submission, num_modules=num_modules), _LOCAL[num_modules]


def images(n: int = 2, seed: int = 0, size: int = SIZE) -> torch.Tensor:
    """(n, 3, size, size) random RGB in [0, 1]."""
    return torch.rand(n, 3, size, size, generator=torch.Generator().manual_seed(seed))


def content_and_style(size: int = SIZE) -> tuple[torch.Tensor, torch.Tensor]:
    return load_image("astronaut", size), load_image("immunohistochemistry", size)


def scalar(value, what: str) -> float:
    value = torch.as_tensor(value)
    if value.numel() != 1:
        raise CheckFailure(f"{what} should be a scalar tensor; it has shape {tuple(value.shape)}. Average (.mean()) "
                           "over every entry.")
    return float(value)


def close(found: float, expected: float, rel: float = 1e-4) -> bool:
    return abs(found - expected) <= rel * max(abs(expected), 1e-12) + 1e-12
