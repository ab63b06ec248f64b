"""Probes for style transfer and adversarial examples: they run where the student's objects live, return data.

- :func:`build_vgg19`: a VGG-19 (seeded random weights) built in the process of ``anchor`` (a handle comes back);
  on the meta device when only its structure matters.
- :func:`build_digit_classifier`: the course's frozen digit classifier, in the process of ``anchor``.
- :func:`gradient_flags`: ``{parameter name: requires_grad}``.
- :func:`expression_gradcheck`: a float64 gradcheck of an expression of tensors (a student's plain function).
- :func:`fit_audit`: fit a LightningModule with a quiet Trainer and report what its optimisers held and changed.
- :func:`module_calls`: evaluate an expression and count the forward calls of each submodule of a module.
- :func:`pgd_success`: the grader's own PGD attack against a classifier, and how often it flips the decision.

Each returns data only; a student's exception inside a fit comes back as ``{"error": "Type: first line"}``.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from gradelib.sandbox.expr import evaluate
from gradelib.sandbox.probes import _named, quiet_lightning, quiet_trainer
from gradelib.sandbox.remote import probe

__all__ = ["build_vgg19", "build_digit_classifier", "gradient_flags", "expression_gradcheck", "fit_audit",
           "module_calls", "pgd_success"]


def _first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0][:300] if text else ''}"


@probe
def build_vgg19(anchor, *, weights: str = "random", seed: int = 0, num_modules: int = 30, meta: bool = False,
                weights_file: str | None = None) -> nn.Sequential:
    """VGG-19's first ``num_modules`` modules (:func:`gradelib.metrics.vgg.load_vgg19_features`, never a download),
    built where ``anchor`` lives.

    Inputs:
        anchor: any object of the process that should hold the network (the submission module).
        weights: "random" (seeded with ``seed``) or "imagenet" (read from ``weights_file``, a path both processes
            can read, such as the course's datasets/ folder).
        meta: build on the meta device (no weights: for checks of the structure alone; instant).
    """
    from gradelib.metrics.vgg import _layers, load_vgg19_features

    if meta:
        with torch.device("meta"):
            return nn.Sequential(*_layers(num_modules))
    return load_vgg19_features(weights, seed=seed, num_modules=num_modules, weights_file=weights_file)


@probe
def build_digit_classifier(anchor) -> nn.Module:
    """The course's digit classifier (frozen, eval mode), loaded where ``anchor`` lives."""
    from gradelib.metrics import load_digit_classifier

    return load_digit_classifier()


@probe
def gradient_flags(module: nn.Module) -> dict[str, bool]:
    """{parameter name: requires_grad} of every parameter of the module."""
    return {name: bool(value.requires_grad) for name, value in _named(module.named_parameters()).items()}


@probe
def expression_gradcheck(expression, inputs: dict[str, Tensor]) -> dict:
    """Float64 gradcheck of ``expression`` (an expression whose variables are the keys of ``inputs``).

    Returns:
        {"ok": bool, "differentiable": bool, "constant": bool (every gradient zero), "culprit": input name or None}.
    """
    from gradelib.checks.failures import CheckFailure
    from gradelib.checks.gradients import assert_gradcheck

    names = list(inputs)
    doubled = {name: value.detach().to(torch.float64) for name, value in inputs.items()}
    report = {"ok": True, "differentiable": True, "constant": False, "culprit": None}
    leaves = {name: value.clone().requires_grad_(True) for name, value in doubled.items()}
    out = evaluate(expression, leaves)
    if isinstance(out, Tensor) and out.requires_grad:
        grads = torch.autograd.grad(out.sum(), [leaves[name] for name in names], allow_unused=True)
        report["constant"] = all(g is None or not bool(g.abs().sum() > 0) for g in grads)
    try:
        assert_gradcheck(lambda **values: evaluate(expression, values), doubled, what="the function")
    except CheckFailure as failure:
        text = str(failure)
        report.update(ok=False, differentiable="is not differentiable" not in text,
                      culprit=next((name for name in names if f"respect to {name} " in text), None))
    return report


class _Audit:
    """Wraps a fit's optimisers: what each held, how many closures it evaluated, what each step changed."""

    def __init__(self, module: nn.Module) -> None:
        self.module = module
        self.names = {id(value): name for name, value in _named(module.named_parameters()).items()}
        self.optimizers: list[dict] = []
        self.steps = 0
        self.evaluations = 0

    def install(self, trainer) -> None:
        for optimizer in trainer.optimizers:
            held = [self.names.get(id(p), "(a tensor that is not a parameter of the model)")
                    for group in optimizer.param_groups for p in group["params"]]
            self.optimizers.append({"type": type(optimizer).__name__, "parameters": held})

    def count(self) -> None:
        self.evaluations += 1


@probe
def fit_audit(model, tensors: list[Tensor] | None = None, *, batch_size: int = 1, max_steps: int, device,
              shuffle_seed: int = 0, watch: list[str] | None = None) -> dict:
    """Fit ``model`` for ``max_steps`` optimiser steps with a quiet Trainer and audit it.

    Inputs:
        model: a LightningModule (its own training_step and configure_optimizers).
        tensors: the columns of a training set (batches of ``batch_size``, shuffled with ``shuffle_seed``), or
            None for the model's own ``train_dataloader``.
        watch: names of parameters or buffers whose values are returned before and after the fit (e.g. "image").

    Returns:
        {"error": None or "Type: message", "optimizers": [{"type": class name, "parameters": [names held]}],
         "evaluations": backward passes made (L-BFGS makes several per step), "steps": optimiser steps taken,
         "changed": [parameters whose values changed], "requires_grad": [parameters requiring gradients after the fit],
         "before": {name: tensor}, "after": {name: tensor} (the watched values, on the CPU)}.
    """
    import lightning as L
    from torch.utils.data import DataLoader, TensorDataset

    audit = _Audit(model)
    named = _named(model.named_parameters())
    states = {**_named(model.named_buffers()), **named}
    before_all = {name: value.detach().clone() for name, value in named.items()}
    watched = [name for name in (watch or []) if name in states]
    before = {name: states[name].detach().cpu().clone() for name in watched}
    callback = type("_FitAudit", (L.Callback,), {
        "on_train_start": lambda _, trainer, module: audit.install(trainer),
        "on_before_backward": lambda _, trainer, module, loss: audit.count(),
    })()
    loader = None
    if tensors is not None:
        loader = DataLoader(TensorDataset(*tensors), batch_size=batch_size, shuffle=True,
                            generator=torch.Generator().manual_seed(shuffle_seed))
    error = None
    trainer = None
    try:
        with quiet_lightning():
            trainer = quiet_trainer(device, max_steps, callbacks=[callback])
            trainer.fit(model, train_dataloaders=loader)
    except Exception as exc:  # noqa: BLE001 - the student's error is data for the trusted test
        error = _first_line(exc)
    model.cpu()
    named = _named(model.named_parameters())
    states = {**_named(model.named_buffers()), **named}
    changed = sorted(name for name, value in named.items()
                     if name in before_all and not torch.equal(value.detach(), before_all[name]))
    return {"error": error, "optimizers": audit.optimizers, "evaluations": audit.evaluations,
            "steps": int(trainer.global_step) if trainer is not None else 0, "changed": changed,
            "requires_grad": sorted(name for name, value in named.items() if value.requires_grad),
            "before": before,
            "after": {name: states[name].detach().cpu().clone() for name in watched if name in states}}


@probe
def module_calls(module: nn.Module, expression, inputs: dict | None = None) -> dict:
    """Evaluate ``expression`` (MODEL bound to ``module``) and count the forward calls of each named submodule.

    Returns:
        {"output": the expression's value (tensors detached, on the CPU), "calls": {submodule name: calls} (only
         submodules called at least once; "" is the module itself), "leaves_called": how many distinct submodules
         without children were called, "changed": [parameters the call changed]}.
    """
    counts: dict[str, int] = {}
    handles = []
    for name, submodule in module.named_modules():
        def hook(_module, _inputs, _output, _name=name):
            counts[_name] = counts.get(_name, 0) + 1
        handles.append(submodule.register_forward_hook(hook))
    before = {name: value.detach().clone() for name, value in _named(module.named_parameters()).items()}
    try:
        output = evaluate(expression, {"model": module, **(inputs or {})})
    finally:
        for handle in handles:
            handle.remove()
    after = _named(module.named_parameters())
    changed = sorted(name for name, value in after.items() if not torch.equal(value.detach(), before[name]))
    if isinstance(output, Tensor):
        output = output.detach().cpu()
    leaves = {name for name, submodule in module.named_modules() if not any(True for _ in submodule.children())}
    return {"output": output, "calls": counts, "leaves_called": len(leaves & set(counts)), "changed": changed}


@probe
def pgd_success(classifier: nn.Module, images: Tensor, labels: Tensor, *, epsilon: float, step_size: float,
                steps: int) -> dict:
    """The grader's PGD (formula (7) of the style-transfer notebook) against ``classifier``, where it lives.

    Inputs:
        classifier: maps images (N, ...) in [0, 1] to (N, K) logits; put in eval mode here.
        images: (N, ...) in [0, 1]; labels: (N,) int64.

    Returns:
        {"accuracy": the clean accuracy on all N, "correct": how many were right, "success": the fraction of those
         whose decision the attack flips (0.0 if none was right)}.
    """
    classifier.eval()
    device = next(classifier.parameters()).device
    x, y = images.to(device), labels.to(device)
    with torch.no_grad():
        right = classifier(x).argmax(1) == y
    x, y = x[right], y[right]
    adversarial = x.clone()
    for _ in range(steps):
        adversarial.requires_grad_(True)
        (grad,) = torch.autograd.grad(F.cross_entropy(classifier(adversarial), y), adversarial)
        adversarial = (adversarial.detach() + step_size * grad.sign()).clamp(0, 1)
        adversarial = torch.min(torch.max(adversarial, x - epsilon), x + epsilon)
    with torch.no_grad():
        flipped = (classifier(adversarial).argmax(1) != y).float()
    count = int(right.sum())
    return {"accuracy": float(right.float().mean()), "correct": count,
            "success": float(flipped.mean()) if count else 0.0}
