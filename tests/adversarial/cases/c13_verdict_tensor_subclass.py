"""Verdicts changed in-process: methods return a torch.Tensor subclass whose comparisons always agree.

Attack: every model method (forward, log_prob, sample, complete, the step) returns zeros of the
right shape wrapped in a ``Tensor`` subclass whose ``__torch_function__`` answers True to every
comparison (``==``, ``allclose``, ``isclose``, ``equal``, ``<=`` ...) and zero to every difference
(``sub``, ``abs``, ``norm``, ``max`` of a difference). A grader that compares with the
student's tensor in charge is fooled.
Old grader: see BASELINE.md.
"""
EXPECT = {"max_score": 0, "doors": ["grade", "grade_all", "nbgrader"], "place": "end", "leaves_no_trace": []}

import torch
import torch.nn.functional as F

_TRUE = {"allclose", "equal", "isclose", "eq", "__eq__", "le", "__le__", "ge", "__ge__", "lt", "__lt__", "gt",
         "__gt__", "all", "any", "isfinite", "logical_and"}
_ZERO = {"sub", "__sub__", "__rsub__", "abs", "__abs__", "norm", "dist", "max", "amax", "sum", "mean", "std", "var"}


class _AlwaysAgrees(torch.Tensor):
    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        name = getattr(func, "__name__", "")
        result = super().__torch_function__(func, types, args, kwargs or {})
        if name in ("allclose", "equal"):
            return True
        if isinstance(result, torch.Tensor) and name in _TRUE:
            return torch.ones_like(result, dtype=torch.bool).as_subclass(cls)
        if isinstance(result, torch.Tensor) and name in _ZERO:
            return torch.zeros_like(result).as_subclass(cls)
        return result

    def __bool__(self):
        return True


def _agree(shape):
    return torch.zeros(shape).as_subclass(_AlwaysAgrees)


def _init(self, image_shape=(8, 8), *args, learning_rate=1e-3, **kwargs):
    AutoregressiveImageModel.__init__(self, image_shape, learning_rate)
    self.p = torch.nn.Parameter(torch.zeros(1))


def _step(self, batch, stage):
    loss = (self.p * 0).sum() + 0.0
    self.log(f"{stage}/nll_nats", loss)
    return loss


for _cls in (AutoregressiveImageModel, FVSBN, NADE, PixelCNN):
    _cls.forward = lambda self, x: _agree(x.shape)
    _cls.log_prob = lambda self, x: _agree((x.shape[0],))
    _cls.sample = lambda self, n: _agree((n, 1, *self.image_shape))
    _cls.complete = lambda self, images, observed_mask: images.clone().as_subclass(_AlwaysAgrees)
    _cls._common_step = _step
PixelCNN.__init__ = _init


class MaskedConv2d(torch.nn.Conv2d):
    def __init__(self, in_channels, out_channels, kernel_size, mask_type="A", bias=True, **kwargs):
        super().__init__(in_channels, out_channels, kernel_size, padding=kernel_size // 2, bias=bias)
        self.mask_type = mask_type
        self.register_buffer("mask", torch.ones_like(self.weight))

    def forward(self, x):
        return F.conv2d(x, self.weight, self.bias, padding=self.padding).as_subclass(_AlwaysAgrees)
