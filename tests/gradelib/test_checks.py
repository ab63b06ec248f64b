"""Tests of gradelib.checks: each check passes on a correct toy and fails, with a useful message, on a realistic
wrong one."""

import math

import pytest
import torch
from torch import nn

from gradelib.checks import (
    CheckFailure,
    all_binary_images,
    assert_autoregressive,
    assert_close,
    assert_gradcheck,
    assert_module_gradcheck,
    assert_normalised,
    assert_runs_on_meta,
    assert_samples_match,
    assert_shape,
    assert_work_scales,
    bernoulli_log_prob,
    count_work,
    dependency_matrix,
    failure_message,
    left_and_up,
    outcome_index,
    outcome_name,
    pooled_chi_square,
)

SHAPE = (2, 3)  # a tiny image: D = 6


class MaskedLinear(nn.Module):
    """Toy autoregressive model: logits = x @ (W * M).T + b with M[i, j] = 1 iff j < i - (shift - 1)
    (or j <= i if leaky)."""

    def __init__(self, image_shape=SHAPE, shift: int = 1, scale: float = 2.0) -> None:
        super().__init__()
        self.image_shape = image_shape
        D = image_shape[0] * image_shape[1]
        self.weight = nn.Parameter(scale * torch.randn(D, D))
        self.bias = nn.Parameter(torch.randn(D))
        self.register_buffer("mask", torch.tril(torch.ones(D, D), diagonal=-shift))

    def forward(self, x):
        B = x.shape[0]
        logits = x.reshape(B, -1) @ (self.weight * self.mask).T + self.bias  # (B, D)
        return logits.reshape(x.shape)

    def log_prob(self, x):
        return bernoulli_log_prob(self(x), x)

    def sample(self, n):
        x = torch.zeros(n, 1, *self.image_shape, dtype=self.weight.dtype)
        for i in range(x[0].numel()):
            logits = self(x).reshape(n, -1)
            x.view(n, -1)[:, i] = torch.bernoulli(torch.sigmoid(logits[:, i]))
        return x


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)


# ----------------------------------------------------------------------------------------- failures
def test_failure_message_composes_checked_expected_found_cause():
    """Does a failure message read 'checked: expected ..., found .... cause', the same from CheckFailure.build?"""
    message = failure_message(
        "log_prob of 4 images", expected="shape (4,)", found="shape (4, 1)", cause="Sum over pixels."
    )
    assert message == "log_prob of 4 images: expected shape (4,), found shape (4, 1). Sum over pixels."
    assert failure_message("log_prob is wrong.", cause="Sum over pixels.") == "log_prob is wrong. Sum over pixels."
    failure = CheckFailure.build(
        "log_prob of 4 images", expected="shape (4,)", found="shape (4, 1)", cause="Sum over pixels."
    )
    assert isinstance(failure, AssertionError) and str(failure) == message


# ------------------------------------------------------------------------------------------ compare
def test_assert_close_accepts_float32_noise():
    """Does assert_close accept values that differ by float32 rounding?"""
    expected = torch.randn(5, 3) * 50
    assert_close(expected * (1 + 1e-6), expected, what="values")


def test_assert_close_names_the_first_mismatch():
    """Does assert_close report the index, the found value and the error of a mismatch, and the hint, but never the
    expected value?"""
    expected = torch.tensor([1.0, 2.0, 3.25])
    with pytest.raises(
        CheckFailure, match=r"found 1 of 3 values differ by more: at \(2,\): 4 \(off by 0.75\).*check the sum"
    ) as info:
        assert_close(torch.tensor([1.0, 2.0, 4.0]), expected, what="logits", hint="check the sum")
    assert "3.25" not in str(info.value)
    assert str(info.value).startswith("logits: expected every value within")
    assert str(info.value).count("found") == 1


def test_assert_close_rejects_wrong_shape_and_non_finite_values():
    """Does assert_close fail on a wrong shape, on NaN and on a value that is not a tensor?"""
    with pytest.raises(CheckFailure, match=r"expected shape \(3,\), found shape \(3, 1\)"):
        assert_close(torch.zeros(3, 1), torch.zeros(3), what="log_prob")
    with pytest.raises(CheckFailure, match="finite values"):
        assert_close(torch.tensor([0.0, float("nan")]), torch.zeros(2), what="log_prob")
    with pytest.raises(CheckFailure, match="a torch.Tensor, found a list"):
        assert_close([0.0], torch.zeros(1), what="log_prob")


def test_assert_shape():
    """Does assert_shape return a tensor of the right shape and reject another shape?"""
    x = torch.zeros(2, 3)
    assert assert_shape(x, (2, 3), what="x") is x
    with pytest.raises(CheckFailure, match=r"expected shape \(3, 2\)"):
        assert_shape(x, (3, 2), what="x")


# ---------------------------------------------------------------------------------------- gradients
def test_gradcheck_accepts_a_differentiable_function():
    """Does assert_gradcheck pass a loss written with differentiable operations?"""
    assert_gradcheck(
        lambda x, w: (x @ w).sigmoid().sum(), {"x": torch.randn(3, 4), "w": torch.randn(4, 2)}, what="loss"
    )


def test_gradcheck_rejects_a_detached_factor():
    """Does assert_gradcheck fail, naming the input, when part of the graph is detached?"""
    with pytest.raises(CheckFailure, match=r"with respect to w disagrees with finite differences.*detach"):
        assert_gradcheck(
            lambda x, w: (x * w * w.detach()).sum(), {"x": torch.randn(3), "w": torch.randn(3)}, what="loss"
        )


def test_gradcheck_rejects_a_non_differentiable_output():
    """Does assert_gradcheck fail when the output does not require grad at all?"""
    with pytest.raises(CheckFailure, match="not differentiable"):
        assert_gradcheck(lambda x: x.detach().sum(), {"x": torch.randn(3)}, what="loss")


def test_module_gradcheck_accepts_a_correct_model_and_names_a_wrong_parameter():
    """Does assert_module_gradcheck pass a correct model and name the parameter used through .data?"""
    images = torch.randint(0, 2, (3, 1, *SHAPE)).double()
    assert_module_gradcheck(MaskedLinear(), lambda m: m.log_prob(images), what="log_prob")

    class UsesData(MaskedLinear):
        def forward(self, x):
            B = x.shape[0]
            return (x.reshape(B, -1) @ (self.weight.data * self.mask).T + self.bias).reshape(x.shape)

    with pytest.raises(CheckFailure, match=r"parameter `weight`|not differentiable"):
        assert_module_gradcheck(UsesData(), lambda m: m.log_prob(images), what="log_prob", include=["weight"])


def test_module_gradcheck_catches_weights_changed_in_place():
    """Does assert_module_gradcheck fail a model that writes its mask into the weights inside forward?"""

    class InPlace(MaskedLinear):
        def forward(self, x):
            self.weight.data *= self.mask
            B = x.shape[0]
            return (x.reshape(B, -1) @ self.weight.T + self.bias).reshape(x.shape)

    images = torch.randint(0, 2, (3, 1, *SHAPE)).double()
    with pytest.raises(CheckFailure, match="disagrees with finite differences"):
        assert_module_gradcheck(InPlace(), lambda m: m.log_prob(images), what="log_prob")


# ----------------------------------------------------------------------------------- autoregressive
def test_autoregressive_accepts_a_masked_model():
    """Does a strictly lower-triangular model pass, depending on every earlier pixel?"""
    dep = assert_autoregressive(MaskedLinear(), SHAPE, what="logits", required="all_earlier")
    assert torch.equal(dep, torch.tril(torch.ones(6, 6, dtype=torch.bool), diagonal=-1))


def test_autoregressive_names_a_pixel_that_sees_itself():
    """Does a model whose pixel sees itself fail with the pixel named as (row, col) and the hint?"""
    with pytest.raises(CheckFailure, match=r"pixel \(0, 0\) depends on pixel \(0, 0\) itself.*check the mask type"):
        assert_autoregressive(MaskedLinear(shift=0), SHAPE, what="logits", hint_future="check the mask type")


def test_autoregressive_names_a_later_pixel():
    """Does a model whose pixel sees a later one fail, naming both pixels?"""

    class SeesNext(MaskedLinear):
        def forward(self, x):
            logits = super().forward(x).reshape(x.shape[0], -1)
            return (logits + torch.cat([x.reshape(x.shape[0], -1)[:, 1:], x.new_zeros(x.shape[0], 1)], dim=1)).reshape(
                x.shape
            )

    with pytest.raises(CheckFailure, match=r"pixel \(0, 0\) depends on the later pixel \(0, 1\)"):
        assert_autoregressive(SeesNext(), SHAPE, what="logits")


def test_autoregressive_requires_all_earlier_pixels():
    """Does a model shifted by two pixels fail 'all_earlier', naming the pixel it misses?"""
    with pytest.raises(CheckFailure, match=r"pixel \(0, 1\) does not depend on the earlier pixel \(0, 0\)"):
        assert_autoregressive(MaskedLinear(shift=2), SHAPE, what="logits", required="all_earlier")
    assert_autoregressive(MaskedLinear(shift=2), SHAPE, what="logits", required="none")


def test_autoregressive_left_and_up_for_a_convolution():
    """Does a masked convolution pass 'left and up', and does an independent-pixel model fail 'some_earlier'?"""
    conv = nn.Conv2d(1, 1, 3, padding=1)
    with torch.no_grad():
        conv.weight.mul_(torch.tensor([[1.0, 1.0, 1.0], [1.0, 0.0, 0.0], [0.0, 0.0, 0.0]]))
    assert_autoregressive(conv, (3, 4), what="logits", required=left_and_up((3, 4)))
    constant = nn.Conv2d(1, 1, 1)
    with torch.no_grad():
        constant.weight.zero_()
    with pytest.raises(CheckFailure, match=r"pixel \(0, 1\) depends on none of the pixels before it"):
        assert_autoregressive(constant, (3, 4), what="logits", required="some_earlier")


def test_dependency_matrix_rejects_a_wrong_output_shape():
    """Does the dependency check fail clearly when the model returns one value per image?"""
    with pytest.raises(CheckFailure, match="expected shape"):
        dependency_matrix(lambda x: x.sum(dim=(1, 2, 3)), torch.zeros(1, 1, *SHAPE), what="logits")


# ------------------------------------------------------------------------------------ normalisation
def test_all_binary_images_and_outcome_index_are_inverse():
    """Are all 2^D images distinct, in outcome_index order, with the first pixel the most significant bit?"""
    images = all_binary_images(SHAPE)
    assert images.shape == (64, 1, 2, 3)
    assert torch.equal(outcome_index(images), torch.arange(64))
    assert outcome_name(5, SHAPE) == "000/101"
    assert images[32].flatten().tolist() == [1, 0, 0, 0, 0, 0]


def test_normalised_accepts_an_autoregressive_model():
    """Do the probabilities of a masked model sum to one within 1e-6 (float64)?"""
    model = MaskedLinear().double()
    values = assert_normalised(model.log_prob, SHAPE, what="p(x)")
    assert values.shape == (64,)


@pytest.mark.parametrize("mistake", ["sees itself", "bits", "mean over pixels"])
def test_normalised_rejects_wrong_models(mistake):
    """Does a model that sees itself, reports bits, or averages over pixels fail the normalisation check?"""
    model = MaskedLinear(shift=0 if mistake == "sees itself" else 1).double()

    def log_prob(x):
        value = model.log_prob(x)
        if mistake == "bits":
            return value / math.log(2.0)
        if mistake == "mean over pixels":
            return value / 6
        return value

    with pytest.raises(CheckFailure, match="should sum to 1|at most 1"):
        assert_normalised(log_prob, SHAPE, what="p(x)")


def test_normalised_rejects_a_wrong_shape():
    """Does a log_prob that returns one value per pixel fail with the expected shape?"""
    model = MaskedLinear().double()
    with pytest.raises(CheckFailure, match=r"expected shape \(64,\)"):
        assert_normalised(lambda x: model(x), SHAPE, what="p(x)")


# ---------------------------------------------------------------------------------- goodness of fit
def test_samples_match_accepts_a_correct_sampler():
    """Do samples of a correct sequential sampler pass the chi-square test at alpha = 1e-3?"""
    model = MaskedLinear(scale=4.0).double()
    probs = assert_normalised(model.log_prob, SHAPE, what="p(x)").exp()
    with torch.no_grad():
        samples = model.sample(4000)
    result = assert_samples_match(outcome_index(samples), probs, what="samples", image_shape=SHAPE)
    assert result.dof >= 5


def test_samples_match_rejects_a_sampler_that_ignores_earlier_pixels():
    """Do samples drawn from one forward pass (ignoring earlier pixels) fail, listing the worst images?"""
    model = MaskedLinear(scale=4.0).double()
    probs = assert_normalised(model.log_prob, SHAPE, what="p(x)").exp()
    with torch.no_grad():
        samples = torch.bernoulli(torch.sigmoid(model(torch.zeros(4000, 1, *SHAPE, dtype=torch.float64))))
    with pytest.raises(CheckFailure, match=r"do not follow the model's own probabilities.*image \d{3}/\d{3}: expected"):
        assert_samples_match(outcome_index(samples), probs, what="samples", image_shape=SHAPE)


def test_pooled_chi_square_pools_sparse_bins_and_keeps_its_false_alarm_rate():
    """With many rare outcomes, is every pooled bin expected >= 5 times and the false-alarm rate about alpha?"""
    probs = torch.tensor([0.4, 0.3, 0.2] + [0.1 / 50] * 50, dtype=torch.float64)
    generator = torch.Generator().manual_seed(1)
    rejections = 0
    trials = 400
    for _ in range(trials):
        outcomes = torch.multinomial(probs, 200, replacement=True, generator=generator)
        result = pooled_chi_square(torch.bincount(outcomes, minlength=53), probs)
        assert result.num_bins == 4  # three common outcomes and one pool of the 50 rare ones (expected 20)
        rejections += result.p_value < 0.1
    assert 0.05 < rejections / trials < 0.16


def test_samples_match_rejects_invalid_outcomes():
    """Are outcome indices out of range reported as invalid samples?"""
    with pytest.raises(CheckFailure, match="not valid outcomes"):
        assert_samples_match(torch.tensor([0, 7]), torch.tensor([0.5, 0.5]), what="samples")


# ------------------------------------------------------------------------------------------ devices
class CreatesCpuTensor(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.linear = nn.Linear(4, 4)

    def forward(self, x):
        return self.linear(x) + torch.zeros(x.shape[0], 4)  # the bug: no device=x.device


def test_meta_rejects_a_cpu_tensor_met_first():
    """Is a CPU tensor caught also when it is the first operand (PyTorch words the error the other way round)?"""

    class CpuFirst(CreatesCpuTensor):
        def forward(self, x):
            return torch.cat([torch.zeros(x.shape[0], 4), self.linear(x)], dim=1)

    with pytest.raises(CheckFailure, match="device=x.device"):
        assert_runs_on_meta(CpuFirst(), lambda m, d: m(torch.zeros(2, 4, device=d)), what="forward")


def test_meta_accepts_a_portable_module():
    """Does a module that creates its tensors on the input's device run on the meta device?"""

    class Portable(CreatesCpuTensor):
        def forward(self, x):
            return self.linear(x) + torch.zeros(x.shape[0], 4, device=x.device)

    assert assert_runs_on_meta(Portable(), lambda m, d: m(torch.zeros(2, 4, device=d)), what="forward") is True


def test_meta_rejects_a_cpu_tensor_created_in_forward():
    """Does a module that creates a CPU tensor inside forward fail, telling the student to use device=x.device?"""
    with pytest.raises(CheckFailure, match=r"forward does not run on the device of its input.*device=x.device"):
        assert_runs_on_meta(CreatesCpuTensor(), lambda m, d: m(torch.zeros(2, 4, device=d)), what="forward")


def test_meta_lets_a_stub_and_data_dependent_code_through():
    """Does a stub's NotImplementedError propagate, and does .item() (undecidable on meta) not fail the check?"""

    class Stub(CreatesCpuTensor):
        def forward(self, x):
            raise NotImplementedError()

    with pytest.raises(NotImplementedError):
        assert_runs_on_meta(Stub(), lambda m, d: m(torch.zeros(2, 4, device=d)), what="forward")

    class UsesItem(CreatesCpuTensor):
        def forward(self, x):
            return self.linear(x) * float(x.sum().item() > 0)

    assert assert_runs_on_meta(UsesItem(), lambda m, d: m(torch.ones(2, 4, device=d)), what="forward") is False


def test_meta_and_gradcheck_pay_nothing_for_a_constant():
    """Do the device, gradient and normalisation checks fail code that ignores its weights (a constant)?"""

    class Constant(CreatesCpuTensor):
        def forward(self, x):
            return torch.zeros_like(x) + 0.0 * self.linear.weight.sum()

    with pytest.raises(CheckFailure, match="whatever the model's weights"):
        assert_runs_on_meta(Constant(), lambda m, d: m(torch.ones(2, 4, device=d)), what="forward")
    with pytest.raises(CheckFailure, match="does not depend on the model's parameters"):
        assert_module_gradcheck(Constant(), lambda m: m(torch.ones(2, 4, dtype=torch.float64)), what="forward")
    with pytest.raises(CheckFailure, match="same probability"):
        assert_normalised(lambda x: torch.full((x.shape[0],), -6 * math.log(2.0), dtype=x.dtype), (2, 3), what="p")


# --------------------------------------------------------------------------------------- complexity
def test_count_work_counts_matrix_products_and_elementwise_outputs():
    """Does count_work count m*n*k for a matrix product plus the output size of other operations?"""
    a, b = torch.randn(3, 4), torch.randn(4, 5)
    assert count_work(lambda: a @ b) == 3 * 4 * 5
    assert count_work(lambda: (a + 1.0).sigmoid()) == 2 * 12
    assert count_work(lambda: a.reshape(12).unsqueeze(0)) == 0  # views are free


def test_work_scales_accepts_linear_and_rejects_quadratic_growth():
    """Is a running sum O(D) accepted and a masked matrix product O(D^2) rejected?"""

    def running_sum(D):
        x = torch.randn(8, D)
        return count_work(lambda: torch.cumsum(x, dim=1))

    def masked_product(D):
        x = torch.randn(8, D)
        mask = torch.tril(torch.ones(D, D), diagonal=-1)
        return count_work(lambda: x @ mask.T)

    assert_work_scales({64: running_sum(64), 256: running_sum(256)}, max_exponent=1.4, what="the running sum")
    with pytest.raises(CheckFailure, match=r"does too much work as D grows.*like D\^2"):
        assert_work_scales({64: masked_product(64), 256: masked_product(256)}, max_exponent=1.4,
                           what="the masked product", size_name="D")


# --------------------------------------------------------------------------------------- likelihood
def test_bernoulli_log_prob_is_formula_two_and_stable():
    """Is bernoulli_log_prob the sum of x log s(l) + (1 - x) log(1 - s(l)), and finite for logits of +-200?"""
    logits = torch.randn(4, 1, 2, 3, dtype=torch.float64)
    x = torch.randint(0, 2, (4, 1, 2, 3)).double()
    s = torch.sigmoid(logits)
    expected = (x * s.log() + (1 - x) * (1 - s).log()).flatten(1).sum(1)
    assert torch.allclose(bernoulli_log_prob(logits, x), expected)
    big = bernoulli_log_prob(torch.tensor([[200.0, -200.0]]), torch.tensor([[0.0, 0.0]]))
    assert torch.allclose(big, torch.tensor([-200.0]))
