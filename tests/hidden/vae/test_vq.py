"""Hidden tests of Part 5: the VQ-VAE layer: nearest codes, the straight-through gradient, the two losses."""

import pytest
import torch

from gradelib.checks import CheckFailure, assert_close
from gradelib.sandbox.gradients import backward_report
from gradelib.sandbox.probes import load_tensors


def _quantizer(module, seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    codebook = torch.randn(6, 3, generator=g)
    layer = module.VectorQuantizer(num_codes=6, code_dim=3)
    if load_tensors(layer, {"codebook.weight": codebook}) != ["codebook.weight"]:
        raise CheckFailure("VectorQuantizer should keep the given codebook, an nn.Embedding(num_codes, code_dim).")
    z_e = 1.2 * torch.randn(4, 5, 3, generator=g)  # (B, N, d)
    return layer, codebook, z_e


def _nearest(z_e, codebook):
    return torch.cdist(z_e.reshape(-1, 3).double(), codebook.double()).argmin(dim=1).view(z_e.shape[:-1])


@pytest.mark.points(2)
def test_outputs_are_nearest_codes(submission):
    """Is every output the nearest codebook vector (formula (9)), with its index?"""
    layer, codebook, z_e = _quantizer(submission)
    z_st, indices, _, _ = layer(z_e)
    want = _nearest(z_e, codebook)
    if torch.as_tensor(indices).shape != want.shape or not torch.equal(torch.as_tensor(indices).long(), want):
        raise CheckFailure.build("The indices of 20 vectors quantised with a codebook of 6", expected="each vector's nearest code",
                                 found=f"{torch.as_tensor(indices).flatten()[:6].tolist()} for the first, expected {want.flatten()[:6].tolist()}",
                                 cause="Take the argmin over the codes of the squared distances (dim of the codes).")
    assert_close(z_st, codebook[want], what="The output of VectorQuantizer (each must be a codebook vector)", atol=1e-5,
                 hint="Return z_e + (z_q - z_e).detach(): its value is z_q.")


@pytest.mark.points(2)
def test_straight_through_gradient(submission):
    """Is the gradient with respect to z_e the gradient at the quantised value (straight-through), leaving the codebook alone?"""
    layer, _, z_e = _quantizer(submission, seed=1)
    w = torch.randn(4, 5, 3)
    report = backward_report(layer, [z_e], cotangent=w, select=0, module=layer)
    grad = report["input_grads"][0]
    if not report["differentiable"] or grad is None:
        raise CheckFailure("No gradient reaches the encoder's output z_e through VectorQuantizer: the argmin cuts it. "
                           "Return z_e + (z_q - z_e).detach() (straight-through).")
    assert_close(grad, w, what="d <w, output> / d z_e", atol=1e-5,
                 hint="The straight-through estimator copies the gradient: d output / d z_e is the identity.")
    code_grad = report["parameter_grads"].get("codebook.weight")
    if code_grad is not None and code_grad.abs().max() > 1e-6:
        raise CheckFailure("The decoder's gradient reaches the codebook through the straight-through output; the codebook "
                           "should learn only from the codebook loss. Detach (z_q - z_e) as a whole.")


@pytest.mark.points(2)
def test_losses_match_reference(submission, reference):
    """Do the codebook and commitment losses have the values of formula (10) (means of squared distances)?"""
    layer, codebook, z_e = _quantizer(submission, seed=2)
    ref = reference.VectorQuantizer(num_codes=6, code_dim=3)
    with torch.no_grad():
        ref.codebook.weight.copy_(codebook)
        _, _, want_cb, want_cm = ref(z_e)
    _, _, found_cb, found_cm = layer(z_e)
    hint = "mean over all entries of the squared difference between z_e and its code, F.mse_loss."
    assert_close(torch.as_tensor(found_cb).reshape(()), want_cb, what="The codebook loss", rtol=1e-4, atol=1e-5, hint=hint)
    assert_close(torch.as_tensor(found_cm).reshape(()), want_cm, what="The commitment loss", rtol=1e-4, atol=1e-5, hint=hint)


@pytest.mark.points(2)
def test_stop_gradients_on_the_right_side(submission):
    """Does the commitment loss move only the encoder's output and the codebook loss only the codebook?"""
    layer, codebook, z_e = _quantizer(submission, seed=3)
    q = codebook[_nearest(z_e, codebook)]
    commit = backward_report(layer, [z_e], select=3, module=layer)
    grad = commit["input_grads"][0]
    want = 2 * (z_e - q) / z_e.numel()
    code_grad = commit["parameter_grads"].get("codebook.weight")
    wrong_side = ("The commitment loss has its stop-gradient on the wrong side: it must be ||z_e - sg(z_q)||^2 (z_q.detach()), "
                  "so that it pulls the encoder towards its code and never moves the codebook.")
    if grad is None or (code_grad is not None and code_grad.abs().max() > 1e-6):
        raise CheckFailure(wrong_side)
    assert_close(grad, want, what="The gradient of the commitment loss with respect to z_e", rtol=1e-3, atol=1e-6, hint=wrong_side)
    book = backward_report(layer, [z_e], select=2, module=layer)
    grad, code_grad = book["input_grads"][0], book["parameter_grads"].get("codebook.weight")
    if code_grad is None or code_grad.abs().max() == 0 or (grad is not None and grad.abs().max() > 1e-6):
        raise CheckFailure("The codebook loss must be ||sg(z_e) - z_q||^2 (z_e.detach()): it moves the codebook towards the "
                           "encoder's outputs and never the encoder.")
