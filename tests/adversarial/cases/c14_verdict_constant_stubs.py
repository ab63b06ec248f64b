"""Verdicts without work: stubs that return zeros or constants from every method.

Attack: not a break-in but a gaming submission: every method returns a tensor of the right
shape and dtype full of zeros (fair-coin logits, constant log-likelihoods, blank samples,
completions that copy the input), so that every check which a constant satisfies (shapes, finite
values, normalisation of a fair coin, devices, "keeps the observed pixels") pays.
Old grader: see BASELINE.md. The honest score of such a submission is 0 (DESIGN: a property
that a constant output satisfies pays only when the submission is not constant).
"""
EXPECT = {"max_score": 0, "doors": ["grade", "grade_all", "nbgrader"], "place": "end", "leaves_no_trace": []}

import math

import torch
import torch.nn.functional as F


def _init(self, image_shape=(8, 8), *args, learning_rate=1e-3, **kwargs):
    AutoregressiveImageModel.__init__(self, image_shape, learning_rate)
    self.p = torch.nn.Parameter(torch.zeros(1))


def _step(self, batch, stage):
    x = batch[0]
    loss = (self.p * 0).sum() + self.num_pixels * math.log(2.0)
    self.log(f"{stage}/nll_nats", loss)
    return loss


def _forward(self, x):
    return torch.zeros_like(x) + 0 * sum(p.sum() for p in self.parameters())


for _cls in (AutoregressiveImageModel, FVSBN, NADE, PixelCNN):
    _cls.forward = _forward
    _cls.log_prob = lambda self, x: (self(x) * 0).flatten(1).sum(1) - self.num_pixels * math.log(2.0)
    _cls.sample = lambda self, n: torch.zeros(n, 1, *self.image_shape, device=self.device)
    _cls.complete = lambda self, images, observed_mask: images * observed_mask
    _cls._common_step = _step
PixelCNN.__init__ = _init


class MaskedConv2d(torch.nn.Conv2d):
    def __init__(self, in_channels, out_channels, kernel_size, mask_type="A", bias=True, **kwargs):
        super().__init__(in_channels, out_channels, kernel_size, padding=kernel_size // 2, bias=bias)
        self.mask_type = mask_type
        self.register_buffer("mask", torch.zeros_like(self.weight))

    def forward(self, x):
        return F.conv2d(x, self.weight * self.mask, self.bias, padding=self.padding)
