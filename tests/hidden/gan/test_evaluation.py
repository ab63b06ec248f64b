"""Hidden tests of Part 6: feature statistics, the Fréchet distance and the Inception Score, on exact cases and
against torch-fidelity on the digit classifier's features (gradelib's "digit-classifier" extractor)."""

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
import torch_fidelity
from gan_helpers import scalar
from torch_fidelity.metric_fid import KEY_METRIC_FID, fid_features_to_statistics, fid_statistics_to_metric
from torch_fidelity.metric_isc import KEY_METRIC_ISC_MEAN

from gradelib.checks import CheckFailure
from gradelib.metrics.fidelity import FEATURE_EXTRACTOR_NAME, DigitClassifierFeatureExtractor, UInt8ImageDataset
from gradelib.metrics.preprocess import to_uint8_rgb

_FEATURES: dict = {}


def _image_sets() -> dict[str, torch.Tensor]:
    """Images in [0, 1] the comparisons use: real test digits, training digits, blurred ones, one digit per class."""
    from gradelib.data import load_mnist_grey

    test, _ = load_mnist_grey("test")
    train, labels = load_mnist_grey("train")
    first_of_each = torch.stack([train[int((labels == c).nonzero()[0])] for c in range(10)])  # (10, 1, 28, 28)
    return {"test": test[:400], "train": train[:400], "blurred": F.avg_pool2d(train[400:800], 3, 1, 1),
            "ten digits": first_of_each.repeat(40, 1, 1, 1)}


def _features() -> dict:
    """{set: (features (N, 128), logits (N, 10), images)} in float64, as torch-fidelity computes them (cached)."""
    if not _FEATURES:
        extractor = DigitClassifierFeatureExtractor(FEATURE_EXTRACTOR_NAME, ["features", "logits"])
        with torch.no_grad():
            for name, images in _image_sets().items():
                _FEATURES[name] = (*extractor(to_uint8_rgb(images)), images)
    return _FEATURES


_METRICS: dict = {}


def _fidelity(name: str) -> dict:
    """torch-fidelity's metrics with the digit classifier: input1 the set ``name`` (its Inception Score, one split),
    input2 the real test digits (the FID between them); cached."""
    if name not in _METRICS:
        sets = _features()
        _METRICS[name] = torch_fidelity.calculate_metrics(
            input1=UInt8ImageDataset(sets[name][2]), input2=UInt8ImageDataset(sets["test"][2]),
            feature_extractor=FEATURE_EXTRACTOR_NAME, fid=True, isc=True, isc_splits=1, cuda=False, verbose=False,
            save_cpu_ram=True, cache=False, batch_size=200)
    return _METRICS[name]


@pytest.mark.points(2)
def test_feature_statistics(submission):
    """Does feature_statistics give the mean and the unbiased covariance (1 / (N - 1), as numpy.cov) of the features?"""
    features = torch.randn(40, 6, dtype=torch.float64, generator=torch.Generator().manual_seed(0)) * torch.arange(1.0, 7.0)
    result = submission.feature_statistics(features)
    if not (isinstance(result, (tuple, list)) and len(result) == 2):
        raise CheckFailure("feature_statistics should return two tensors: (mu, sigma).")
    mu, sigma = (torch.as_tensor(v).double() for v in result)
    want_sigma = torch.from_numpy(np.cov(features.numpy(), rowvar=False))
    if mu.shape != (6,) or not torch.allclose(mu, features.mean(0), atol=1e-9):
        raise CheckFailure.build("the mean of 40 features of dimension 6", expected="shape (6,), the mean over the rows",
                                 found=f"shape {tuple(mu.shape)}" + ("" if mu.shape != (6,) else ", other values"),
                                 cause="features.mean(dim=0).")
    if sigma.shape != (6, 6) or not torch.allclose(sigma, want_sigma, rtol=1e-7, atol=1e-9):
        biased = sigma.shape == (6, 6) and torch.allclose(sigma, want_sigma * 39 / 40, rtol=1e-7)
        raise CheckFailure.build("the covariance of 40 features of dimension 6", expected="numpy.cov(features, rowvar=False)",
                                 found="the biased covariance (1 / N)" if biased else f"shape {tuple(sigma.shape)}, other values",
                                 cause="divide by N - 1 (the unbiased estimate torch-fidelity uses)." if biased else
                                 "centre the features, then centred.T @ centred / (N - 1): (D, D), not (N, N).")


def _fid_cause(found: float, mu1, s1, mu2, s2) -> str:
    mean_term = float((mu1 - mu2).pow(2).sum())
    no_root = mean_term + float(torch.trace(s1 + s2 - 2 * s1 @ s2))
    elementwise = mean_term + float(torch.trace(s1 + s2) - 2 * torch.trace((s1 @ s2).abs().sqrt()))
    trace_root = float(torch.linalg.eigvals(s1 @ s2).sqrt().real.sum())
    once = mean_term + float(torch.trace(s1 + s2)) - trace_root
    if math.isclose(found, no_root, rel_tol=1e-4, abs_tol=1e-6):
        return ("the covariance term is tr(S1 + S2 - 2 S1 S2): it needs the matrix square root, "
                "2 tr((S1^(1/2) S2 S1^(1/2))^(1/2)).")
    if math.isclose(found, elementwise, rel_tol=1e-4, abs_tol=1e-6):
        return "the square root is taken entry by entry: (S1 S2)^(1/2) is a matrix square root (eigh, sqrt of eigenvalues)."
    if math.isclose(found, once, rel_tol=1e-4, abs_tol=1e-6):
        return "the cross term counts once: it is 2 tr((S1^(1/2) S2 S1^(1/2))^(1/2)), twice the trace of the root."
    return "formula (9): |mu1 - mu2|^2 + tr(S1) + tr(S2) - 2 tr((S1^(1/2) S2 S1^(1/2))^(1/2)), in float64."


@pytest.mark.points(3)
def test_frechet_distance_exact_cases(submission):
    """Is frechet_distance formula (9): 0 for equal Gaussians, |dmu|^2 + sum (sd1 - sd2)^2 for diagonal covariances, and torch-fidelity's value for random ones?"""
    generator = torch.Generator().manual_seed(1)
    mu1, mu2 = torch.randn(5, dtype=torch.float64, generator=generator), torch.randn(5, dtype=torch.float64, generator=generator)
    sd1, sd2 = torch.rand(5, dtype=torch.float64, generator=generator) + 0.5, torch.rand(5, dtype=torch.float64, generator=generator) + 0.5
    a, b = (torch.randn(5, 8, dtype=torch.float64, generator=generator) for _ in range(2))
    s1, s2 = a @ a.T / 8, b @ b.T / 8
    cases = [("two equal Gaussians", (mu1, s1, mu1, s1), 0.0),
             ("diagonal covariances", (mu1, torch.diag(sd1**2), mu2, torch.diag(sd2**2)),
              float((mu1 - mu2).pow(2).sum() + (sd1 - sd2).pow(2).sum())),
             ("random covariances", (mu1, s1, mu2, s2),
              fid_statistics_to_metric({"mu": mu1.numpy(), "sigma": s1.numpy()}, {"mu": mu2.numpy(), "sigma": s2.numpy()},
                                       False)[KEY_METRIC_FID])]
    for what, args, expected in cases:
        found = scalar(submission.frechet_distance(*args), f"frechet_distance of {what}", "a scalar: the distance")
        if not (math.isfinite(found) and abs(found - expected) <= 1e-6 + 1e-6 * abs(expected)):
            raise CheckFailure.build(f"frechet_distance of {what} in 5 dimensions (float64)", expected=f"{expected:.6f}",
                                     found=f"{found:.6f}", cause=_fid_cause(found, *args))


@pytest.mark.points(4)
def test_frechet_distance_matches_torch_fidelity(submission):
    """On the digit classifier's features of real test digits against training digits and blurred digits, do feature_statistics and frechet_distance give torch-fidelity's FID?"""
    features = _features()
    real = features["test"][0]
    for name in ("train", "blurred"):
        other = features[name][0]
        expected = _fidelity(name)[KEY_METRIC_FID]
        stats = [fid_features_to_statistics(f) for f in (real, other)]
        from_statistics = scalar(submission.frechet_distance(*(torch.from_numpy(s[key]) for s in stats for key in ("mu", "sigma"))),
                                 "frechet_distance", "a scalar: the distance")
        if not math.isclose(from_statistics, expected, rel_tol=1e-5, abs_tol=1e-4):
            raise CheckFailure.build(f"frechet_distance of the statistics of the digit classifier's features of 400 test "
                                     f"digits and 400 {name} digits (from torch-fidelity's statistics)",
                                     expected=f"torch-fidelity's FID {expected:.4f}", found=f"{from_statistics:.4f}",
                                     cause=_fid_cause(from_statistics, *(torch.from_numpy(s[key]) for s in stats
                                                                          for key in ("mu", "sigma"))))
        mine = [submission.feature_statistics(f) for f in (real, other)]
        pipeline = scalar(submission.frechet_distance(*mine[0], *mine[1]), "frechet_distance", "a scalar: the distance")
        if not math.isclose(pipeline, expected, rel_tol=1e-5, abs_tol=1e-4):
            raise CheckFailure.build(f"frechet_distance(*feature_statistics(test features), *feature_statistics({name} "
                                     "features))", expected=f"torch-fidelity's FID {expected:.4f}", found=f"{pipeline:.4f}",
                                     cause="feature_statistics must give the mean and the unbiased covariance, in float64.")


@pytest.mark.points(3)
def test_inception_score_matches_torch_fidelity(submission):
    """On the digit classifier's logits of real digits and of ten digits repeated, does inception_score give torch-fidelity's Inception Score (one split)?"""
    features = _features()
    for name in ("test", "ten digits", "blurred"):
        logits = features[name][1]
        expected = _fidelity(name)[KEY_METRIC_ISC_MEAN]
        found = scalar(submission.inception_score(logits), "inception_score", "a scalar: exp of the mean KL")
        if math.isclose(found, expected, rel_tol=1e-5, abs_tol=1e-6):
            continue
        probabilities = logits.double().softmax(dim=1)  # (N, C)
        geometric = (probabilities * (probabilities.log() - probabilities.log().mean(dim=0))).sum(dim=1).mean().exp()
        if math.isclose(found, float(geometric), rel_tol=1e-5):
            cause = ("log p(y) is the log of the mean of p(y | x) over the samples, not the mean of log p(y | x): "
                     "p.mean(dim=0).log().")
        elif math.isclose(found, 1.0, abs_tol=1e-6):
            cause = ("a score of exactly 1 means every KL is 0: the marginal p(y) is one distribution, the mean of "
                     "p(y | x) over all N samples (dim=0), not each sample's own p(y | x).")
        elif math.isclose(found, math.log(expected), rel_tol=1e-4):
            cause = "this is the mean KL: the Inception Score is its exponential."
        else:
            cause = "formula (10): exp(mean over samples of sum_y p(y|x) (log p(y|x) - log p(y))), p from softmax of the logits."
        raise CheckFailure.build(f"inception_score of the digit classifier's logits of 400 {name} digits",
                                 expected=f"torch-fidelity's {expected:.4f}", found=f"{found:.4f}", cause=cause)
