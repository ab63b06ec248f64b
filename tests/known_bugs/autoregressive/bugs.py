"""Known-bug submissions of the autoregressive assignment: the solution notebook with one realistic bug each.

Each :class:`Bug` is a patch of one cell of ``solutions/autoregressive/autoregressive.ipynb`` (found by
its nbgrader ``grade_id``): ``old`` must occur exactly once in that cell and is replaced by ``new``.
Bugs are applied at test time, so they never drift from the solution. ``failing`` lists, per hidden
test file, exactly the tests the bug must fail (the other tests of those files must pass), and
``fragment`` must appear in the student-facing message of the first failing test listed.

    from bugs import BUGS, write_buggy_notebook
    path = write_buggy_notebook(BUGS[0], tmp_path)
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from gradelib.course import Course

SOLUTION = Course.find(Path(__file__).resolve().parent).solution("autoregressive")


@dataclass(frozen=True)
class Bug:
    """One realistic mistake.

    Attributes:
        name: short identifier (also the patched notebook's file name).
        description: the mistake, in words.
        cell: grade_id of the solution cell to patch.
        old: exact snippet of that cell (must occur once).
        new: its replacement.
        failing: hidden test file name -> the test names (with parameters) that must fail; all
            other tests of the file must pass.
        fragment: text expected in the message of the first failing test of the first file.
        more: further (old, new) patches of the same cell, applied after the first.
    """

    name: str
    description: str
    cell: str
    old: str
    new: str
    failing: dict[str, tuple[str, ...]]
    fragment: str
    more: tuple[tuple[str, str], ...] = ()


BUGS: list[Bug] = [
    Bug(
        name="pixelcnn_first_layer_type_b",
        description="PixelCNN's first layer uses a type-B mask, so each pixel sees itself",
        cell="pixelcnn",
        old='self.input_conv = MaskedConv2d("A", 1, hidden_channels, kernel_size)',
        new='self.input_conv = MaskedConv2d("B", 1, hidden_channels, kernel_size)',
        failing={"test_pixelcnn.py": ("test_pixelcnn_is_autoregressive", "test_pixelcnn_is_normalised")},
        fragment="depends on pixel (0, 0) itself",
    ),
    Bug(
        name="pixelcnn_all_type_a",
        description="every PixelCNN layer uses a type-A mask, so no pixel sees its left neighbour",
        cell="pixelcnn",
        old='MaskedConv2d("B", hidden_channels, hidden_channels, hidden_kernel_size)',
        new='MaskedConv2d("A", hidden_channels, hidden_channels, hidden_kernel_size)',
        failing={"test_pixelcnn.py": ("test_pixelcnn_is_autoregressive",)},
        fragment="does not depend on the earlier pixel (0, 0)",
    ),
    Bug(
        name="nade_sees_itself",
        description="NADE uses the inclusive running sum: pixel i sees x_i",
        cell="nade",
        old="a = self.c.unsqueeze(-1) + F.pad(inclusive[:, :, :-1], (1, 0))",
        new="a = self.c.unsqueeze(-1) + inclusive",
        failing={
            "test_nade.py": ("test_nade_is_autoregressive", "test_nade_logits_match_reference", "test_nade_is_normalised"),
            "test_quality.py": ("test_nade_test_nll",),
        },
        fragment="itself",
    ),
    Bug(
        name="nade_shift_two",
        description="NADE shifts the running sum by two pixels: pixel i sees only x_1 .. x_{i-2}",
        cell="nade",
        old="a = self.c.unsqueeze(-1) + F.pad(inclusive[:, :, :-1], (1, 0))",
        new="a = self.c.unsqueeze(-1) + F.pad(inclusive[:, :, :-2], (2, 0))",
        failing={"test_nade.py": ("test_nade_is_autoregressive", "test_nade_logits_match_reference")},
        fragment="does not depend on the earlier pixel (0, 0)",
    ),
    Bug(
        name="nade_cpu_tensor_in_forward",
        description="NADE's forward pads the running sum with a tensor created on the CPU",
        cell="nade",
        old="a = self.c.unsqueeze(-1) + F.pad(inclusive[:, :, :-1], (1, 0))",
        new="a = self.c.unsqueeze(-1) + torch.cat([torch.zeros(B, self.W.shape[0], 1), inclusive[:, :, :-1]], dim=2)",
        failing={"test_nade.py": ("test_nade_runs_on_any_device",)},
        fragment="device=x.device",
    ),
    Bug(
        name="nade_quadratic_cost",
        description="NADE computes every pre-activation with a (D, D) mask: O(D^2 H) instead of the running sum",
        cell="nade",
        old="""        contributions = x_flat.unsqueeze(1) * self.W.unsqueeze(0)  # (B, K, D): U[:, j] x_j
        inclusive = torch.cumsum(contributions, dim=2)  # (B, K, D): sums over j <= i
        a = self.c.unsqueeze(-1) + F.pad(inclusive[:, :, :-1], (1, 0))  # (B, K, D): sums over j < i
        h = torch.sigmoid(a)  # (B, K, D)
        logits = self.b + torch.einsum("nkd,dk->nd", h, self.V)  # (B, D)""",
        new="""        D = self.num_pixels
        before = torch.tril(torch.ones(D, D, device=x.device), diagonal=-1)  # (D, D): 1 where j < i
        a = self.c + (x_flat.unsqueeze(1) * before) @ self.W.T  # (B, D, K): row i sums W[:, j] x_j over j < i
        h = torch.sigmoid(a)  # (B, D, K)
        logits = self.b + (h * self.V).sum(dim=2)  # (B, D)""",
        failing={"test_nade.py": ("test_nade_cost_is_linear_in_pixels",)},
        fragment="does too much work",
    ),
    Bug(
        name="log_prob_sign_flipped",
        description="log_prob returns the binary cross-entropy (the NLL) instead of the log-likelihood",
        cell="base_model",
        old='log_lik = -F.binary_cross_entropy_with_logits(logits, x, reduction="none")',
        new='log_lik = F.binary_cross_entropy_with_logits(logits, x, reduction="none")',
        failing={
            "test_log_prob.py": (
                "test_log_prob_matches_reference",
                "test_log_prob_of_fair_coins",
                "test_log_prob_is_stable_for_large_logits",
                "test_log_prob_is_normalised",
            ),
        },
        fragment="wrong sign",
    ),
    Bug(
        name="log_prob_in_bits",
        description="log_prob reports bits (log base 2) instead of nats",
        cell="base_model",
        old="return log_lik.flatten(start_dim=1).sum(dim=1)  # (B,)",
        new="return log_lik.flatten(start_dim=1).sum(dim=1) / math.log(2.0)  # (B,)",
        failing={
            "test_log_prob.py": (
                "test_log_prob_matches_reference",
                "test_log_prob_of_fair_coins",
                "test_log_prob_is_stable_for_large_logits",
                "test_log_prob_is_normalised",
            ),
            "test_training.py": ("test_training_logs_and_lowers_nll", "test_validation_and_test_steps_log_nll", "test_pixelcnn_trains"),
        },
        fragment="in bits",
    ),
    Bug(
        name="log_prob_unstable",
        description="log_prob computes log(sigmoid(l)) and log(1 - sigmoid(l)) directly",
        cell="base_model",
        old='log_lik = -F.binary_cross_entropy_with_logits(logits, x, reduction="none")  # (B, 1, H, W), nats',
        new="p = torch.sigmoid(logits)  # (B, 1, H, W)\n"
            "        log_lik = x * torch.log(p) + (1 - x) * torch.log(1 - p)  # (B, 1, H, W), nats",
        failing={"test_log_prob.py": ("test_log_prob_is_stable_for_large_logits",)},
        fragment="computed stably",
    ),
    Bug(
        name="training_logs_wrong_key",
        description="_common_step logs the NLL under a key without the unit ('train_loss')",
        cell="base_model",
        old='self.log(f"{stage}/nll_nats", nll, prog_bar=True)',
        new='self.log(f"{stage}_loss", nll, prog_bar=True)',
        failing={"test_training.py": ("test_training_logs_and_lowers_nll", "test_validation_and_test_steps_log_nll",
                                      "test_pixelcnn_trains")},
        fragment="did not log `train/nll_nats`",
    ),
    Bug(
        name="sampling_ignores_earlier_pixels",
        description="sample draws every pixel from one forward pass on an empty image",
        cell="base_model",
        old="""        for r in range(H):
            for c in range(W):
                logits = self(images)  # (N, 1, H, W)
                images[:, :, r, c] = torch.bernoulli(torch.sigmoid(logits[:, :, r, c]))  # (N, 1)
        return images""",
        new="""        logits = self(images)  # (N, 1, H, W): one pass
        return torch.bernoulli(torch.sigmoid(logits))""",
        failing={"test_sampling.py": ("test_samples_follow_the_model",)},
        fragment="do not follow the model's own probabilities",
    ),
    Bug(
        name="completion_overwrites_observed",
        description="complete draws every pixel, observed ones included",
        cell="base_model",
        old="completed[:, :, r, c] = torch.where(observed, images[:, :, r, c], drawn)  # (B, 1)",
        new="completed[:, :, r, c] = drawn  # (B, 1)",
        failing={
            "test_completion.py": (
                "test_completion_keeps_observed_pixels",
                "test_completion_of_first_row_follows_the_conditional",
                "test_completion_with_scattered_observed_pixels",
            )
        },
        fragment="observed pixels",
    ),
    Bug(
        name="completion_stale_logits",
        description="complete runs the model once before the loop, so drawn pixels never condition later ones",
        cell="base_model",
        old="""        for r in range(H):
            for c in range(W):
                logits = self(completed)  # (B, 1, H, W)""",
        new="""        logits = self(completed)  # (B, 1, H, W)
        for r in range(H):
            for c in range(W):""",
        failing={
            "test_completion.py": (
                "test_completion_of_first_row_follows_the_conditional",
                "test_completion_with_scattered_observed_pixels",
            )
        },
        fragment="do not follow the model's own probabilities",
    ),
    Bug(
        name="mask_wrong_centre_column",
        description="the mask's centre column is off by one: type A keeps the centre, type B also its right neighbour",
        cell="masked_conv",
        old='mask[:, :, m, m + (1 if mask_type == "B" else 0) :] = 0.0',
        new='mask[:, :, m, m + 1 + (1 if mask_type == "B" else 0) :] = 0.0',
        failing={
            "test_masked_conv.py": tuple(f"test_mask_pattern[{t}-{k}]" for t in "AB" for k in (3, 5, 7)),
            "test_pixelcnn.py": ("test_pixelcnn_is_autoregressive", "test_pixelcnn_is_normalised"),
        },
        fragment="sees the kernel positions",
    ),
    Bug(
        name="mask_rows_and_columns_swapped",
        description="the mask zeroes the columns right of the centre instead of the rows below it",
        cell="masked_conv",
        old="mask[:, :, m + 1 :, :] = 0.0",
        new="mask[:, :, :, m + 1 :] = 0.0",
        failing={
            "test_masked_conv.py": tuple(f"test_mask_pattern[{t}-{k}]" for t in "AB" for k in (3, 5, 7)),
            "test_pixelcnn.py": ("test_pixelcnn_is_autoregressive", "test_pixelcnn_is_normalised"),
        },
        fragment="sees the kernel positions",
    ),
    Bug(
        name="mask_applied_once_in_init",
        description="MaskedConv2d masks the initial weights once in __init__ and convolves with self.weight",
        cell="masked_conv",
        old='        self.register_buffer("mask", mask)\n',
        new='        self.register_buffer("mask", mask)\n        with torch.no_grad():\n            self.weight *= mask\n',
        more=(("return self._conv_forward(x, self.weight * self.mask, self.bias)",
               "return self._conv_forward(x, self.weight, self.bias)"),),
        failing={
            "test_masked_conv.py": ("test_forward_leaves_weights_unchanged", "test_masked_conv_matches_reference",
                                    *(f"test_mask_pattern[{t}-{k}]" for t in "AB" for k in (3, 5, 7))),
            "test_pixelcnn.py": ("test_pixelcnn_logits_match_reference",),
        },
        fragment="masking the weights once in __init__ is not enough",
    ),
    Bug(
        name="mask_applied_in_place",
        description="MaskedConv2d.forward multiplies the mask into self.weight in place",
        cell="masked_conv",
        old="return self._conv_forward(x, self.weight * self.mask, self.bias)",
        new="self.weight.data *= self.mask\n        return self._conv_forward(x, self.weight, self.bias)",
        failing={"test_masked_conv.py": ("test_forward_leaves_weights_unchanged", "test_masked_conv_gradients")},
        fragment="changed self.weight in place",
    ),
]

#: Other correct ways to write the TODOs: each must pass every test of the files listed (``failing`` is empty
#: per file), so that the hidden suite accepts correct code that differs from the reference.
CORRECT_VARIANTS: list[Bug] = [
    Bug(
        name="nade_python_loop",
        description="NADE's running sum of formula (8) as a Python loop over pixels",
        cell="nade",
        old="""        contributions = x_flat.unsqueeze(1) * self.W.unsqueeze(0)  # (B, K, D): U[:, j] x_j
        inclusive = torch.cumsum(contributions, dim=2)  # (B, K, D): sums over j <= i
        a = self.c.unsqueeze(-1) + F.pad(inclusive[:, :, :-1], (1, 0))  # (B, K, D): sums over j < i
        h = torch.sigmoid(a)  # (B, K, D)
        logits = self.b + torch.einsum("nkd,dk->nd", h, self.V)  # (B, D)""",
        new="""        a = self.c.expand(B, -1)  # (B, K)
        columns = []
        for i in range(self.num_pixels):
            columns.append(self.b[i] + torch.sigmoid(a) @ self.V[i])  # (B,)
            a = a + x_flat[:, i : i + 1] * self.W[:, i]  # (B, K)
        logits = torch.stack(columns, dim=1)  # (B, D)""",
        failing={"test_nade.py": (), "test_quality.py": ()},
        fragment="",
    ),
    Bug(
        name="log_prob_logsigmoid",
        description="log_prob with F.logsigmoid and a sum over dimensions (1, 2, 3)",
        cell="base_model",
        old="""        log_lik = -F.binary_cross_entropy_with_logits(logits, x, reduction="none")  # (B, 1, H, W), nats
        return log_lik.flatten(start_dim=1).sum(dim=1)  # (B,)""",
        new="""        log_lik = x * F.logsigmoid(logits) + (1 - x) * F.logsigmoid(-logits)  # (B, 1, H, W)
        return log_lik.sum(dim=(1, 2, 3))  # (B,)""",
        failing={"test_log_prob.py": (), "test_training.py": ()},
        fragment="",
    ),
    Bug(
        name="sample_via_complete",
        description="sample completes an image of which nothing is observed",
        cell="base_model",
        old="""        images = torch.zeros(num_samples, 1, H, W, device=self.device)  # (N, 1, H, W)
        for r in range(H):
            for c in range(W):
                logits = self(images)  # (N, 1, H, W)
                images[:, :, r, c] = torch.bernoulli(torch.sigmoid(logits[:, :, r, c]))  # (N, 1)
        return images""",
        new="""        images = torch.zeros(num_samples, 1, H, W, device=self.device)
        return self.complete(images, torch.zeros_like(images, dtype=torch.bool))""",
        failing={"test_sampling.py": ()},
        fragment="",
    ),
    Bug(
        name="complete_skips_observed_pixels",
        description="complete runs the model only for pixels that some image does not observe, with masked assignment",
        cell="base_model",
        old="""                logits = self(completed)  # (B, 1, H, W)
                drawn = torch.bernoulli(torch.sigmoid(logits[:, :, r, c]))  # (B, 1)
                observed = observed_mask[:, :, r, c]  # (B, 1) bool
                completed[:, :, r, c] = torch.where(observed, images[:, :, r, c], drawn)  # (B, 1)""",
        new="""                if bool(observed_mask[:, :, r, c].all()):
                    continue
                probs = torch.sigmoid(self(completed)[:, :, r, c])  # (B, 1)
                missing = ~observed_mask[:, :, r, c]  # (B, 1)
                completed[:, :, r, c][missing] = torch.bernoulli(probs)[missing]""",
        failing={"test_completion.py": ()},
        fragment="",
    ),
    Bug(
        name="mask_bool_broadcast",
        description="a (1, 1, k, k) boolean mask built from index grids, and F.conv2d in forward",
        cell="masked_conv",
        old="""        m = kernel_size // 2  # index of the centre row and column
        mask = torch.ones_like(self.weight)  # (out_channels, in_channels, k, k)
        mask[:, :, m, m + (1 if mask_type == "B" else 0) :] = 0.0  # centre row: right of the centre (and the centre for A)
        mask[:, :, m + 1 :, :] = 0.0  # every row below the centre""",
        new="""        m = kernel_size // 2
        rows = torch.arange(kernel_size).view(-1, 1)
        cols = torch.arange(kernel_size).view(1, -1)
        keep = (rows < m) | ((rows == m) & ((cols <= m) if mask_type == "B" else (cols < m)))
        mask = keep.view(1, 1, kernel_size, kernel_size)""",
        more=(("return self._conv_forward(x, self.weight * self.mask, self.bias)",
               "return F.conv2d(x, self.weight * self.mask, self.bias, self.stride, self.padding, self.dilation, self.groups)"),),
        failing={"test_masked_conv.py": (), "test_pixelcnn.py": ()},
        fragment="",
    ),
]

BUGS_BY_NAME: dict[str, Bug] = {bug.name: bug for bug in BUGS + CORRECT_VARIANTS}


def apply_bug(notebook: dict, bug: Bug) -> dict:
    """Return a copy of the notebook (nbformat JSON) with the bug's patch applied to its cell."""
    notebook = json.loads(json.dumps(notebook))
    cells = [c for c in notebook["cells"] if (c.get("metadata", {}).get("nbgrader") or {}).get("grade_id") == bug.cell]
    if len(cells) != 1:
        raise ValueError(f"bug {bug.name}: the solution has {len(cells)} cells with grade_id {bug.cell!r}")
    source = "".join(cells[0]["source"]) if isinstance(cells[0]["source"], list) else cells[0]["source"]
    for old, new in ((bug.old, bug.new), *bug.more):
        if source.count(old) != 1:
            raise ValueError(f"bug {bug.name}: the snippet {old!r} occurs {source.count(old)} times in cell {bug.cell!r}, not once")
        source = source.replace(old, new)
    cells[0]["source"] = source
    return notebook


def write_buggy_notebook(bug: Bug, folder: Path, solution: Path = SOLUTION) -> Path:
    """Write the solution with ``bug`` applied to ``folder/<bug.name>.ipynb`` and return its path."""
    notebook = apply_bug(json.loads(Path(solution).read_text(encoding="utf-8")), bug)
    path = Path(folder) / f"{bug.name}.ipynb"
    path.write_text(json.dumps(notebook, indent=1), encoding="utf-8")
    return path
