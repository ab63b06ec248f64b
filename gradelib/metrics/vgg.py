"""VGG-19's convolutional stack for perceptual losses (style transfer), offline first.

Gatys et al. measure content and style on the activations of VGG-19 (Simonyan & Zisserman 2015) trained on
ImageNet. Only its convolutional part (``torchvision.models.vgg19().features``) is needed, and only up to the
deepest layer used (by default the first 30 modules, through the ReLU after the first convolution of block 5):
the classifier head (120 million of VGG-19's 140 million parameters) is never built.

- :func:`load_vgg19_features`: the network, with ImageNet weights (``"imagenet"``) read from disk or, when asked,
  downloaded; with seeded random weights (``"random"``); or ``"auto"``: ImageNet weights if they are already on disk,
  else random weights (never a download). Built once per process and argument set, then copied.
- :func:`imagenet_weights_path` / :func:`weight_locations`: where ImageNet weights are looked for.
- :data:`IMAGENET_MEAN`, :data:`IMAGENET_STD`: the normalisation VGG-19 was trained with (RGB in [0, 1]).
- :class:`VGGWeightsUnavailableError`: raised at once, offline or without the file, with what to do.

The returned network is as torchvision builds it (trainable; ``inplace=False`` ReLUs, so that an activation kept
for a loss is not overwritten by the next layer): freezing it is the caller's job.

Random weights: every convolution's weight is drawn from N(0, 2 / fan_in) (He et al. 2015, fan-in mode, which keeps
the scale of the activations from layer to layer; torchvision's own fan-out mode shrinks them block after block),
biases are zero, with a private generator seeded with ``seed``, so the same seed gives the same network on every
machine and the global random state is untouched. Random convolutional features still carry texture statistics
(Ustyuzhaninov et al. 2017): Gram matrices, losses and every graded property behave as with trained weights;
only the pictures look less like paintings.
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from gradelib.data.errors import DatasetUnavailableError
from gradelib.data.paths import DATA_ROOT_ENV, default_data_root

__all__ = [
    "VGG19_CONFIG", "NUM_MODULES", "DEFAULT_NUM_MODULES", "IMAGENET_MEAN", "IMAGENET_STD", "WEIGHTS_FILE",
    "WEIGHTS_URL", "WEIGHTS", "VGGWeightsUnavailableError", "VGG19Features", "weight_locations",
    "imagenet_weights_path", "load_vgg19_features",
]

#: VGG-19's convolutional stack (configuration "E"): output channels of each 3x3 convolution, "M" a 2x2 max-pooling.
VGG19_CONFIG: tuple[int | str, ...] = (64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M",
                                       512, 512, 512, 512, "M", 512, 512, 512, 512, "M")
#: Modules of the whole stack: each convolution is followed by a ReLU, so 16 * 2 + 5 = 37.
NUM_MODULES = 37
#: Modules kept by default: through the ReLU after the first convolution of block 5 (Gatys's deepest style layer).
DEFAULT_NUM_MODULES = 30
#: ImageNet's per-channel mean and standard deviation of RGB values in [0, 1] (torchvision's models expect them).
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
#: torchvision's file of VGG-19's ImageNet weights (IMAGENET1K_V1) and where it is published.
WEIGHTS_FILE = "vgg19-dcbb9e9d.pth"
WEIGHTS_URL = f"https://download.pytorch.org/models/{WEIGHTS_FILE}"
#: The accepted values of ``weights``.
WEIGHTS = ("auto", "imagenet", "random")

_BUILT: dict[tuple, VGG19Features] = {}


class VGGWeightsUnavailableError(DatasetUnavailableError):
    """VGG-19's ImageNet weights are not on disk and were not (or could not be) downloaded."""


class VGG19Features(nn.Sequential):
    """VGG-19's convolutional modules in torchvision's order (so ``features.<i>`` weights load by index).

    Attributes:
        source: where the weights come from, in words ("ImageNet weights from <file>" or "random weights, seed 0").
        pretrained: True for ImageNet weights.
    """

    source: str = ""
    pretrained: bool = False


def _layers(num_modules: int) -> list[nn.Module]:
    layers: list[nn.Module] = []
    channels = 3
    for entry in VGG19_CONFIG:
        if entry == "M":
            layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
        else:
            layers += [nn.Conv2d(channels, int(entry), kernel_size=3, padding=1), nn.ReLU(inplace=False)]
            channels = int(entry)
    return layers[:num_modules]


def weight_locations() -> list[Path]:
    """Where ImageNet weights are looked for, in order: ``<data root>/vgg19/`` then torch's hub cache."""
    return [default_data_root() / "vgg19" / WEIGHTS_FILE, Path(torch.hub.get_dir()) / "checkpoints" / WEIGHTS_FILE]


def imagenet_weights_path() -> Path | None:
    """The first readable file of :func:`weight_locations`, or None (nothing is downloaded here)."""
    for path in weight_locations():
        try:
            if path.is_file():
                return path
        except OSError:
            continue
    return None


def _unavailable(reason: str) -> VGGWeightsUnavailableError:
    places = "\n".join(f"  - {path}" for path in weight_locations())
    return VGGWeightsUnavailableError(
        f"VGG-19's ImageNet weights are not available: {reason}.\n"
        f"They are looked for (file {WEIGHTS_FILE}, 548 MB) in:\n{places}\nTo provide them, either:\n"
        "  * on a machine that is online, call load_vgg19_features('imagenet', download=True) once "
        "(torch's hub cache);\n"
        f"  * or copy {WEIGHTS_FILE} (from {WEIGHTS_URL}) into one of the folders above "
        f"(or set {DATA_ROOT_ENV} to a folder whose vgg19/ holds it).\n"
        "Offline, load_vgg19_features('random') (a seeded random VGG-19) serves every graded property."
    )


def _download() -> Path:
    from gradelib.data.mnist_full import _network_reachable

    host, port, timeout_s = "download.pytorch.org", 443, 3.0
    if not _network_reachable(host, port, timeout_s):
        raise _unavailable(f"the file is missing and the network is unreachable ({host}:{port}, {timeout_s:g} s probe)")
    target = weight_locations()[1]
    try:
        torch.hub.load_state_dict_from_url(WEIGHTS_URL, model_dir=str(target.parent), progress=True, check_hash=True)
    except Exception as error:  # noqa: BLE001 - URLError, OSError, a bad hash: all mean "not available"
        raise _unavailable(f"the download failed ({type(error).__name__}: {error})") from error
    return target


def _random_weights(net: nn.Sequential, seed: int) -> None:
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for module in net:
            if isinstance(module, nn.Conv2d):
                fan_in = module.in_channels * module.kernel_size[0] * module.kernel_size[1]
                module.weight.normal_(0.0, (2.0 / fan_in) ** 0.5, generator=generator)
                module.bias.zero_()


def _empty(num_modules: int) -> VGG19Features:
    """The modules with uninitialised weights (built on the meta device: no time spent on an initialisation)."""
    with torch.device("meta"):
        net = VGG19Features(*_layers(num_modules))
    return net.to_empty(device="cpu")


def _build(weights: str, seed: int, num_modules: int, download: bool, weights_file: Path | None) -> VGG19Features:
    net = _empty(num_modules)
    if weights == "random":
        _random_weights(net, seed)
        net.source, net.pretrained = f"random weights (He initialisation, seed {seed})", False
        return net
    path = weights_file if weights_file is not None else imagenet_weights_path()
    if path is not None and not path.is_file():
        raise _unavailable(f"{path} is not a file")
    if path is None:
        if not download:
            raise _unavailable("the file is not on disk and download=False")
        path = _download()
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # noqa: BLE001 - a truncated or foreign file
        raise _unavailable(f"{path} could not be read ({type(error).__name__}: {error})") from error
    wanted = {f"{index}.{kind}" for index, module in enumerate(net) if isinstance(module, nn.Conv2d)
              for kind in ("weight", "bias")}
    found = {key[len("features."):]: value for key, value in state.items()
             if key.startswith("features.") and key[len("features."):] in wanted}
    if set(found) != wanted:
        raise _unavailable(f"{path} is not torchvision's VGG-19 ({len(wanted - set(found))} tensors missing)")
    net.load_state_dict(found)
    net.source, net.pretrained = f"ImageNet weights from {path}", True
    return net


def load_vgg19_features(weights: str = "auto", *, seed: int = 0, num_modules: int = DEFAULT_NUM_MODULES,
                        download: bool = False, weights_file: str | Path | None = None) -> VGG19Features:
    """VGG-19's convolutional stack (``torchvision.models.vgg19().features[:num_modules]``), a fresh trainable copy.

    Inputs:
        weights: "imagenet" (trained weights: from disk, else downloaded if ``download``, else an error),
            "random" (seeded random weights) or "auto" (ImageNet weights if already on disk, else random; never
            downloads).
        seed: the seed of random weights.
        num_modules: how many modules to keep, 1..37 (default 30: through the ReLU after block 5's first convolution).
        download: with "imagenet", fetch the weights (548 MB) into torch's hub cache when they are missing.
        weights_file: with "imagenet", read this file (torchvision's VGG-19 state_dict) instead of searching.

    Returns:
        a :class:`VGG19Features` on the CPU, in training mode, parameters requiring gradients (as torchvision makes
        it). Its input is (B, 3, H, W) RGB normalised with :data:`IMAGENET_MEAN` and :data:`IMAGENET_STD`. Its
        ``source`` says which weights it holds. The network is built once per process and set of arguments; each
        call returns a copy (about 50 MB of float32 for 30 modules).

    Raises:
        VGGWeightsUnavailableError: "imagenet" without the file on disk and without ``download`` (or offline).
        ValueError: an unknown ``weights`` or ``num_modules`` out of range.
    """
    if weights not in WEIGHTS:
        raise ValueError(f"weights must be one of {WEIGHTS}, not {weights!r}")
    if not 1 <= num_modules <= NUM_MODULES:
        raise ValueError(f"num_modules must be between 1 and {NUM_MODULES}, not {num_modules}")
    if weights == "auto":
        weights = "imagenet" if imagenet_weights_path() is not None else "random"
    weights_file = Path(weights_file) if weights_file is not None else None
    key = (weights, seed if weights == "random" else None, num_modules, weights_file)
    if key not in _BUILT:
        _BUILT[key] = _build(weights, seed, num_modules, download, weights_file)
    built = _BUILT[key]
    net = _empty(num_modules)
    with torch.no_grad():
        for mine, theirs in zip(net.parameters(), built.parameters(), strict=True):
            mine.copy_(theirs)
    net.source, net.pretrained = built.source, built.pretrained
    return net
