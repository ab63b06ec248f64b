"""Probes for adversarial games with several optimisers (GANs, pix2pix, CycleGAN): they run where the model lives.

- :func:`audit_optimizer_steps`: fit a LightningModule for a few steps and record, at every optimiser step, which
  parameters it changed and which held a gradient, and every optimiser's learning rate at each epoch's start.
- :func:`term_gradients`: which parameters one named term of a loss dictionary sends gradients into.
- :func:`fit_translation_domains`: fit a model on the offline digit domains of
  :mod:`gradelib.data.paired_domains` (paired or unpaired), seeded.

Each returns data only; a student's exception inside a fit comes back as ``{"error": "Type: first line"}`` so that
the trusted test can say what it most likely means.
"""

from __future__ import annotations

import torch
from torch import Tensor

from gradelib.sandbox.expr import evaluate
from gradelib.sandbox.probes import _named, quiet_lightning, quiet_trainer
from gradelib.sandbox.remote import probe

__all__ = ["audit_optimizer_steps", "term_gradients", "fit_translation_domains"]


def _first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0][:300] if text else ''}"


class _StepAudit:
    """Wraps every optimiser of a fit: before and after each ``step``, which named parameters changed / held grads."""

    def __init__(self, module) -> None:
        self.module = module
        self.steps: list[dict] = []
        self.lrs: list[list[float]] = []

    def install(self, trainer) -> None:
        self.optimizers = list(trainer.optimizers)
        for index, optimizer in enumerate(trainer.optimizers):
            original = optimizer.step

            def step(*args, _original=original, _index=index, **kwargs):
                named = _named(self.module.named_parameters())
                before = {name: value.detach().clone() for name, value in named.items()}
                own = {id(p) for group in self.optimizers[_index].param_groups for p in group["params"]}
                grads = {name: float(value.grad.detach().norm()) for name, value in named.items()
                         if id(value) in own and value.grad is not None}
                result = _original(*args, **kwargs)
                changed = sorted(name for name, value in named.items() if not torch.equal(value.detach(), before[name]))
                self.steps.append({"optimizer": _index, "changed": changed, "grads": grads})
                return result

            optimizer.step = step

    def record_lrs(self, trainer) -> None:
        self.lrs.append([float(optimizer.param_groups[0]["lr"]) for optimizer in trainer.optimizers])


@probe
def audit_optimizer_steps(model, tensors: list[Tensor], *, batch_size: int, max_steps: int, device) -> dict:
    """Fit ``model`` on ``tensors`` (the columns of a dataset, e.g. [a, b]; batches in order) and audit every step.

    Returns:
        {"steps": [{"optimizer": index in configure_optimizers, "changed": [parameter names the step changed],
                    "grads": {name: gradient norm when it was called, for that optimiser's parameters holding one}}
                   per optimiser step],
         "lrs": [[lr of each optimiser] at the start of each epoch], "parameters": [every parameter name],
         "error": None, or "Type: message" of an exception raised during the fit}.
    """
    import lightning as L
    from torch.utils.data import DataLoader, TensorDataset

    audit = _StepAudit(model)
    callback = type("_Audit", (L.Callback,), {
        "on_train_start": lambda _, trainer, module: audit.install(trainer),
        "on_train_epoch_start": lambda _, trainer, module: audit.record_lrs(trainer),
    })()
    loader = DataLoader(TensorDataset(*tensors), batch_size=batch_size, shuffle=False)
    error = None
    try:
        with quiet_lightning():
            quiet_trainer(device, max_steps, callbacks=[callback]).fit(model, train_dataloaders=loader)
    except Exception as exc:  # noqa: BLE001 - the student's error is data for the trusted test
        error = _first_line(exc)
    return {"steps": audit.steps, "lrs": audit.lrs, "error": error,
            "parameters": sorted(_named(model.named_parameters()))}


@probe
def term_gradients(model, expression, term: str, inputs: dict | None = None) -> dict:
    """Backpropagate one term of a loss dictionary and report which parameters it reaches.

    Inputs:
        model: the module whose parameters are inspected (bound to MODEL in ``expression``).
        expression: evaluates to a dict of tensors (e.g. ``method(MODEL, "generator_loss", X, Y)``).
        term: the key of the scalar to backpropagate.

    Returns:
        {"norms": {parameter name: gradient norm (0.0 where no gradient arrived)}, "keys": [keys of the dict],
         "error": None or a message}.
    """
    model.zero_grad(set_to_none=True)
    terms = evaluate(expression, {"model": model, **(inputs or {})})
    if not isinstance(terms, dict) or term not in terms:
        keys = sorted(map(str, terms)) if isinstance(terms, dict) else []
        return {"norms": {}, "keys": keys, "error": f"no term {term!r} in what was returned (keys {keys})"}
    value = terms[term]
    norms: dict[str, float] = {}
    if isinstance(value, Tensor) and value.requires_grad:
        value.backward()
    for name, parameter in _named(model.named_parameters()).items():
        norms[name] = 0.0 if parameter.grad is None else float(parameter.grad.detach().norm())
    model.zero_grad(set_to_none=True)
    return {"norms": norms, "keys": sorted(map(str, terms)), "error": None}


@probe
def fit_translation_domains(model, *, paired: bool, image_size: int, batch_size: int, max_steps: int, device,
                            seed: int) -> dict:
    """Fit ``model`` for ``max_steps`` optimiser steps on the offline digit domains (paired for pix2pix, unpaired
    for CycleGAN), with the train loader's order seeded by ``seed``. The caller seeds the generators first.

    Returns:
        {"error": None or "Type: message" of an exception raised during the fit}.
    """
    from gradelib.data.paired_domains import PairedDigitDomainsDataModule

    data = PairedDigitDomainsDataModule(paired=paired, image_size=image_size, batch_size=batch_size, seed=seed)
    data.setup("fit")
    try:
        with quiet_lightning():
            quiet_trainer(device, max_steps).fit(model, train_dataloaders=data.train_dataloader())
    except Exception as exc:  # noqa: BLE001
        return {"error": _first_line(exc)}
    model.to(device)
    model.eval()
    return {"error": None}
