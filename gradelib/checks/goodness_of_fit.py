"""Do samples follow a distribution over finitely many outcomes? A pooled chi-square test.

For tiny binary images (D pixels, 2^D outcomes) the probability of every outcome is known
exactly from ``log_prob``; the counts of N samples are compared with N times those
probabilities. Outcomes with small expected counts are pooled so that every bin expects at least
``min_expected`` samples (the chi-square approximation then holds). A correct sampler fails
with probability ``alpha`` (the false-alarm rate), e.g. 1e-3::

    assert_samples_match(outcome_index(samples), torch.exp(log_probs), alpha=1e-3,
                         what="samples of a 2x3 FVSBN", image_shape=(2, 3))
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from scipy import stats
from torch import Tensor

from gradelib.checks.failures import CheckFailure
from gradelib.checks.normalisation import outcome_name

__all__ = ["ChiSquareResult", "pooled_chi_square", "assert_samples_match"]


@dataclass(frozen=True)
class ChiSquareResult:
    """Outcome of a pooled chi-square test.

    Attributes:
        statistic: sum over bins of (observed - expected)^2 / expected.
        dof: degrees of freedom, bins - 1.
        p_value: probability of a statistic at least this large under the distribution.
        num_bins: bins after pooling.
    """

    statistic: float
    dof: int
    p_value: float
    num_bins: int


def pooled_chi_square(counts: Tensor, probs: Tensor, *, min_expected: float = 5.0) -> ChiSquareResult:
    """Pearson's chi-square test of counts against probabilities, pooling sparse outcomes.

    Outcomes whose expected count is below ``min_expected`` go into one pooled bin; if that bin
    still expects fewer than ``min_expected`` samples, the smallest remaining bins join it.

    Inputs:
        counts: (K,) observed counts of the K outcomes (sum N).
        probs: (K,) probabilities of the outcomes (normalised here; must sum to about one).

    Returns:
        A :class:`ChiSquareResult`; with a single bin after pooling, p_value is 1.
    """
    counts = counts.to(torch.float64).cpu()
    probs = probs.to(torch.float64).cpu().clamp_min(0.0)
    probs = probs / probs.sum()
    N = counts.sum().item()
    expected = probs * N  # (K,)
    order = torch.argsort(expected)  # ascending
    exp_sorted, obs_sorted = expected[order], counts[order]
    # Pool every bin that expects fewer than min_expected samples; if the pool itself still
    # expects too few, the next smallest bins join it.
    cut, pooled_expected = 0, 0.0
    while cut < len(exp_sorted) and exp_sorted[cut].item() < min_expected:
        pooled_expected += exp_sorted[cut].item()
        cut += 1
    while 0 < cut < len(exp_sorted) and pooled_expected < min_expected:
        pooled_expected += exp_sorted[cut].item()
        cut += 1
    bins_expected = list(exp_sorted[cut:].tolist())
    bins_observed = list(obs_sorted[cut:].tolist())
    if cut > 0:
        bins_expected.append(pooled_expected)
        bins_observed.append(obs_sorted[:cut].sum().item())
    if len(bins_expected) < 2:
        return ChiSquareResult(0.0, 0, 1.0, len(bins_expected))
    e = torch.tensor(bins_expected, dtype=torch.float64)
    o = torch.tensor(bins_observed, dtype=torch.float64)
    statistic = (((o - e) ** 2) / e).sum().item()
    dof = len(bins_expected) - 1
    return ChiSquareResult(statistic, dof, float(stats.chi2.sf(statistic, dof)), len(bins_expected))


def assert_samples_match(
    outcomes: Tensor,
    probs: Tensor,
    *,
    what: str,
    alpha: float = 1e-3,
    hint: str | None = None,
    image_shape: tuple[int, int] | None = None,
    names: list[str] | None = None,
    min_expected: float = 5.0,
    max_listed: int = 3,
) -> ChiSquareResult:
    """Check that sampled outcomes follow ``probs`` (pooled chi-square test at level ``alpha``).

    Inputs:
        outcomes: (N,) int64 indices of the sampled outcomes in [0, K).
        probs: (K,) probabilities of the K outcomes.
        what: names the samples, e.g. "4,000 samples of a 2x3 FVSBN".
        alpha: false-alarm rate: a correct sampler fails with this probability.
        image_shape: when outcomes are binary images, names them as rows of bits in the message.
        names: names of the K outcomes for the message (instead of ``image_shape``).

    Raises:
        CheckFailure: p-value below alpha; lists the outcomes with the largest discrepancies.
    """
    K = probs.numel()
    outcomes = outcomes.detach().to("cpu", torch.int64).flatten()
    if outcomes.numel() and (outcomes.min() < 0 or outcomes.max() >= K):
        raise CheckFailure.build(f"{what}: some samples are not valid outcomes", expected=f"indices in [0, {K})")
    counts = torch.bincount(outcomes, minlength=K).to(torch.float64)  # (K,)
    result = pooled_chi_square(counts, probs, min_expected=min_expected)
    if result.p_value >= alpha:
        return result
    N = outcomes.numel()
    p = probs.to(torch.float64).cpu()
    p = p / p.sum()
    freq = counts / max(N, 1)
    worst = torch.argsort((freq - p).abs(), descending=True)[:max_listed]

    def label(k: int) -> str:
        if names is not None:
            return names[k]
        if image_shape is not None:
            return f"image {outcome_name(k, image_shape)}"
        return f"outcome {k}"

    listed = "; ".join(f"{label(int(k))}: expected {100 * p[k]:.1f}%, found {100 * freq[k]:.1f}%" for k in worst)
    raise CheckFailure.build(
        f"{what} do not follow the model's own probabilities: chi-square {result.statistic:.1f} with "
        f"{result.dof} degrees of freedom, p-value {result.p_value:.2g} < {alpha:g} (a correct sampler fails "
        f"this test with probability {alpha:g}). Largest differences: {listed}.",
        cause=hint,
    )
