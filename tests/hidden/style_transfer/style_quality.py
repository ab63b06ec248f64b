"""The seeded runs behind the quality tests of style_transfer, and what they measure (a sibling module).

The hidden tests (test_quality.py) and the calibration (quality.py, ``gradelib calibrate style_transfer``) call the
same functions, so each threshold is measured on exactly what is graded:

1. **style transfer**: seed the notebook's process, build its ``StyleTransfer`` from noise (astronaut in the style of
   immunohistochemistry, the default layers) on the budget's VGG-19 and fit it with a quiet Lightning Trainer (its
   own ``training_step`` and ``configure_optimizers``, L-BFGS); the image before and after comes back as data and is
   scored here with the *reference's* loss (formula (5)): the factor by which the total loss fell, and the factor by
   which the style term (the Gram distance to the style image) fell;
2. **PGD**: the notebook's ``pgd`` against the course's frozen digit classifier on correctly classified test digits
   (a seeded choice), within the stated budget; the success rate is measured here with the trusted classifier;
3. **adversarial training**: the notebook's ``AdversarialTraining`` fitted on the 8x8 digits twice with the same seed,
   ``adversarial_weight=0`` (standard) and 0.5 (robust); each attacked with the grader's own PGD
   (gradelib.sandbox.probes_style.pgd_success): the robust model's success rate and clean accuracy;
4. **fast style transfer**: the notebook's ``FastStyleTransfer`` fitted on seeded crops of the photographs; its outputs
   on 16 held-out crops before and after, scored here with the reference's perceptual loss: the factor by which it fell.
"""

from __future__ import annotations

import math
from pathlib import Path

import torch

from gradelib.checks import CheckFailure
from gradelib.data.style_images import content_crops, load_image
from gradelib.sandbox.expr import MODEL, X, method
from gradelib.sandbox.probes import evaluate_on, fit_datamodule, reseed
from gradelib.sandbox.probes_style import build_digit_classifier, build_vgg19, fit_audit, pgd_success

#: The seed of the graded run (one of the calibration seeds).
TEST_SEED = 0
#: The style transfer and fast style transfer settings: the notebook's defaults unless said otherwise.
_LIGHT_FAST = {"content_layer": "relu2_1", "style_layers": ("relu1_1", "relu2_1", "relu3_1")}

CONFIGS: dict[str, dict] = {
    "quick": {
        "weights": "random",
        "transfer": {"size": 32, "content": "astronaut", "style": "immunohistochemistry", "steps": 4,
                     "kwargs": {"init": "noise", "optimizer": "lbfgs", "max_iter": 5, "alpha": 1.0, "beta": 1e4}},
        "pgd": {"digits": 64, "epsilon": 0.2, "step_size": 0.05, "steps": 10},
        "robust": {"steps": 200, "batch_size": 64, "kwargs": {"epsilon": 0.15, "hidden": 128, "learning_rate": 3e-3},
                   "attack": {"epsilon": 0.15, "step_size": 0.0375, "steps": 10}},
        "fast": {"size": 16, "style": "immunohistochemistry", "steps": 30, "batch_size": 4, "train_crops": 256,
                 "test_crops": 16, "kwargs": {**_LIGHT_FAST, "alpha": 1.0, "beta": 1e4, "features": 8,
                                              "learning_rate": 3e-3}},
    },
    "full": {
        "weights": "imagenet if datasets/vgg19/ holds it, else random",
        "transfer": {"size": 128, "content": "astronaut", "style": "immunohistochemistry", "steps": 20,
                     "kwargs": {"init": "noise", "optimizer": "lbfgs", "max_iter": 10, "alpha": 1.0, "beta": 1e4}},
        "pgd": {"digits": 400, "epsilon": 0.2, "step_size": 0.02, "steps": 40},
        "robust": {"steps": 1500, "batch_size": 64, "kwargs": {"epsilon": 0.15, "hidden": 256, "learning_rate": 2e-3},
                   "attack": {"epsilon": 0.15, "step_size": 0.015, "steps": 40}},
        "fast": {"size": 64, "style": "immunohistochemistry", "steps": 1000, "batch_size": 8, "train_crops": 4096,
                 "test_crops": 64, "kwargs": {"alpha": 1.0, "beta": 1e4, "features": 16, "learning_rate": 2e-3}},
    },
}

_CACHE: dict[tuple, dict] = {}
_REFERENCE: dict[str, object] = {}


def reference_module():
    """The solution notebook, loaded once in this (trusted) process: its losses score every run."""
    if "module" not in _REFERENCE:
        from gradelib.course import Course
        from gradelib.loader import load_notebook

        module = load_notebook(Course.find(Path(__file__).resolve().parent).solution("style_transfer"))
        if module.cell_errors:
            raise RuntimeError("the reference solution failed to load: "
                               + "; ".join(error.describe() for error in module.cell_errors))
        _REFERENCE["module"] = module
    return _REFERENCE["module"]


def vgg_settings(budget: str) -> dict:
    """The arguments of build_vgg19 for the budget: seeded random weights, or ImageNet weights from datasets/vgg19/."""
    if CONFIGS[budget]["weights"] == "random":
        return {"weights": "random"}
    from gradelib.data.paths import default_data_root
    from gradelib.metrics.vgg import WEIGHTS_FILE

    path = default_data_root() / "vgg19" / WEIGHTS_FILE
    return {"weights": "imagenet", "weights_file": str(path)} if path.is_file() else {"weights": "random"}


_LOCAL_VGG: dict[tuple, object] = {}


def _local_vgg(budget: str, num_modules: int = 30):
    """The budget's VGG-19 in this (trusted) process, built once (the reference's losses never change its weights)."""
    key = (budget, num_modules)
    if key not in _LOCAL_VGG:
        _LOCAL_VGG[key] = build_vgg19(None, num_modules=num_modules, **vgg_settings(budget)).requires_grad_(False)
    return _LOCAL_VGG[key]


def _cached(key: tuple, compute) -> dict:
    if key not in _CACHE:
        result = compute()
        if not all(math.isfinite(v) for v in result.values() if isinstance(v, float)):
            raise CheckFailure(f"The run gave values that are not finite ({result}): the optimisation diverged.")
        _CACHE[key] = result
    return _CACHE[key]


# --------------------------------------------------------------------------------------------------------------------
# 1. Style transfer
# --------------------------------------------------------------------------------------------------------------------
def describe_transfer(budget: str) -> str:
    config = CONFIGS[budget]["transfer"]
    return (f"Style transfer from noise ({config['content']} in the style of {config['style']}, {config['size']}x"
            f"{config['size']}, L-BFGS with max_iter={config['kwargs']['max_iter']}, {config['steps']} Trainer steps)")


def transfer_run(module, *, budget: str, seed: int, device) -> dict:
    """{"loss_factor": loss before / after, "style_factor": style term before / after} (the reference's loss)."""
    def compute() -> dict:
        config = CONFIGS[budget]["transfer"]
        content, style = load_image(config["content"], config["size"]), load_image(config["style"], config["size"])
        reseed(module, seed)
        model = module.StyleTransfer(build_vgg19(module, **vgg_settings(budget)), content, style, **config["kwargs"])
        report = fit_audit(model, max_steps=config["steps"], device=device, watch=["image"])
        if report["error"] or "image" not in report["after"]:
            raise CheckFailure(f"{describe_transfer(budget)}: the fit failed ({report['error'] or 'no parameter image'}). "
                               "The tests of Part 3 say more.")
        ref = reference_module().StyleTransfer(_local_vgg(budget), content, style, **config["kwargs"])
        terms = []
        for image in (report["before"]["image"], report["after"]["image"]):
            with torch.no_grad():
                ref.image.copy_(image.float())
                terms.append({key: float(value) for key, value in ref.losses().items()})
        return {"loss_factor": terms[0]["loss"] / max(terms[1]["loss"], 1e-30),
                "style_factor": terms[0]["style"] / max(terms[1]["style"], 1e-30),
                "image": report["after"]["image"].float().clamp(0, 1)}
    return _cached(("transfer", id(module), budget, seed, str(device)), compute)


def transfer_loss_factor(module, *, budget: str, seed: int, device) -> float:
    return transfer_run(module, budget=budget, seed=seed, device=device)["loss_factor"]


def transfer_style_factor(module, *, budget: str, seed: int, device) -> float:
    return transfer_run(module, budget=budget, seed=seed, device=device)["style_factor"]


# --------------------------------------------------------------------------------------------------------------------
# 2. PGD against the frozen digit classifier
# --------------------------------------------------------------------------------------------------------------------
def attacked_digits(budget: str, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """A seeded choice of test digits that the classifier reads right: (N, 1, 28, 28) in [0, 1], (N,)."""
    from gradelib.data import load_mnist_grey
    from gradelib.metrics import load_digit_classifier

    digits, labels = load_mnist_grey("test")
    order = torch.randperm(len(labels), generator=torch.Generator().manual_seed(seed))
    digits, labels = digits[order], labels[order]
    with torch.no_grad():
        right = load_digit_classifier()(digits).argmax(1) == labels
    n = CONFIGS[budget]["pgd"]["digits"]
    return digits[right][:n], labels[right][:n]


def describe_pgd(budget: str) -> str:
    config = CONFIGS[budget]["pgd"]
    return (f"PGD against the digit classifier (epsilon {config['epsilon']}, {config['steps']} steps of "
            f"{config['step_size']}) on {config['digits']} test digits it reads right")


def success_rate(adversarial: torch.Tensor, labels: torch.Tensor) -> float:
    """The fraction of adversarial digits the (trusted) classifier no longer reads right."""
    from gradelib.metrics import load_digit_classifier

    with torch.no_grad():
        return float((load_digit_classifier()(adversarial).argmax(1) != labels).float().mean())


def pgd_run(module, *, budget: str, seed: int, device) -> dict:
    def compute() -> dict:
        config = CONFIGS[budget]["pgd"]
        x, y = attacked_digits(budget, seed)
        found = torch.as_tensor(module.pgd(build_digit_classifier(module), x, y, config["epsilon"],
                                           config["step_size"], config["steps"])).float()
        if found.shape != x.shape:
            raise CheckFailure(f"{describe_pgd(budget)}: pgd returned shape {tuple(found.shape)} for digits of shape "
                               f"{tuple(x.shape)}.")
        moved = float((found - x).abs().max())
        if moved > config["epsilon"] + 1e-5 or found.min() < 0 or found.max() > 1:
            raise CheckFailure(f"{describe_pgd(budget)}: the adversarial digits leave the budget (a pixel moved by "
                               f"{moved:.3f}, or left [0, 1]), so the attack does not count. See the tests of Part 4.")
        return {"success": success_rate(found, y), "digits": x[:8], "adversarial": found[:8]}
    return _cached(("pgd", id(module), budget, seed), compute)


def pgd_success_rate(module, *, budget: str, seed: int, device) -> float:
    return pgd_run(module, budget=budget, seed=seed, device=device)["success"]


# --------------------------------------------------------------------------------------------------------------------
# 3. Adversarial training
# --------------------------------------------------------------------------------------------------------------------
def describe_robust(budget: str) -> str:
    config = CONFIGS[budget]["robust"]
    return (f"After {config['steps']} batches of {config['batch_size']} 8x8 digits (AdversarialTraining("
            f"{', '.join(f'{k}={v}' for k, v in config['kwargs'].items())}))")


def digits8x8_test() -> tuple[torch.Tensor, torch.Tensor]:
    from gradelib.data import get_spec, load_split

    return load_split(get_spec("digits8x8"), "test", binarized=False)


def robust_run(module, *, budget: str, seed: int, device) -> dict:
    """Train the standard (weight 0) and the robust (weight 0.5) model with the same seed; attack both with PGD."""
    def compute() -> dict:
        config = CONFIGS[budget]["robust"]
        x, y = digits8x8_test()
        result = {}
        for name, weight in (("standard", 0.0), ("robust", 0.5)):
            reseed(module, seed)
            model = module.AdversarialTraining(adversarial_weight=weight, **config["kwargs"])
            fit_datamodule(model, "DigitsDataModule", {"spec": "digits8x8", "binarized": False,
                                                       "batch_size": config["batch_size"]},
                           max_steps=config["steps"], device=device, seed=seed)
            measured = pgd_success(model, x, y, **config["attack"])
            result[f"{name}_success"] = float(measured["success"])
            result[f"{name}_accuracy"] = float(measured["accuracy"])
        return result
    return _cached(("robust", id(module), budget, seed, str(device)), compute)


def robust_success(module, *, budget: str, seed: int, device) -> float:
    return robust_run(module, budget=budget, seed=seed, device=device)["robust_success"]


def robust_accuracy(module, *, budget: str, seed: int, device) -> float:
    return robust_run(module, budget=budget, seed=seed, device=device)["robust_accuracy"]


# --------------------------------------------------------------------------------------------------------------------
# 4. Fast style transfer
# --------------------------------------------------------------------------------------------------------------------
def describe_fast(budget: str) -> str:
    config = CONFIGS[budget]["fast"]
    return (f"Fast style transfer after {config['steps']} batches of {config['batch_size']} crops "
            f"({config['size']}x{config['size']}, style {config['style']})")


def fast_run(module, *, budget: str, seed: int, device) -> dict:
    """{"loss_factor": the reference's perceptual loss of the outputs on held-out crops, before / after training}."""
    def compute() -> dict:
        config = CONFIGS[budget]["fast"]
        style = load_image(config["style"], config["size"])
        test = content_crops(config["test_crops"], config["size"], seed=10_000)
        reseed(module, seed)
        model = module.FastStyleTransfer(build_vgg19(module, **vgg_settings(budget)), style, **config["kwargs"])
        stylise = method(MODEL, "__call__", X)
        before = torch.as_tensor(evaluate_on(model, stylise, {"x": test})).float()
        report = fit_audit(model, [content_crops(config["train_crops"], config["size"], seed=seed)],
                           batch_size=config["batch_size"], max_steps=config["steps"], device=device, shuffle_seed=seed)
        if report["error"]:
            raise CheckFailure(f"{describe_fast(budget)}: the fit failed ({report['error']}). The tests of Part 5 say more.")
        after = torch.as_tensor(evaluate_on(model, stylise, {"x": test})).float()
        if before.shape != test.shape or after.shape != test.shape:
            raise CheckFailure(f"{describe_fast(budget)}: model(content) should return the stylised batch, shape "
                               f"{tuple(test.shape)}.")
        criterion_kwargs = {k: v for k, v in config["kwargs"].items() if k not in ("features", "learning_rate")}
        criterion = reference_module().PerceptualLoss(_local_vgg(budget), style, **criterion_kwargs)
        with torch.no_grad():
            target = criterion.content_features(test)
            losses = [float(criterion(output, target)["loss"]) for output in (before, after)]
        return {"loss_factor": losses[0] / max(losses[1], 1e-30), "photos": test[:8], "stylised": after[:8]}
    return _cached(("fast", id(module), budget, seed, str(device)), compute)


def fast_loss_factor(module, *, budget: str, seed: int, device) -> float:
    return fast_run(module, budget=budget, seed=seed, device=device)["loss_factor"]


# --------------------------------------------------------------------------------------------------------------------
# What is worth showing a student (for pictures in the feedback)
# --------------------------------------------------------------------------------------------------------------------
def pictures(module, *, budget: str, device, seed: int = TEST_SEED) -> dict[str, torch.Tensor]:
    """The images of the graded runs (re-using their cache), each (N, C, H, W) in [0, 1] on the CPU.

    Returns:
        {"content", "style", "stylised": the style-transfer result; "digits", "adversarial", "perturbation" (the PGD
         change mapped from [-epsilon, epsilon] to [0, 1]); "photos", "fast_stylised": the fast network's outputs on
         held-out crops}. A run that fails is left out.
    """
    shown: dict[str, torch.Tensor] = {}
    config = CONFIGS[budget]
    try:
        transfer = transfer_run(module, budget=budget, seed=seed, device=device)
        shown["content"] = load_image(config["transfer"]["content"], config["transfer"]["size"])
        shown["style"] = load_image(config["transfer"]["style"], config["transfer"]["size"])
        shown["stylised"] = transfer["image"]
    except Exception:  # noqa: BLE001 - the tests report the failure; pictures show what there is
        pass
    try:
        attack = pgd_run(module, budget=budget, seed=seed, device=device)
        epsilon = config["pgd"]["epsilon"]
        shown["digits"], shown["adversarial"] = attack["digits"], attack["adversarial"]
        shown["perturbation"] = ((attack["adversarial"] - attack["digits"]) / (2 * epsilon) + 0.5).clamp(0, 1)
    except Exception:  # noqa: BLE001
        pass
    try:
        fast = fast_run(module, budget=budget, seed=seed, device=device)
        shown["photos"], shown["fast_stylised"] = fast["photos"], fast["stylised"].clamp(0, 1)
    except Exception:  # noqa: BLE001
        pass
    return shown
