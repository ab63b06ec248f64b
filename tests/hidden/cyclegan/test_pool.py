"""Hidden tests of Part 2: the image pool (a history of 50 fakes in CycleGAN).

Images are tagged by a constant value, so that the grader can follow each one: a query returns either the new image or
a stored one, and the pool's contents say what was kept. The pool's randomness comes from the generators the grader
seeds for each test (torch's and Python's ``random``: either is accepted).
"""

import math

import pytest
import torch

from gradelib.checks import CheckFailure

#: The statistical test: each query of a full pool returns a stored image with probability 1/2; over N queries the
#: count is Binomial(N, 1/2). A correct pool fails the test with probability at most FALSE_ALARM (two-sided).
N_QUERIES = 400
FALSE_ALARM = 1e-6


def _tags(images) -> list[float]:
    images = torch.as_tensor(images)
    return [float(v) for v in images.reshape(images.shape[0], -1)[:, 0]]


def _pool_tags(pool) -> list[float]:
    stored = pool.images
    return [float(torch.as_tensor(image).reshape(-1)[0]) for image in stored]


def _binomial_bounds(n: int, alpha: float) -> tuple[int, int]:
    """The smallest interval [lo, hi] with P(X < lo) + P(X > hi) <= alpha for X ~ Binomial(n, 1/2) (symmetric)."""
    pmf = [math.comb(n, k) / 2**n for k in range(n + 1)]
    tail, lo = 0.0, 0
    while tail + pmf[lo] <= alpha / 2:
        tail += pmf[lo]
        lo += 1
    return lo, n - lo


def _image(tag: float) -> torch.Tensor:
    return torch.full((1, 2, 2, 2), float(tag))  # (1, C, H, W)


@pytest.mark.points(2)
def test_pool_fills_first(submission):
    """Before the pool is full, does query return what it is given and store it (never more than pool_size)?"""
    pool = submission.ImagePool(5)
    batch = torch.arange(3.0).view(3, 1, 1, 1).expand(3, 2, 2, 2).contiguous()
    out = pool.query(batch)
    if _tags(out) != [0.0, 1.0, 2.0]:
        raise CheckFailure.build("query of 3 images on an empty pool of size 5", expected="the same 3 images, in order",
                                 found=f"images tagged {_tags(out)}", cause="until the pool is full, store each image and return it.")
    if sorted(_pool_tags(pool)) != [0.0, 1.0, 2.0]:
        raise CheckFailure.build("pool.images after storing 3 images in a pool of size 5", expected="the 3 images",
                                 found=f"{_pool_tags(pool)}", cause="append each image to self.images while len(self.images) < pool_size.")
    out = pool.query(torch.arange(3.0, 6.0).view(3, 1, 1, 1).expand(3, 2, 2, 2).contiguous())
    if len(pool.images) != 5 or _tags(out)[:2] != [3.0, 4.0]:
        raise CheckFailure.build("3 more images on a pool holding 3 of 5", expected="the first two stored and returned, "
                                 "the pool then full (5 images)", found=f"returned {_tags(out)}, pool {_pool_tags(pool)}",
                                 cause="fill the pool image by image, not batch by batch; never hold more than pool_size.")


@pytest.mark.points(3)
def test_full_pool_swaps_with_probability_half(submission):
    """Once full, does the pool return a stored image with probability 1/2 (binomial test), storing the new one in its place, never exceeding its size?"""
    size = 4
    pool = submission.ImagePool(size)
    pool.query(torch.cat([_image(t) for t in range(size)]))
    stored_returns = 0
    for q in range(N_QUERIES):
        tag = float(100 + q)
        before = _pool_tags(pool)
        (got,) = _tags(pool.query(_image(tag)))
        after = _pool_tags(pool)
        if len(after) > size:
            raise CheckFailure.build(f"the pool of size {size} after query {q}", expected=f"at most {size} images",
                                     found=f"{len(after)}", cause="once the pool is full, replace a stored image instead of appending.")
        if got == tag:
            if sorted(after) != sorted(before):
                raise CheckFailure.build(f"query {q} returned the new image", expected="the pool unchanged",
                                         found=f"{before} -> {after}", cause="when the new image is returned, the pool keeps what it had.")
            continue
        if got not in before:
            raise CheckFailure.build(f"query {q} of a full pool", expected="the new image or one of the stored images",
                                     found=f"an image tagged {got}", cause="return self.images[k] for a random k, or the new image.")
        stored_returns += 1
        expected_after = list(before)
        expected_after.remove(got)
        expected_after.append(tag)
        if sorted(after) != sorted(expected_after):
            cause = ("the stored image was returned but not replaced: store the new image in its place "
                     "(self.images[k] = image)." if sorted(after) == sorted(before) else
                     "put the new image where the returned one was, and keep the others.")
            raise CheckFailure.build(f"query {q} returned the stored image {got}", expected=f"the pool {sorted(expected_after)}",
                                     found=f"{sorted(after)}", cause=cause)
    lo, hi = _binomial_bounds(N_QUERIES, FALSE_ALARM)
    if not lo <= stored_returns <= hi:
        raise CheckFailure.build(
            f"{N_QUERIES} queries of one image each on a full pool",
            expected=f"a stored image returned about half the time: between {lo} and {hi} times (a correct pool falls "
                     f"outside with probability below {FALSE_ALARM:g})",
            found=f"{stored_returns} times",
            cause="swap with probability 1/2: e.g. torch.rand(()) < 0.5 (or random.random() < 0.5), drawn per image.")


@pytest.mark.points(1)
def test_pool_size_zero_passes_through(submission):
    """Does a pool of size 0 return every batch as it is and store nothing?"""
    pool = submission.ImagePool(0)
    batch = torch.randn(6, 3, 4, 4)
    for _ in range(3):
        out = torch.as_tensor(pool.query(batch))
        if out.shape != batch.shape or not torch.equal(out, batch):
            raise CheckFailure("ImagePool(0).query(images) should return the images unchanged (no pool: the "
                               "discriminator sees the latest fakes). Return the input at once when pool_size is 0.")
    if len(pool.images) != 0:
        raise CheckFailure(f"ImagePool(0) stored {len(pool.images)} images: a pool of size 0 stores nothing.")
