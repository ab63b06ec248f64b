"""Figures of gan's feedback pictures that are not image grids (drawn in the trusted process from data only)."""

from __future__ import annotations

import torch


def ring_figure(samples: torch.Tensor, coverage: dict, title: str):
    """The student's ring samples over the ring's data and modes, with the high-quality discs marked.

    Inputs:
        samples: (N, 2) points the student's generator drew (non-finite rows are left out).
        coverage: gradelib.metrics.modes.mode_coverage of those samples ({"modes", "high_quality", "counts"}).
        title: drawn above the plot.

    Returns:
        A matplotlib Figure (no pyplot state), about 4.5 x 4.8 inches.
    """
    from matplotlib.figure import Figure
    from matplotlib.patches import Circle

    from gradelib.data.ring import RING_STD, ring_centres, sample_ring
    from gradelib.metrics.modes import HIGH_QUALITY_STDS

    samples = samples.detach().double().cpu()
    samples = samples[torch.isfinite(samples).all(dim=1)]
    data, _ = sample_ring(2500, seed=1)
    centres = ring_centres()
    figure = Figure(figsize=(4.5, 4.8), dpi=100)
    ax = figure.add_subplot()
    ax.scatter(data[:, 0], data[:, 1], s=1, c="0.8", label="data")
    ax.scatter(samples[:, 0], samples[:, 1], s=1, alpha=0.5, c="tab:blue", label="your samples")
    for (x, y), count in zip(centres.tolist(), coverage["counts"], strict=True):
        ax.add_patch(Circle((x, y), HIGH_QUALITY_STDS * RING_STD, fill=False, lw=1,
                            color="tab:green" if count else "tab:red"))
    ax.set(xlim=(-3, 3), ylim=(-3, 3), xticks=[], yticks=[], aspect="equal")
    ax.set_title(f"{title}\n{coverage['modes']} of 8 modes captured, {100 * coverage['high_quality']:.1f}% high quality",
                 fontsize=9)
    ax.legend(loc="center", fontsize=8, markerscale=6, frameon=False)
    return figure
