"""Probes for adversarial games with several optimisers (GANs, pix2pix, CycleGAN): they run where the model lives.

- :func:`audit_optimizer_steps`: fit a LightningModule for a few steps and record, at every optimiser step, which
  parameters it changed and which held a gradient, and every optimiser's learning rate at each epoch's start.
- :func:`term_gradients`: which parameters one named term of a loss dictionary sends gradients into.
- :func:`value_and_gradients`: a function's scalar value and its gradients with respect to its tensor inputs.
- :func:`fit_translation_domains`: fit a model on the offline digit domains of
  :mod:`gradelib.data.paired_domains` (paired or unpaired), seeded.
- :func:`fit_on_tensors`: fit a model on in-memory tensors (shuffled with a seed, whole batches only).
- :func:`train_discriminator_1d`: train the grader's small 1-D discriminator with a student's loss function
  against known densities (the optimal-discriminator experiment).

Each returns data only; a student's exception inside a fit comes back as ``{"error": "Type: first line"}`` so that
the trusted test can say what it most likely means (a ``NotImplementedError`` of a stub is raised, so that the test
says "not implemented yet").
"""

from __future__ import annotations

import torch
from torch import Tensor

from gradelib.sandbox.expr import evaluate
from gradelib.sandbox.probes import _named, quiet_lightning, quiet_trainer
from gradelib.sandbox.remote import probe

__all__ = ["audit_optimizer_steps", "term_gradients", "value_and_gradients", "fit_translation_domains",
           "fit_on_tensors", "train_discriminator_1d", "ONE_DIM_PROBLEM"]


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
                all_grads = {name: None if value.grad is None else float(value.grad.detach().norm())
                             for name, value in named.items()}
                grads = {name: norm for name, norm in all_grads.items() if id(named[name]) in own and norm is not None}
                result = _original(*args, **kwargs)
                changed = sorted(name for name, value in named.items() if not torch.equal(value.detach(), before[name]))
                self.steps.append({"optimizer": _index, "changed": changed, "grads": grads, "all_grads": all_grads})
                return result

            optimizer.step = step

    def record_lrs(self, trainer) -> None:
        self.lrs.append([float(optimizer.param_groups[0]["lr"]) for optimizer in trainer.optimizers])


@probe
def audit_optimizer_steps(model, tensors: list[Tensor], *, batch_size: int, max_steps: int, device) -> dict:
    """Fit ``model`` on ``tensors`` (the columns of a dataset, e.g. [a, b]; batches in order) and audit every step.

    Returns:
        {"steps": [{"optimizer": index in configure_optimizers, "changed": [parameter names the step changed],
                    "grads": {name: gradient norm when it was called, for that optimiser's parameters holding one},
                    "all_grads": {name: gradient norm or None, for every parameter of the model}}
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
    except NotImplementedError:
        raise  # a stub: the test says "not implemented yet"
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
def value_and_gradients(fn, inputs: list[Tensor], *args, **kwargs) -> dict:
    """``fn(*inputs, *args, **kwargs)`` (a scalar, e.g. a loss) and its gradients with respect to each input.

    Inputs:
        fn: the function, where it lives (a student's loss, say).
        inputs: floating tensors, made leaves that require gradients; ``args`` and ``kwargs`` are passed as they are.

    Returns:
        {"value": the output (detached), "grads": [gradient or None per input], "differentiable": whether the output
         was a scalar tensor that autograd can differentiate}.
    """
    leaves = [value.detach().clone().requires_grad_(True) for value in inputs]
    output = fn(*leaves, *args, **kwargs)
    report = {"value": output.detach().clone() if isinstance(output, Tensor) else output,
              "grads": [None] * len(leaves), "differentiable": False}
    if isinstance(output, Tensor) and output.requires_grad and output.numel() == 1:
        grads = torch.autograd.grad(output.sum(), leaves, allow_unused=True)
        report["grads"] = [None if g is None else g.detach().clone() for g in grads]
        report["differentiable"] = True
    return report


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


@probe
def fit_on_tensors(model, tensors: list[Tensor], *, batch_size: int, max_steps: int, device, seed: int) -> dict:
    """Fit ``model`` for ``max_steps`` optimiser steps on the columns ``tensors`` of a dataset (e.g. [images, labels]),
    in batches of ``batch_size`` shuffled with ``seed`` (an incomplete last batch is dropped: batch norm needs two
    samples), then move it to ``device`` in eval mode. The caller seeds the generators first (:func:`reseed`).

    Returns:
        {"error": None or "Type: message" of an exception raised during the fit}.
    """
    from torch.utils.data import BatchSampler, DataLoader, RandomSampler, TensorDataset

    # whole batches indexed at once (a TensorDataset takes a list of indices): no per-sample Python overhead
    order = RandomSampler(range(len(tensors[0])), generator=torch.Generator().manual_seed(seed))
    loader = DataLoader(TensorDataset(*tensors), batch_size=None,
                        sampler=BatchSampler(order, batch_size=batch_size, drop_last=True))
    try:
        with quiet_lightning():
            quiet_trainer(device, max_steps).fit(model, train_dataloaders=loader)
    except NotImplementedError:
        raise
    except Exception as exc:  # noqa: BLE001 - the student's error is data for the trusted test
        return {"error": _first_line(exc)}
    model.to(device)
    model.eval()
    return {"error": None}


#: The 1-D problem of :func:`train_discriminator_1d`: p_data = 0.5 N(-1, 0.6^2) + 0.5 N(1.5, 0.5^2) and a fixed
#: p_g = N(0.3, 1.4^2) (the trusted test evaluates D* = p_data / (p_data + p_g) from these).
ONE_DIM_PROBLEM = {"data": ((-1.0, 0.6), (1.5, 0.5)), "g": (0.3, 1.4)}


def _one_dim_samples(n: int, generator: torch.Generator) -> tuple[Tensor, Tensor]:
    (m1, s1), (m2, s2) = ONE_DIM_PROBLEM["data"]
    first = torch.rand(n, generator=generator) < 0.5
    real = torch.where(first, m1 + s1 * torch.randn(n, generator=generator),
                       m2 + s2 * torch.randn(n, generator=generator))
    mg, sg = ONE_DIM_PROBLEM["g"]
    return real.view(n, 1), (mg + sg * torch.randn(n, 1, generator=generator))


@probe
def train_discriminator_1d(loss, *, grid: Tensor, steps: int, batch_size: int, learning_rate: float, seed: int) -> dict:
    """Train a small MLP discriminator on 1-D points with ``loss(real_logits, fake_logits)`` (a student's
    discriminator loss) on fresh samples of :data:`ONE_DIM_PROBLEM` at every step, with Adam and a learning rate
    decaying linearly to 0; return its probabilities sigma(logit) on ``grid``.

    Inputs:
        loss: the loss function (where it lives); it gets two (batch_size,) logit tensors.
        grid: (G,) points where D is reported.

    Returns:
        {"d": (G,) D(x) = sigmoid of the logits, or None, "error": None or "Type: message"}.
    """
    torch.manual_seed(seed)
    generator = torch.Generator().manual_seed(seed)
    net = torch.nn.Sequential(torch.nn.Linear(1, 32), torch.nn.LeakyReLU(0.2), torch.nn.Linear(32, 32),
                              torch.nn.LeakyReLU(0.2), torch.nn.Linear(32, 1))
    optimizer = torch.optim.Adam(net.parameters(), lr=learning_rate)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: 1 - step / steps)  # linear decay to 0
    try:
        for _ in range(steps):
            real, fake = _one_dim_samples(batch_size, generator)
            value = loss(net(real).squeeze(1), net(fake).squeeze(1))
            optimizer.zero_grad()
            value.backward()
            optimizer.step()
            schedule.step()
    except NotImplementedError:
        raise
    except Exception as exc:  # noqa: BLE001
        return {"d": None, "error": _first_line(exc)}
    with torch.no_grad():
        return {"d": torch.sigmoid(net(grid.view(-1, 1).float()).squeeze(1)), "error": None}
