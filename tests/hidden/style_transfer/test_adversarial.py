"""Hidden tests of Part 4: FGSM and PGD against the course's frozen digit classifier, and the adversarial training
step, on the reference's weights."""

import pytest
import torch
import torch.nn.functional as F
from style_helpers import close, scalar

from gradelib.checks import CheckFailure
from gradelib.data import load_mnist_grey
from gradelib.metrics import load_digit_classifier
from gradelib.sandbox.probes import load_tensors, named_tensors
from gradelib.sandbox.probes_style import build_digit_classifier


def _digits(n: int = 32):
    digits, labels = load_mnist_grey("test")
    return digits[:n], labels[:n]


def _budget(found: torch.Tensor, x: torch.Tensor, epsilon: float, what: str, cause: str) -> None:
    if found.shape != x.shape:
        raise CheckFailure(f"{what} should return images of the input's shape {tuple(x.shape)}; it returned "
                           f"{tuple(found.shape)}.")
    if not bool(torch.isfinite(found).all()) or found.min() < 0 or found.max() > 1:
        raise CheckFailure.build(f"the pixels of {what}", expected="in [0, 1]",
                                 found=f"from {float(found.min()):.3f} to {float(found.max()):.3f}",
                                 cause="clip the adversarial images to [0, 1] (.clamp(0, 1)): they are images.")
    moved = float((found - x).abs().max())
    if moved > epsilon + 1e-5:
        raise CheckFailure.build(f"the largest change of a pixel by {what}", expected=f"at most epsilon = {epsilon}",
                                 found=f"{moved:.4f}", cause=cause)


@pytest.mark.points(3)
def test_fgsm_step(submission, reference):
    """Does fgsm take one step of epsilon along the sign of the loss's gradient (up the loss), within the budget, on the frozen digit classifier?"""
    x, y = _digits()
    epsilon = 0.1
    found = torch.as_tensor(submission.fgsm(build_digit_classifier(submission), x, y, epsilon)).float()
    _budget(found, x, epsilon, "fgsm(classifier, digits, labels, 0.1)",
            "one step of exactly epsilon per pixel: x + epsilon * sign(gradient), then clipped to [0, 1].")
    classifier = load_digit_classifier()
    expected = reference.fgsm(classifier, x, y, epsilon)
    free = ((x + epsilon).clamp(0, 1) != (x - epsilon).clamp(0, 1))  # pixels where the direction shows
    agree = float(((found - expected).abs() < 1e-4)[free].float().mean())
    against = float(((found - (x - (expected - x)).clamp(0, 1)).abs() < 1e-4)[free].float().mean())
    with torch.no_grad():
        clean, attacked = float(F.cross_entropy(classifier(x), y)), float(F.cross_entropy(classifier(found), y))
    if agree >= 0.99 and attacked > clean:
        return
    if against >= 0.99 or attacked < clean:
        cause = ("the step goes down the loss (x - epsilon * sign(gradient)): that makes the classifier more sure of the "
                 "true label. An attack goes up: x + epsilon * sign(gradient).")
    else:
        cause = ("x + epsilon * grad.sign() with grad the gradient of the mean cross-entropy of the classifier's logits "
                 "and the true labels with respect to the images, then .clamp(0, 1).")
    raise CheckFailure.build("fgsm on 32 test digits, epsilon 0.1",
                             expected="every pixel moved by epsilon along the sign of the gradient, the loss higher",
                             found=f"{100 * agree:.0f}% of the pixels as expected, cross-entropy {clean:.3g} -> {attacked:.3g}",
                             cause=cause)


@pytest.mark.points(3)
def test_pgd_steps_and_projection(submission, reference):
    """Does pgd repeat signed steps from the digits themselves and project after each onto the epsilon-ball and [0, 1]?"""
    x, y = _digits()
    epsilon, step, steps = 0.1, 0.04, 4
    found = torch.as_tensor(submission.pgd(build_digit_classifier(submission), x, y, epsilon, step, steps)).float()
    _budget(found, x, epsilon, "pgd(classifier, digits, labels, epsilon=0.1, step_size=0.04, steps=4)",
            "project after every step: torch.min(torch.max(adversarial, x - epsilon), x + epsilon), so that no pixel "
            "ever moves by more than epsilon from the original (4 steps of 0.04 would otherwise reach 0.16).")
    expected = reference.pgd(load_digit_classifier(), x, y, epsilon, step, steps)
    agree = float(((found - expected).abs() < 1e-4).float().mean())
    if agree < 0.99:
        one_step = reference.fgsm(load_digit_classifier(), x, y, step)
        cause = ("it stopped after one step: repeat `steps` times, each from the previous adversarial images."
                 if float(((found - one_step).abs() < 1e-4).float().mean()) >= 0.99 else
                 "start from the digits themselves (no random start); each step is fgsm with step_size from the current "
                 "images, followed by the projection onto [x - epsilon, x + epsilon] (and [0, 1]).")
        raise CheckFailure.build("pgd on 32 test digits (epsilon 0.1, 4 steps of 0.04)",
                                 expected="the iterates of formula (7)", found=f"{100 * agree:.1f}% of the pixels agree",
                                 cause=cause)


@pytest.mark.points(3)
def test_adversarial_training_step(submission, reference):
    """On the reference's weights, is AdversarialTraining's loss (1 - w) CE(x) + w CE(FGSM(x)), and plain CE(x) for w = 0?"""
    digits, labels = _digits(16)
    x = F.avg_pool2d(digits, kernel_size=3, stride=3, padding=1)[:, :, :8, :8].clamp(0, 1)  # (16, 1, 8, 8) in [0, 1]
    for weight in (0.5, 0.0):
        torch.manual_seed(0)
        ref = reference.AdversarialTraining(epsilon=0.15, adversarial_weight=weight, hidden=16)
        model = submission.AdversarialTraining(epsilon=0.15, adversarial_weight=weight, hidden=16)
        copied = load_tensors(model, named_tensors(ref))
        if len(copied) != len(named_tensors(ref)):
            raise CheckFailure("AdversarialTraining's network should be the given `net` (Flatten, Linear(64, hidden), "
                               "ReLU, Linear(hidden, 10)); keep it as it is.")
        f = scalar(model.training_step((x, labels), 0), "training_step's loss")
        e = float(ref.training_step((x, labels), 0))
        if close(f, e, rel=1e-4):
            continue
        with torch.no_grad():
            clean = float(F.cross_entropy(ref(x), labels))
        adversarial = float(F.cross_entropy(ref(reference.fgsm(ref, x, labels, 0.15)), labels))
        if weight and close(f, clean, rel=1e-4):
            cause = ("the adversarial examples are not in the loss: add adversarial_weight * CE(FGSM(x)), the examples "
                     "made by fgsm against the model itself.")
        elif weight and close(f, clean + adversarial, rel=1e-4):
            cause = "the two terms are not weighted: (1 - w) * CE(x) + w * CE(x_adv)."
        elif weight and close(f, adversarial, rel=1e-4):
            cause = "only the adversarial term is counted: (1 - w) * CE(x) + w * CE(x_adv)."
        else:
            cause = ("CE(x) when adversarial_weight is 0; otherwise (1 - w) * CE(x) + w * CE(fgsm(self, x, y, epsilon)), "
                     "the mean cross-entropy.")
        raise CheckFailure.build(f"AdversarialTraining(adversarial_weight={weight}).training_step on the reference's "
                                 "weights", expected=f"{e:.5f}", found=f"{f:.5f}", cause=cause)
