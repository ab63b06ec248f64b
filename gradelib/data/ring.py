"""A ring of Gaussians in the plane: 2-D data whose modes are known, for studying mode collapse.

``modes`` Gaussians of standard deviation ``std`` (the same in every direction) whose means are evenly spaced on a
circle of radius ``radius``; each point picks a mode uniformly. The usual test bed of mode collapse (Metz et al.
2017, unrolled GANs; Srivastava et al. 2017, VEEGAN; Lin et al. 2018, PacGAN), here with a wider standard deviation
(0.1 on a radius of 2) so that a short run on a laptop CPU can fit the modes::

    points = sample_ring(10_000, seed=0)            # (10000, 2)
    centres = ring_centres()                        # (8, 2)

How well samples cover the modes is measured by :func:`gradelib.metrics.modes.mode_coverage`.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

__all__ = ["RING_MODES", "RING_RADIUS", "RING_STD", "ring_centres", "sample_ring"]

#: The ring the course uses: 8 modes on a circle of radius 2, each a Gaussian of standard deviation 0.1.
RING_MODES = 8
RING_RADIUS = 2.0
RING_STD = 0.1


def ring_centres(modes: int = RING_MODES, radius: float = RING_RADIUS) -> Tensor:
    """The means of the ring's Gaussians, mode k at angle 2 pi k / modes.

    Returns:
        (modes, 2) float32 tensor of points on the circle of ``radius``.
    """
    angles = 2 * math.pi * torch.arange(modes, dtype=torch.float64) / modes  # (modes,)
    return torch.stack([radius * angles.cos(), radius * angles.sin()], dim=1).float()  # (modes, 2)


def sample_ring(num_points: int, *, seed: int = 0, modes: int = RING_MODES, radius: float = RING_RADIUS,
                std: float = RING_STD) -> tuple[Tensor, Tensor]:
    """Points drawn from the ring, with the mode each came from.

    Inputs:
        num_points: how many points.
        seed: seed of a private generator (the global random state is left alone).

    Returns:
        points: (num_points, 2) float32; modes_of_points: (num_points,) int64 in 0 .. modes - 1.
    """
    generator = torch.Generator().manual_seed(seed)
    which = torch.randint(modes, (num_points,), generator=generator)  # (N,)
    noise = torch.randn(num_points, 2, generator=generator)  # (N, 2)
    return ring_centres(modes, radius)[which] + std * noise, which
