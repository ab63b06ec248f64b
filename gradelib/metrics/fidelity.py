"""The digit classifier as a torch-fidelity feature extractor, and a FID/KID helper.

Importing this module registers the extractor under :data:`FEATURE_EXTRACTOR_NAME`
(``"digit-classifier"``) with torch-fidelity (idempotent; nothing else happens at import).
Features it provides:

- ``"features"``: (N, 128) penultimate activations, the default for FID, KID and PRC;
- ``"logits"``: (N, 10) class logits, the default for the Inception Score (ISC);
- ``"logits_unbiased"``: (N, 10) logits without the final bias, as in torch-fidelity's
  InceptionV3 (also usable for ISC).

torch-fidelity feeds uint8 images (N, 3, H, W) in 0..255; they are averaged to grey and
resized to 28x28 (:func:`gradelib.metrics.preprocess.uint8_to_classifier_input`). Features are
returned in float64 so that torch-fidelity's statistics are computed in double precision.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
import torch_fidelity
from torch import Tensor
from torch.utils.data import Dataset
from torch_fidelity.feature_extractor_base import FeatureExtractorBase
from torch_fidelity.metric_fid import KEY_METRIC_FID
from torch_fidelity.metric_kid import KEY_METRIC_KID_MEAN, KEY_METRIC_KID_STD
from torch_fidelity.registry import FEATURE_EXTRACTORS_REGISTRY

from gradelib.metrics.digit_classifier import load_digit_classifier
from gradelib.metrics.preprocess import to_uint8_rgb, uint8_to_classifier_input

__all__ = [
    "FEATURE_EXTRACTOR_NAME",
    "KEY_FID",
    "KEY_KID_MEAN",
    "KEY_KID_STD",
    "DigitClassifierFeatureExtractor",
    "UInt8ImageDataset",
    "register_digit_classifier",
    "compute_fid_kid",
]

FEATURE_EXTRACTOR_NAME = "digit-classifier"
#: Result keys of :func:`compute_fid_kid` (torch-fidelity's own names).
KEY_FID = KEY_METRIC_FID
KEY_KID_MEAN = KEY_METRIC_KID_MEAN
KEY_KID_STD = KEY_METRIC_KID_STD

_PROVIDED_FEATURES = ("features", "logits", "logits_unbiased")
_DEFAULT_LAYER = {"isc": "logits", "fid": "features", "kid": "features", "prc": "features"}


class DigitClassifierFeatureExtractor(FeatureExtractorBase):
    """torch-fidelity feature extractor built on the shipped digit classifier."""

    def __init__(
        self,
        name: str,
        features_list: list[str] | tuple[str, ...],
        feature_extractor_weights_path: str | Path | None = None,
        **kwargs: Any,  # torch-fidelity passes every calculate_metrics option here; unused
    ) -> None:
        super().__init__(name, features_list)
        self.classifier = load_digit_classifier("cpu", weights_path=feature_extractor_weights_path)

    @staticmethod
    def get_provided_features_list() -> tuple[str, ...]:
        return _PROVIDED_FEATURES

    @staticmethod
    def get_default_feature_layer_for_metric(metric: str) -> str:
        return _DEFAULT_LAYER[metric]

    @staticmethod
    def can_be_compiled() -> bool:
        return False

    @staticmethod
    def get_dummy_input_for_compile() -> Tensor:
        return torch.zeros(1, 3, 28, 28, dtype=torch.uint8)

    def train(self, mode: bool = True) -> DigitClassifierFeatureExtractor:
        """Keep the classifier in eval mode whatever is asked (features must be deterministic)."""
        super().train(mode)
        self.classifier.eval()
        return self

    def forward(self, x: Tensor) -> tuple[Tensor, ...]:
        """Features of uint8 images.

        Inputs:
            x: (N, 3, H, W) uint8 in 0..255 (any H, W; also (N, 1, H, W)).

        Returns:
            one float64 tensor per requested feature, in ``features_list`` order:
            "features" (N, 128), "logits" (N, 10), "logits_unbiased" (N, 10).
        """
        grey = uint8_to_classifier_input(x)  # (N, 1, 28, 28) in [0, 1]
        features = self.classifier.features(grey)  # (N, 128)
        weight, bias = self.classifier.fc2.weight, self.classifier.fc2.bias
        logits_unbiased = features @ weight.t()  # (N, 10)
        available = {
            "features": features,
            "logits": logits_unbiased + bias,
            "logits_unbiased": logits_unbiased,
        }
        return tuple(available[name].double() for name in self.features_list)


def register_digit_classifier() -> None:
    """Register :class:`DigitClassifierFeatureExtractor` as ``"digit-classifier"`` (idempotent)."""
    registered = FEATURE_EXTRACTORS_REGISTRY.get(FEATURE_EXTRACTOR_NAME)
    if registered is None:
        torch_fidelity.register_feature_extractor(FEATURE_EXTRACTOR_NAME, DigitClassifierFeatureExtractor)
    elif registered is not DigitClassifierFeatureExtractor:
        if registered.__qualname__ != DigitClassifierFeatureExtractor.__qualname__:
            raise RuntimeError(
                f"another feature extractor ({registered!r}) is already registered as "
                f"{FEATURE_EXTRACTOR_NAME!r} with torch-fidelity"
            )
        FEATURE_EXTRACTORS_REGISTRY[FEATURE_EXTRACTOR_NAME] = DigitClassifierFeatureExtractor  # module reloaded


register_digit_classifier()


class UInt8ImageDataset(Dataset):
    """In-memory images for torch-fidelity: item i is a uint8 (3, H, W) tensor in 0..255."""

    def __init__(self, images: Tensor) -> None:
        self.images = to_uint8_rgb(images)  # (N, 3, H, W) uint8

    def __len__(self) -> int:
        return self.images.shape[0]

    def __getitem__(self, index: int) -> Tensor:
        return self.images[index]


def compute_fid_kid(
    real_images: Tensor,
    fake_images: Tensor,
    device: str | torch.device = "cpu",
    batch_size: int = 250,
    kid_subsets: int = 100,
    kid_subset_size: int | None = None,
    rng_seed: int = 2020,
) -> dict[str, float]:
    """FID and KID between two sets of images, on the digit classifier's 128-d features.

    Inputs:
        real_images: (N1, C, H, W), C in {1, 3}, float in [0, 1] or uint8 in 0..255.
        fake_images: (N2, C, H, W), same conventions (H, W may differ; all go to 28x28).
        device: "cpu" or a CUDA device for feature extraction.
        batch_size: images per forward pass.
        kid_subsets: number of random subsets KID averages over.
        kid_subset_size: images per KID subset; None means min(1000, N1, N2). When it equals
            both N1 and N2, one subset is computed (all would be identical) and the KID std is 0.
        rng_seed: seed of KID's subset sampling.

    Returns:
        {KEY_FID: FID, KEY_KID_MEAN: KID mean, KEY_KID_STD: KID std}, unitless floats
        (squared feature distances; 0 for identical distributions).
    """
    n_real, n_fake = real_images.shape[0], fake_images.shape[0]
    if min(n_real, n_fake) < 2:
        raise ValueError(f"FID/KID need at least 2 images per set, got {n_real} real and {n_fake} fake")
    if kid_subset_size is None:
        kid_subset_size = min(1000, n_real, n_fake)
    if kid_subset_size == n_real == n_fake:
        kid_subsets = 1  # every subset would be the whole of both sets: the same estimate each time
    metrics = torch_fidelity.calculate_metrics(
        input1=UInt8ImageDataset(real_images),
        input2=UInt8ImageDataset(fake_images),
        feature_extractor=FEATURE_EXTRACTOR_NAME,
        feature_layer_fid="features",
        feature_layer_kid="features",
        fid=True,
        kid=True,
        cuda=torch.device(device).type == "cuda",
        batch_size=batch_size,
        kid_subsets=kid_subsets,
        kid_subset_size=kid_subset_size,
        rng_seed=rng_seed,
        save_cpu_ram=True,  # no DataLoader worker processes
        cache=False,
        verbose=False,
    )
    return {key: float(metrics[key]) for key in (KEY_FID, KEY_KID_MEAN, KEY_KID_STD)}
