"""Probes: public measurements that run where the student's objects live and return data only.

A hidden test calls a probe like any function. Given a :class:`~gradelib.sandbox.remote.RemoteObject`
(or an expression holding one), the probe runs inside that submission process, by name, and sends
back plain data; the test, in the trusted process, judges it. Given local objects (the reference,
or a student's own kernel running public checks) it simply runs here.

    shapes = parameter_shapes(model)                       # {"weight": [64, 64], ...}
    load_tensors(model, named_tensors(reference_model))    # the reference's weights, by name
    history = fit_recording(model, images, batch_size=64, max_steps=30, device=device, log_keys=["train/nll_nats"])

The checks in :mod:`gradelib.checks` that need autograd or a dispatch mode are probes too
(``dependency_matrix``, ``count_work``, ``gradcheck_report``, ``run_on_meta``).
"""

from __future__ import annotations

import contextlib
import copy
import logging
import warnings

import torch
from torch import Tensor, nn

from gradelib.sandbox.expr import evaluate
from gradelib.sandbox.remote import probe

__all__ = [
    "named_tensors", "parameter_shapes", "load_tensors", "evaluate_on", "clone", "to_device", "weighted_sum",
    "jacobian_rows",
    "quiet_lightning", "quiet_trainer", "fit_recording", "run_stage", "fit_datamodule",
]


# ------------------------------------------------------------------------------------------------
# State of a module
# ------------------------------------------------------------------------------------------------
def public_name(name: str) -> str:
    """A parameter's name as the module's code spells it: ``conv.parametrizations.weight.original`` (a tensor
    registered through ``torch.nn.utils.parametrize``) is ``conv.weight``."""
    parts = name.split(".")
    if len(parts) >= 3 and parts[-3] == "parametrizations" and parts[-1] == "original":
        return ".".join(parts[:-3] + [parts[-2]])
    return name


def _named(pairs) -> dict[str, Tensor]:
    return {public_name(name): value for name, value in pairs}


@probe
def named_tensors(module: nn.Module) -> dict[str, Tensor]:
    """The module's parameters and buffers by name (detached copies): {name: tensor}.

    A parametrised tensor is named as the code names it and given as its unconstrained original.
    """
    tensors = {name: value.detach().clone() for name, value in _named(module.named_buffers()).items()}
    tensors.update({name: value.detach().clone() for name, value in _named(module.named_parameters()).items()})
    return tensors


@probe
def parameter_shapes(module: nn.Module) -> dict[str, list[int]]:
    """{parameter name: shape} of the module's parameters (buffers excluded; parametrised ones by their own name)."""
    return {name: list(value.shape) for name, value in _named(module.named_parameters()).items()}


@probe
def load_tensors(module: nn.Module, tensors: dict[str, Tensor]) -> list[str]:
    """Copy ``tensors`` into the module's parameters and buffers of the same name and shape (no autograd).

    A parametrised tensor (``torch.nn.utils.parametrize``) receives the value as its original, so that a mask
    written as a parametrisation behaves as ``weight * mask`` does.

    Returns:
        The names copied, sorted (a name with another shape, or unknown to the module, is skipped).
    """
    targets = _named(module.named_buffers())
    targets.update(_named(module.named_parameters()))
    copied = []
    with torch.no_grad():
        for name, value in tensors.items():
            target = targets.get(name)
            if target is not None and tuple(target.shape) == tuple(value.shape):
                target.copy_(value.to(target.device, target.dtype))
                copied.append(name)
    return sorted(copied)


@probe
def evaluate_on(module, expression, inputs: dict | None = None):
    """The value of ``expression`` with MODEL bound to ``module`` and its variables to ``inputs`` (no autograd)."""
    with torch.no_grad():
        return evaluate(expression, {"model": module, **(inputs or {})})


@probe
def clone(value):
    """A deep copy of an object (a module, say), living beside the original."""
    return copy.deepcopy(value)


def to_device(value: Tensor, device) -> Tensor:
    """``value`` on ``device``: for expressions that build inputs on the device a probe gives them."""
    return value.to(device)


def weighted_sum(value: Tensor, weights: Tensor) -> Tensor:
    """``(value * weights).sum()``: a scalar whose gradient weighs every output entry (for gradchecks)."""
    return (value * weights.to(value.device, value.dtype)).sum()


@probe
def jacobian_rows(fn, x: Tensor, indices: list[tuple[int, ...]]) -> Tensor:
    """Gradients of chosen output entries with respect to the input.

    Inputs:
        fn: a callable or expression mapping ``x`` to an output tensor.
        x: the input, any shape (float).
        indices: output entries, each a tuple indexing ``fn(x)``.

    Returns:
        (len(indices), *x.shape) float tensor on the CPU: row k is d fn(x)[indices[k]] / d x (zeros
        where the output does not depend on the input at all).
    """
    x = x.detach().clone().requires_grad_(True)
    out = fn(x)
    rows = []
    for index in indices:
        value = out[tuple(index)]
        if not (isinstance(value, Tensor) and value.requires_grad):
            rows.append(torch.zeros_like(x, device="cpu"))
            continue
        (grad,) = torch.autograd.grad(value, x, retain_graph=True, allow_unused=True)
        rows.append(torch.zeros_like(x, device="cpu") if grad is None else grad.detach().cpu())
    return torch.stack(rows).float() if rows else torch.zeros(0, *x.shape)


# ------------------------------------------------------------------------------------------------
# Lightning
# ------------------------------------------------------------------------------------------------
@contextlib.contextmanager
def quiet_lightning():
    """Silence Lightning's informational logging and warnings (CPU-only hints, few workers)."""
    loggers = [logging.getLogger(name) for name in ("lightning.pytorch", "lightning.fabric", "lightning")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        for logger, level in zip(loggers, levels, strict=False):
            logger.setLevel(level)


def quiet_trainer(device, max_steps: int, *, callbacks=(), validate: bool = False):
    """A quiet Lightning ``Trainer`` on ``device`` for ``max_steps`` optimiser steps (no logger, no checkpoints)."""
    import lightning as L

    device = torch.device(device)
    return L.Trainer(
        accelerator=device.type, devices=1, max_steps=max_steps, max_epochs=-1, logger=False,
        enable_checkpointing=False, enable_progress_bar=False, enable_model_summary=False,
        limit_val_batches=None if validate else 0, num_sanity_val_steps=0, callbacks=list(callbacks),
    )


def _scalar(value) -> float | None:
    if isinstance(value, Tensor) and value.numel() == 1:
        return float(value.detach().float().cpu())
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    return None


class StepRecorder:
    """A Lightning callback recording, at every training step, a measurement before the step, what the step
    logged under ``log_keys`` and what it returned as its loss."""

    def __init__(self, log_keys, before_step) -> None:
        import lightning as L

        self.callback = type("_Recorder", (L.Callback,), {
            "on_train_batch_start": lambda _, trainer, module, batch, index: self._start(trainer, module, batch),
            "on_train_batch_end": lambda _, trainer, module, outputs, batch, index: self._end(trainer, outputs),
        })()
        self.log_keys = list(log_keys)
        self.before_step = before_step
        self.before: list[float | None] = []
        self.batch_sizes: list[int] = []
        self.epochs: list[int] = []
        self.logged: dict[str, list[float | None]] = {key: [] for key in self.log_keys}
        self.returned: list[float | None] = []
        self.keys: list[str] = []

    def _start(self, trainer, module, batch) -> None:
        images = batch[0] if isinstance(batch, (tuple, list)) else batch
        self.batch_sizes.append(int(images.shape[0]))
        self.epochs.append(int(trainer.current_epoch))
        if self.before_step is None:
            return
        with torch.no_grad():
            self.before.append(_scalar(evaluate(self.before_step, {"model": module, "x": images})))

    def _end(self, trainer, outputs) -> None:
        metrics = trainer.callback_metrics
        for key in self.log_keys:
            self.logged[key].append(_scalar(metrics[key]) if key in metrics else None)
        loss = outputs["loss"] if isinstance(outputs, dict) and "loss" in outputs else outputs
        self.returned.append(_scalar(loss))
        self.keys = sorted(str(key) for key in metrics)


@probe
def fit_recording(model, images: Tensor, labels: Tensor | None = None, *, batch_size: int, max_steps: int,
                  device, log_keys=(), before_step=None, shuffle_seed: int = 0) -> dict:
    """Fit ``model`` with a Lightning Trainer on (images, labels) and record every step.

    Inputs:
        model: a LightningModule (its own ``training_step`` and ``configure_optimizers``).
        images: (N, ...) training inputs; labels: (N,) or None.
        batch_size, max_steps: the run; batches are shuffled with ``shuffle_seed``.
        device: where to train.
        log_keys: logged metrics to record at every step (None where not logged at that step).
        before_step: an expression evaluated before every step with MODEL bound to the module and X to the
            batch's inputs, e.g. the grader's NLL of the batch under the current weights.

    Returns:
        {"before": [float|None per step], "logged": {key: [float|None per step]}, "returned": [loss per step],
         "batch_sizes": [int per step], "epochs": [epoch of each step], "keys": [every metric key seen],
         "final": {key: float} of the metrics logged at the end}.
    """
    from torch.utils.data import DataLoader, TensorDataset

    tensors = (images,) if labels is None else (images, labels)
    loader = DataLoader(TensorDataset(*tensors), batch_size=batch_size, shuffle=True,
                        generator=torch.Generator().manual_seed(shuffle_seed))
    recorder = StepRecorder(log_keys, before_step)
    with quiet_lightning():
        trainer = quiet_trainer(device, max_steps, callbacks=[recorder.callback])
        trainer.fit(model, train_dataloaders=loader)
    final = {str(key): _scalar(value) for key, value in trainer.callback_metrics.items()}
    return {"before": recorder.before, "logged": recorder.logged, "returned": recorder.returned,
            "batch_sizes": recorder.batch_sizes, "epochs": recorder.epochs, "keys": recorder.keys,
            "final": {key: value for key, value in final.items() if value is not None}}


@probe
def run_stage(model, stage: str, images: Tensor, labels: Tensor | None = None, *, batch_size: int, device) -> dict:
    """Run ``trainer.validate`` (stage "val") or ``trainer.test`` (stage "test"); return the logged {key: float}."""
    from torch.utils.data import DataLoader, TensorDataset

    tensors = (images,) if labels is None else (images, labels)
    loader = DataLoader(TensorDataset(*tensors), batch_size=batch_size)
    with quiet_lightning():
        trainer = quiet_trainer(device, 1, validate=True)
        run = trainer.validate if stage == "val" else trainer.test
        (results,) = run(model, dataloaders=loader, verbose=False)
    model.cpu()
    return {str(key): value for key, value in ((k, _scalar(v)) for k, v in results.items()) if value is not None}


@probe
def fit_datamodule(model, datamodule: str, datamodule_kwargs: dict, *, max_steps: int, device, seed: int) -> None:
    """Fit ``model`` for ``max_steps`` on the training split of a gradelib DataModule (by class name) whose batch
    order is seeded by ``seed``. The caller seeds the random generators (:func:`reseed`) before building the model."""
    import gradelib.data

    data = getattr(gradelib.data, datamodule)(seed=seed, **datamodule_kwargs)
    data.setup("fit")
    with quiet_lightning():
        quiet_trainer(device, max_steps).fit(model, train_dataloaders=data.train_dataloader())
    model.to(device)


# ------------------------------------------------------------------------------------------------
# Structure, calls that may change their inputs, training steps
# ------------------------------------------------------------------------------------------------
@probe
def module_structure(module: nn.Module) -> dict:
    """{"parameters": {name: shape}, "buffers": {name: shape}, "state_dict": [keys], "training": bool}."""
    return {
        "parameters": {name: list(value.shape) for name, value in _named(module.named_parameters()).items()},
        "buffers": {name: list(value.shape) for name, value in _named(module.named_buffers()).items()},
        "state_dict": [str(key) for key in module.state_dict()],
        "training": bool(module.training),
    }


@probe
def call_watching_inputs(target, name: str, *args, **kwargs) -> dict:
    """Call ``target.name(*args, **kwargs)`` and say which tensor arguments it changed in place.

    Returns:
        {"output": the result, "changed": [positions of positional tensor arguments whose values changed]}.
    """
    before = [arg.detach().clone() if isinstance(arg, Tensor) else None for arg in args]
    output = getattr(target, name)(*args, **kwargs)
    changed = [i for i, (arg, old) in enumerate(zip(args, before, strict=False))
               if old is not None and not (arg.shape == old.shape and torch.equal(arg.detach(), old))]
    return {"output": output, "changed": changed}


@probe
def square_loss_steps(module: nn.Module, inputs: list[Tensor], *, lr: float = 0.0) -> dict:
    """Backward of ``module(x).square().sum()`` for each x in ``inputs`` (an SGD step of ``lr`` after each if lr > 0).

    Returns:
        {"before": {name: parameter}, "after": {name: parameter}, "grads": {name: gradient of the first input
        (None where no gradient reached it)}, "unchanged_by_forward": whether the first forward left every
        parameter as it was}.
    """
    parameters = _named(module.named_parameters())
    before = {name: value.detach().clone() for name, value in parameters.items()}
    grads: dict = {}
    unchanged = True
    for step, x in enumerate(inputs):
        module.zero_grad()
        loss = module(x).square().sum()
        if step == 0:
            unchanged = all(torch.equal(value.detach(), before[name]) for name, value in parameters.items())
        loss.backward()
        if step == 0:
            grads = {name: None if value.grad is None else value.grad.detach().clone()
                     for name, value in parameters.items()}
        if lr > 0:
            with torch.no_grad():
                for value in module.parameters():
                    if value.grad is not None:
                        value -= lr * value.grad
    after = {name: value.detach().clone() for name, value in parameters.items()}
    return {"before": before, "after": after, "grads": grads, "unchanged_by_forward": unchanged}


@probe
def reseed(anchor, seed: int) -> None:
    """Seed Python, NumPy and torch where ``anchor`` lives (pass the submission module to seed its process)."""
    from gradelib.seeding import seed_everything

    seed_everything(seed)
