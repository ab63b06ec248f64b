"""Binarise grey-level images once, with a fixed seed, and split datasets with a fixed seed.

Both use numpy's ``default_rng`` (PCG64), so the result is the same on every machine, with or
without a GPU (torch's Bernoulli sampling differs between CPU and GPU).
"""

from __future__ import annotations

import numpy as np

__all__ = ["binarize_once", "split_indices"]

#: Rows per chunk when drawing uniforms; the draws are identical to one call over all rows.
_CHUNK_ROWS = 10_000


def binarize_once(images: np.ndarray, seed: int, chunk_rows: int = _CHUNK_ROWS) -> np.ndarray:
    """Stochastically binarise grey-level images: pixel = 1 with probability its grey level.

    ``u = default_rng(seed).random(images.shape)`` (float64, drawn in C order) and the result
    is ``(u < images)``. Drawing is chunked over the first axis to bound memory; chunking does
    not change the values.

    Inputs:
        images: (N, ...) float array, grey levels in [0, 1].
        seed: seed of ``numpy.random.default_rng``.
        chunk_rows: rows drawn at once (memory only).

    Returns:
        (N, ...) float32 array with values in {0, 1}.
    """
    if images.size and (images.min() < 0.0 or images.max() > 1.0):
        raise ValueError(
            f"binarize_once expects grey levels in [0, 1], got range "
            f"[{images.min():.3f}, {images.max():.3f}]"
        )
    rng = np.random.default_rng(seed)
    out = np.empty(images.shape, dtype=np.float32)
    for start in range(0, images.shape[0], chunk_rows):
        block = images[start : start + chunk_rows]
        u = rng.random(block.shape)  # float64 uniforms in [0, 1)
        out[start : start + chunk_rows] = u < block
    return out


def split_indices(num_items: int, sizes: tuple[int, ...], seed: int) -> list[np.ndarray]:
    """Cut a fixed random permutation of ``range(num_items)`` into consecutive parts.

    Inputs:
        num_items: number of items N.
        sizes: size of each part; must sum to N.
        seed: seed of ``numpy.random.default_rng`` for the permutation.

    Returns:
        one int64 index array per part, disjoint, in permuted order (not sorted).
    """
    if sum(sizes) != num_items:
        raise ValueError(f"split sizes {sizes} sum to {sum(sizes)}, expected {num_items}")
    perm = np.random.default_rng(seed).permutation(num_items).astype(np.int64)
    bounds = np.cumsum((0,) + tuple(sizes))
    return [perm[bounds[i] : bounds[i + 1]] for i in range(len(sizes))]
