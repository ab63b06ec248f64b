"""Hidden tests of Part 2: the Gram matrix and the content, style and total-variation losses, on random tensors."""

import pytest
import torch
from style_helpers import close, scalar

from gradelib.checks import CheckFailure
from gradelib.sandbox.expr import Var, call
from gradelib.sandbox.probes_style import expression_gradcheck


def _features(shape=(3, 5, 4, 6), seed: int = 0) -> torch.Tensor:
    """Non-negative random activations (ReLU outputs), (B, C, H, W)."""
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed)).relu()


def _gradcheck(expression, inputs: dict, what: str, cause: str) -> None:
    report = expression_gradcheck(expression, inputs)
    if not report["differentiable"]:
        raise CheckFailure(f"{what} is not differentiable with respect to its input: style transfer needs its gradient. "
                           "Did it leave the autograd graph (.detach(), .item(), torch.no_grad, NumPy)?")
    if not report["ok"]:
        raise CheckFailure(f"The gradient of {what} disagrees with finite differences (float64 gradcheck). {cause}")
    if report["constant"]:
        raise CheckFailure(f"{what} does not depend on its input (every gradient is zero).")


@pytest.mark.points(3)
def test_gram_matches_reference(submission, reference):
    """Is gram_matrix F F^T / (C H W) per image, (B, C, C), matching the reference on random feature maps?"""
    features = _features()
    found = torch.as_tensor(submission.gram_matrix(features))
    expected = reference.gram_matrix(features)
    B, C, H, W = features.shape
    if found.shape != expected.shape:
        if found.shape == (B, H * W, H * W):
            cause = ("this is the spatial Gram matrix (positions x positions): the features are transposed. Style "
                     "correlates channels: flatten to (B, C, H*W) and compute F @ F^T, shape (B, C, C).")
        else:
            cause = "reshape to (B, C, H*W) and multiply by its transpose over the positions: (B, C, C)."
        raise CheckFailure.build(f"gram_matrix of features {tuple(features.shape)}", expected=f"shape {(B, C, C)}",
                                 found=f"shape {tuple(found.shape)}", cause=cause)
    if torch.allclose(found, expected, rtol=1e-4, atol=1e-7):
        return
    wrong_scales = (
        (C * H * W, "not normalised: divide F F^T by C * H * W, the number of activations (formula (2))."),
        (H * W, "normalised by the number of channels only: divide by C * H * W."),
        (C, "normalised by the number of positions only: divide by C * H * W."),
        (C * H * W / C**2, "normalised by C^2: divide by C * H * W."),
    )
    for factor, cause in wrong_scales:
        if torch.allclose(found, expected * factor, rtol=1e-4, atol=1e-7):
            raise CheckFailure.build(f"gram_matrix of features {tuple(features.shape)}", expected="F F^T / (C H W)",
                                     found=f"values {factor:g} times the expected ones", cause=cause)
    raise CheckFailure.build(f"gram_matrix of features {tuple(features.shape)}", expected="F F^T / (C H W) per image",
                             found="other values", cause="G[b] = F[b] @ F[b].T / (C * H * W) with F[b] of shape (C, H*W).")


@pytest.mark.points(3)
def test_gram_properties(submission):
    """Are the Gram matrices symmetric, positive semi-definite, computed image by image, and unchanged by a shuffle of the positions?"""
    features = _features((2, 6, 5, 5), seed=1)
    gram = torch.as_tensor(submission.gram_matrix(features)).double()
    if gram.shape != (2, 6, 6):
        raise CheckFailure(f"gram_matrix of (2, 6, 5, 5) features should have shape (2, 6, 6); it has {tuple(gram.shape)}.")
    doubled = torch.as_tensor(submission.gram_matrix(2 * features)).double()
    if not torch.allclose(doubled, 4 * gram, rtol=1e-4, atol=1e-9) or not bool(gram.abs().max() > 0):
        raise CheckFailure("gram_matrix(2 F) should be 4 gram_matrix(F) (a product of the features with themselves), and "
                           "not zero: it does not compute F F^T yet.")
    if not torch.allclose(gram, gram.transpose(1, 2), rtol=1e-5, atol=1e-9):
        raise CheckFailure("The Gram matrices are not symmetric: G[i, j] must equal G[j, i] (F F^T, the same F twice).")
    smallest = float(torch.linalg.eigvalsh(gram).min())
    if smallest < -1e-5 * float(gram.abs().max()):
        raise CheckFailure(f"A Gram matrix has a negative eigenvalue ({smallest:.3g}): F F^T is positive semi-definite.")
    single = torch.as_tensor(submission.gram_matrix(features[1:])).double()
    if not torch.allclose(single[0], gram[1], rtol=1e-4, atol=1e-9):
        raise CheckFailure.build("the Gram matrix of image 1 computed in a batch of 2 and alone",
                                 expected="the same matrix", found="different matrices",
                                 cause="each image has its own Gram matrix: multiply within each image (batched "
                                       "matmul), never across the batch.")
    permutation = torch.randperm(25, generator=torch.Generator().manual_seed(2))
    shuffled = features.reshape(2, 6, 25)[:, :, permutation].reshape(2, 6, 5, 5)
    after = torch.as_tensor(submission.gram_matrix(shuffled)).double()
    if not torch.allclose(after, gram, rtol=1e-4, atol=1e-9):
        raise CheckFailure.build("the Gram matrices of feature maps whose positions are shuffled (the same way for "
                                 "every channel)", expected="unchanged: a sum over positions forgets where",
                                 found="changed", cause="sum over the positions only: F (C, H*W) times F^T (H*W, C).")


@pytest.mark.points(3)
def test_content_loss(submission, reference):
    """Is content_loss the mean squared difference (formula (1)), with a target broadcast over the batch, correct gradients, and sensitive to positions?"""
    features, target = _features(seed=3), _features(seed=4)
    for t in (target, target[:1]):
        f = scalar(submission.content_loss(features, t), "content_loss")
        e = float(reference.content_loss(features, t))
        if close(f, e):
            continue
        total = float((features - t).pow(2).sum())
        if close(f, total) or close(f, 0.5 * total):
            cause = "it sums the squared differences; formula (1) takes their mean (divide by the number of entries)."
        elif close(f, e ** 0.5):
            cause = "it takes a square root: formula (1) is the mean of the squares, not a norm."
        else:
            cause = "((features - target) ** 2).mean()."
        raise CheckFailure.build(f"content_loss on features {tuple(features.shape)}, target {tuple(t.shape)}",
                                 expected=f"{e:.6f}", found=f"{f:.6f}", cause=cause)
    permutation = torch.randperm(24, generator=torch.Generator().manual_seed(5))
    shuffled = features.reshape(3, 5, 24)[:, :, permutation].reshape(features.shape)
    if not scalar(submission.content_loss(shuffled, features), "content_loss") > 0:
        raise CheckFailure("content_loss(shuffled features, features) is zero: the content loss compares the two maps "
                           "position by position, so shuffling the positions must change it.")
    _gradcheck(call(submission.content_loss, Var("f"), Var("t")), {"f": _features((1, 2, 3, 3), 6), "t": _features((1, 2, 3, 3), 7)},
               "content_loss", "compute it with tensor operations on the inputs.")


@pytest.mark.points(2)
def test_style_layer_weights(submission):
    """Are the style weights proportional to the relative weights given (equal by default) and do they sum to one?"""
    layers = ["relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1"]
    for relative, expected in ((None, [0.2] * 5), ([1, 2, 3, 4, 0], [0.1, 0.2, 0.3, 0.4, 0.0]),
                               ([0.5, 0.5, 0.5, 0.5, 0.5], [0.2] * 5)):
        found = submission.style_layer_weights(layers, relative)
        if not isinstance(found, dict) or sorted(found) != sorted(layers):
            raise CheckFailure(f"style_layer_weights should return {{layer: weight}} for the 5 layers; it returned {found!r:.120}.")
        values = [float(found[layer]) for layer in layers]
        if abs(sum(values) - 1) > 1e-6:
            raise CheckFailure.build(f"the sum of style_layer_weights(5 layers, {relative})", expected="1",
                                     found=f"{sum(values):.4f}",
                                     cause="the lambda_l of formula (3) sum to one: divide the relative weights by their "
                                           "sum (1/5 each by default), so that beta alone sets the weight of style.")
        if any(abs(v - e) > 1e-6 for v, e in zip(values, expected, strict=True)):
            raise CheckFailure.build(f"style_layer_weights(5 layers, {relative})", expected=f"{expected}",
                                     found=f"{[round(v, 4) for v in values]}",
                                     cause="each weight is its relative weight divided by the sum of them all.")


@pytest.mark.points(3)
def test_style_loss(submission, reference):
    """Is style_loss the weighted sum over layers of the mean squared difference of Gram matrices (formula (3)), with correct gradients?"""
    features = {"a": _features((2, 4, 3, 5), 8), "b": _features((2, 6, 2, 2), 9), "c": _features((2, 3, 2, 2), 10)}
    targets = {"a": reference.gram_matrix(_features((1, 4, 6, 6), 11)), "b": reference.gram_matrix(_features((1, 6, 3, 3), 12))}
    weights = {"a": 0.25, "b": 0.75}  # "c" is not a style layer
    f = scalar(submission.style_loss(features, targets, weights), "style_loss")
    e = float(reference.style_loss(features, targets, weights))
    if not close(f, e):
        per_layer = {k: float((reference.gram_matrix(features[k]) - targets[k]).pow(2).mean()) for k in weights}
        if close(f, sum(per_layer.values())):
            cause = "the layers are not weighted: multiply each layer's term by its weight lambda_l."
        elif close(f, sum(w * float((reference.gram_matrix(features[k]) - targets[k]).pow(2).sum()) for k, w in weights.items())):
            cause = "it sums the squared differences of each layer; formula (3) takes their mean (divide by C_l^2 and B)."
        else:
            cause = "sum over the weights' layers of weights[l] * ((gram_matrix(features[l]) - target_grams[l]) ** 2).mean()."
        raise CheckFailure.build("style_loss on two layers with weights 0.25 and 0.75", expected=f"{e:.6g}",
                                 found=f"{f:.6g}", cause=cause)
    expression = call(submission.style_loss, {"a": Var("a"), "b": Var("b")}, targets, weights)
    _gradcheck(expression, {"a": _features((2, 4, 3, 5), 13), "b": _features((2, 6, 2, 2), 14)},
               "style_loss", "compute the Gram matrices and the mean with tensor operations.")


@pytest.mark.points(3)
def test_total_variation_loss(submission, reference):
    """Is total_variation_loss the mean squared difference of vertical neighbours plus that of horizontal ones (formula (4)), with correct gradients?"""
    x = torch.rand(2, 3, 5, 7, generator=torch.Generator().manual_seed(15))
    f = scalar(submission.total_variation_loss(x), "total_variation_loss")
    e = float(reference.total_variation_loss(x))
    if not close(f, e):
        vertical = float((x[:, :, 1:] - x[:, :, :-1]).pow(2).mean())
        horizontal = float((x[..., 1:] - x[..., :-1]).pow(2).mean())
        if close(f, vertical) or close(f, horizontal):
            cause = ("only one direction is penalised: add the differences between vertical neighbours (along H) and "
                     "between horizontal ones (along W).")
        elif close(f, float((x[:, :, 1:] - x[:, :, :-1]).abs().mean() + (x[..., 1:] - x[..., :-1]).abs().mean())):
            cause = "it uses absolute differences; formula (4) squares them."
        else:
            cause = ("(images[:, :, 1:, :] - images[:, :, :-1, :]).pow(2).mean() + "
                     "(images[:, :, :, 1:] - images[:, :, :, :-1]).pow(2).mean().")
        raise CheckFailure.build("total_variation_loss of random (2, 3, 5, 7) images", expected=f"{e:.6f}",
                                 found=f"{f:.6f}", cause=cause)
    _gradcheck(call(submission.total_variation_loss, Var("x")), {"x": torch.rand(1, 2, 4, 5)},
               "total_variation_loss", "compute it with tensor operations on the images.")
