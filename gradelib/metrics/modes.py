"""Mode coverage of samples from a mixture with known modes (the criterion of the unrolled-GAN, VEEGAN and PacGAN
papers).

A sample is of **high quality** when it lies within ``num_std`` standard deviations (3 by default) of the mode
nearest to it; a mode is **captured** when at least one high-quality sample is nearest to it. The papers draw 2,500
samples and report the number of modes captured and the fraction of high-quality samples::

    report = mode_coverage(samples, ring_centres(), std=RING_STD)
    report["modes"], report["high_quality"]        # e.g. 8, 0.93
"""

from __future__ import annotations

import torch
from torch import Tensor

__all__ = ["HIGH_QUALITY_STDS", "mode_coverage"]

#: A sample within this many standard deviations of its nearest mode is of high quality.
HIGH_QUALITY_STDS = 3.0


def mode_coverage(samples: Tensor, centres: Tensor, std: float, num_std: float = HIGH_QUALITY_STDS) -> dict:
    """How many modes the samples capture, and how many samples are of high quality.

    Inputs:
        samples: (N, d) points (any float dtype, any device; non-finite rows count as low quality).
        centres: (K, d) the modes' means.
        std: the modes' standard deviation (the same for all, isotropic).
        num_std: the high-quality radius, in standard deviations.

    Returns:
        {"modes": number of modes captured (int, 0 .. K), "high_quality": fraction of high-quality samples in [0, 1],
         "counts": [high-quality samples nearest to each mode] (K ints)}.
    """
    samples = samples.detach().to("cpu", torch.float64)
    centres = centres.detach().to("cpu", torch.float64)
    finite = torch.isfinite(samples).all(dim=1)  # (N,)
    distances = torch.cdist(torch.where(finite[:, None], samples, torch.zeros_like(samples)), centres)  # (N, K)
    nearest_distance, nearest = distances.min(dim=1)  # (N,), (N,)
    good = finite & (nearest_distance < num_std * std)  # (N,)
    counts = torch.bincount(nearest[good], minlength=centres.shape[0])  # (K,)
    return {"modes": int((counts > 0).sum()), "high_quality": float(good.double().mean()) if len(good) else 0.0,
            "counts": [int(c) for c in counts]}
