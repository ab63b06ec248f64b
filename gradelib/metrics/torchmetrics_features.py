"""The digit classifier as a feature network for torchmetrics' FID and KID.

Usage::

    from torchmetrics.image.fid import FrechetInceptionDistance
    fid = FrechetInceptionDistance(feature=DigitFeatures())
    fid.update(real_uint8, real=True); fid.update(fake_uint8, real=False); fid.compute()

``DigitFeatures`` sets ``num_features`` so torchmetrics need not probe it, but it also accepts
the 299x299 dummy image torchmetrics would use (every size is resized to 28x28).
"""

from __future__ import annotations

from typing import Literal

import torch.nn as nn
from torch import Tensor

from gradelib.metrics.digit_classifier import FEATURE_DIM, NUM_CLASSES, DigitClassifier, load_digit_classifier
from gradelib.metrics.preprocess import uint8_to_classifier_input

__all__ = ["DigitFeatures"]


class DigitFeatures(nn.Module):
    """uint8 images (N, 3, H, W) in 0..255 -> digit-classifier features (N, F), float32.

    Inputs:
        classifier: a trained :class:`DigitClassifier`; None loads the shipped weights.
        output: "features" (F = 128, penultimate layer; for FID/KID) or "logits" (F = 10).
    """

    def __init__(
        self, classifier: DigitClassifier | None = None, output: Literal["features", "logits"] = "features"
    ) -> None:
        super().__init__()
        if output not in ("features", "logits"):
            raise ValueError(f"output must be 'features' or 'logits', got {output!r}")
        self.classifier = classifier if classifier is not None else load_digit_classifier("cpu")
        self.classifier.requires_grad_(False)
        self.output = output
        self.num_features = FEATURE_DIM if output == "features" else NUM_CLASSES
        self.train(False)

    def train(self, mode: bool = True) -> DigitFeatures:
        """Keep the classifier in eval mode whatever is asked (features must be deterministic)."""
        super().train(mode)
        self.classifier.eval()
        return self

    def forward(self, images: Tensor) -> Tensor:
        """Features of uint8 images (N, 3, H, W) (or (N, 1, H, W)) in 0..255, any H, W.

        Returns:
            (N, num_features) float32.
        """
        features = self.classifier.features(uint8_to_classifier_input(images))  # (N, 128)
        if self.output == "features":
            return features
        return self.classifier.fc2(features)  # (N, 10)
