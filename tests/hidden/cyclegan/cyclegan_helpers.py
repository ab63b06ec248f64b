"""Helpers of cyclegan's hidden suite: models of the student and of the reference with the same weights."""

from __future__ import annotations

import torch

from gradelib.checks import CheckFailure
from gradelib.sandbox.probes import load_tensors, named_tensors

SMALL = {"features": 4, "num_blocks": 1}


def domains(n: int = 4, seed: int = 0, size: int = 16) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Random stand-ins for a batch of A, a batch of B and its partner: (n, 3, size, size) each in [-1, 1]."""
    g = torch.Generator().manual_seed(seed)
    return tuple(torch.rand(n, 3, size, size, generator=g) * 2 - 1 for _ in range(3))


def twin(submission, reference, cls: str, **kwargs):
    """(student model, reference model) of class ``cls`` with the reference's random weights copied by name."""
    torch.manual_seed(0)
    ref = getattr(reference, cls)(**{**SMALL, **kwargs})
    model = getattr(submission, cls)(**{**SMALL, **kwargs})
    tensors = named_tensors(ref)
    copied = load_tensors(model, tensors)
    missing = sorted(set(tensors) - set(copied))
    if missing:
        raise CheckFailure.build(f"{cls}'s networks", expected=f"the given networks ({', '.join(sorted({n.split('.')[0] for n in tensors}))})",
                                 found=f"the grader could not set {missing[:4]}",
                                 cause=("pix2pix's discriminator judges the pair: PatchDiscriminator(a_channels + "
                                        "b_channels, ...) on torch.cat([a, b], dim=1)." if any(m.startswith("D.") for m in missing)
                                        else "keep the networks' names and sizes as given."))
    model.eval()
    ref.eval()
    return model, ref


def scalar(value, what: str) -> float:
    value = torch.as_tensor(value)
    if value.numel() != 1:
        raise CheckFailure(f"{what} should be a scalar; it has shape {tuple(value.shape)}.")
    return float(value)


def close(found: float, expected: float, rel: float = 1e-4) -> bool:
    return abs(found - expected) <= rel * max(1.0, abs(expected))
