"""Known bugs of the autoregressive assignment: realistic mistakes, and other correct ways to write the TODOs.

Data only: :class:`gradelib.kit.known_bugs.Bug` says what each entry means, and tests/course/test_known_bugs.py
applies each one to solutions/autoregressive/autoregressive.ipynb and grades it through gradelib's own door.
"""

from gradelib.kit.known_bugs import Bug

BUGS: list[Bug] = [
    Bug(
        name="pixelcnn_first_layer_type_b",
        description="PixelCNN's first layer uses a type-B mask, so each pixel sees itself",
        cell="pixelcnn",
        edits=[
            ('self.input_conv = MaskedConv2d("A", 1, hidden_channels, kernel_size)',
             'self.input_conv = MaskedConv2d("B", 1, hidden_channels, kernel_size)'),
        ],
        fails=[
            "pixelcnn::test_pixelcnn_is_autoregressive",
            "pixelcnn::test_pixelcnn_is_normalised",
        ],
        message_mentions="depends on pixel (0, 0) itself",
    ),
    Bug(
        name="pixelcnn_all_type_a",
        description="every PixelCNN layer uses a type-A mask, so no pixel sees its left neighbour",
        cell="pixelcnn",
        edits=[
            ('MaskedConv2d("B", hidden_channels, hidden_channels, hidden_kernel_size)',
             'MaskedConv2d("A", hidden_channels, hidden_channels, hidden_kernel_size)'),
        ],
        fails=[
            "pixelcnn::test_pixelcnn_is_autoregressive",
        ],
        message_mentions="does not depend on the earlier pixel (0, 0)",
    ),
    Bug(
        name="nade_sees_itself",
        description="NADE uses the inclusive running sum: pixel i sees x_i",
        cell="nade",
        edits=[
            ("a = self.c.unsqueeze(-1) + F.pad(inclusive[:, :, :-1], (1, 0))",
             "a = self.c.unsqueeze(-1) + inclusive"),
        ],
        fails=[
            "nade::test_nade_is_autoregressive",
            "nade::test_nade_logits_match_reference",
            "nade::test_nade_is_normalised",
            "quality::test_nade_test_nll",
        ],
        message_mentions="itself",
    ),
    Bug(
        name="nade_shift_two",
        description="NADE shifts the running sum by two pixels: pixel i sees only x_1 .. x_{i-2}",
        cell="nade",
        edits=[
            ("a = self.c.unsqueeze(-1) + F.pad(inclusive[:, :, :-1], (1, 0))",
             "a = self.c.unsqueeze(-1) + F.pad(inclusive[:, :, :-2], (2, 0))"),
        ],
        fails=[
            "nade::test_nade_is_autoregressive",
            "nade::test_nade_logits_match_reference",
        ],
        message_mentions="does not depend on the earlier pixel (0, 0)",
    ),
    Bug(
        name="nade_cpu_tensor_in_forward",
        description="NADE's forward pads the running sum with a tensor created on the CPU",
        cell="nade",
        edits=[
            ("a = self.c.unsqueeze(-1) + F.pad(inclusive[:, :, :-1], (1, 0))",
             "a = self.c.unsqueeze(-1) + torch.cat([torch.zeros(B, self.W.shape[0], 1), inclusive[:, :, :-1]], dim=2)"),
        ],
        fails=[
            "nade::test_nade_runs_on_any_device",
        ],
        message_mentions="device=x.device",
    ),
    Bug(
        name="nade_quadratic_cost",
        description="NADE computes every pre-activation with a (D, D) mask: O(D^2 H) instead of the running sum",
        cell="nade",
        edits=[
            ("""        contributions = x_flat.unsqueeze(1) * self.W.unsqueeze(0)  # (B, K, D): U[:, j] x_j
        inclusive = torch.cumsum(contributions, dim=2)  # (B, K, D): sums over j <= i
        a = self.c.unsqueeze(-1) + F.pad(inclusive[:, :, :-1], (1, 0))  # (B, K, D): sums over j < i
        h = torch.sigmoid(a)  # (B, K, D)
        logits = self.b + torch.einsum("nkd,dk->nd", h, self.V)  # (B, D)""",
             """        D = self.num_pixels
        before = torch.tril(torch.ones(D, D, device=x.device), diagonal=-1)  # (D, D): 1 where j < i
        a = self.c + (x_flat.unsqueeze(1) * before) @ self.W.T  # (B, D, K): row i sums W[:, j] x_j over j < i
        h = torch.sigmoid(a)  # (B, D, K)
        logits = self.b + (h * self.V).sum(dim=2)  # (B, D)"""),
        ],
        fails=[
            "nade::test_nade_cost_is_linear_in_pixels",
        ],
        message_mentions="does too much work",
    ),
    Bug(
        name="log_prob_sign_flipped",
        description="log_prob returns the binary cross-entropy (the NLL) instead of the log-likelihood",
        cell="base_model",
        edits=[
            ('log_lik = -F.binary_cross_entropy_with_logits(logits, x, reduction="none")',
             'log_lik = F.binary_cross_entropy_with_logits(logits, x, reduction="none")'),
        ],
        fails=[
            "log_prob::test_log_prob_matches_reference",
            "log_prob::test_log_prob_of_fair_coins",
            "log_prob::test_log_prob_is_stable_for_large_logits",
            "log_prob::test_log_prob_is_normalised",
        ],
        message_mentions="wrong sign",
    ),
    Bug(
        name="log_prob_in_bits",
        description="log_prob reports bits (log base 2) instead of nats",
        cell="base_model",
        edits=[
            ("return log_lik.flatten(start_dim=1).sum(dim=1)  # (B,)",
             "return log_lik.flatten(start_dim=1).sum(dim=1) / math.log(2.0)  # (B,)"),
        ],
        fails=[
            "log_prob::test_log_prob_matches_reference",
            "log_prob::test_log_prob_of_fair_coins",
            "log_prob::test_log_prob_is_stable_for_large_logits",
            "log_prob::test_log_prob_is_normalised",
            "training::test_training_logs_and_lowers_nll",
            "training::test_validation_and_test_steps_log_nll",
            "training::test_pixelcnn_trains",
        ],
        message_mentions="in bits",
    ),
    Bug(
        name="log_prob_unstable",
        description="log_prob computes log(sigmoid(l)) and log(1 - sigmoid(l)) directly",
        cell="base_model",
        edits=[
            ('log_lik = -F.binary_cross_entropy_with_logits(logits, x, reduction="none")  # (B, 1, H, W), nats',
             """p = torch.sigmoid(logits)  # (B, 1, H, W)
        log_lik = x * torch.log(p) + (1 - x) * torch.log(1 - p)  # (B, 1, H, W), nats"""),
        ],
        fails=[
            "log_prob::test_log_prob_is_stable_for_large_logits",
        ],
        message_mentions="computed stably",
    ),
    Bug(
        name="training_logs_wrong_key",
        description="_common_step logs the NLL under a key without the unit ('train_loss')",
        cell="base_model",
        edits=[
            ('self.log(f"{stage}/nll_nats", nll, prog_bar=True)',
             'self.log(f"{stage}_loss", nll, prog_bar=True)'),
        ],
        fails=[
            "training::test_training_logs_and_lowers_nll",
            "training::test_validation_and_test_steps_log_nll",
            "training::test_pixelcnn_trains",
        ],
        message_mentions="did not log `train/nll_nats`",
    ),
    Bug(
        name="sampling_ignores_earlier_pixels",
        description="sample draws every pixel from one forward pass on an empty image",
        cell="base_model",
        edits=[
            ("""        for r in range(H):
            for c in range(W):
                logits = self(images)  # (N, 1, H, W)
                images[:, :, r, c] = torch.bernoulli(torch.sigmoid(logits[:, :, r, c]))  # (N, 1)
        return images""",
             """        logits = self(images)  # (N, 1, H, W): one pass
        return torch.bernoulli(torch.sigmoid(logits))"""),
        ],
        fails=[
            "sampling::test_samples_follow_the_model",
        ],
        message_mentions="do not follow the model's own probabilities",
    ),
    Bug(
        name="completion_overwrites_observed",
        description="complete draws every pixel, observed ones included",
        cell="base_model",
        edits=[
            ("completed[:, :, r, c] = torch.where(observed, images[:, :, r, c], drawn)  # (B, 1)",
             "completed[:, :, r, c] = drawn  # (B, 1)"),
        ],
        fails=[
            "completion::test_completion_keeps_observed_pixels",
            "completion::test_completion_of_first_row_follows_the_conditional",
            "completion::test_completion_with_scattered_observed_pixels",
        ],
        message_mentions="observed pixels",
    ),
    Bug(
        name="completion_stale_logits",
        description="complete runs the model once before the loop, so drawn pixels never condition later ones",
        cell="base_model",
        edits=[
            ("""        for r in range(H):
            for c in range(W):
                logits = self(completed)  # (B, 1, H, W)""",
             """        logits = self(completed)  # (B, 1, H, W)
        for r in range(H):
            for c in range(W):"""),
        ],
        fails=[
            "completion::test_completion_of_first_row_follows_the_conditional",
            "completion::test_completion_with_scattered_observed_pixels",
        ],
        message_mentions="do not follow the model's own probabilities",
    ),
    Bug(
        name="mask_wrong_centre_column",
        description="the mask's centre column is off by one: type A keeps the centre, type B also its right neighbour",
        cell="masked_conv",
        edits=[
            ('mask[:, :, m, m + (1 if mask_type == "B" else 0) :] = 0.0',
             'mask[:, :, m, m + 1 + (1 if mask_type == "B" else 0) :] = 0.0'),
        ],
        fails=[
            "masked_conv::test_mask_pattern[A-3]",
            "masked_conv::test_mask_pattern[A-5]",
            "masked_conv::test_mask_pattern[A-7]",
            "masked_conv::test_mask_pattern[B-3]",
            "masked_conv::test_mask_pattern[B-5]",
            "masked_conv::test_mask_pattern[B-7]",
            "pixelcnn::test_pixelcnn_is_autoregressive",
            "pixelcnn::test_pixelcnn_is_normalised",
        ],
        message_mentions="sees the kernel positions",
    ),
    Bug(
        name="mask_rows_and_columns_swapped",
        description="the mask zeroes the columns right of the centre instead of the rows below it",
        cell="masked_conv",
        edits=[
            ("mask[:, :, m + 1 :, :] = 0.0",
             "mask[:, :, :, m + 1 :] = 0.0"),
        ],
        fails=[
            "masked_conv::test_mask_pattern[A-3]",
            "masked_conv::test_mask_pattern[A-5]",
            "masked_conv::test_mask_pattern[A-7]",
            "masked_conv::test_mask_pattern[B-3]",
            "masked_conv::test_mask_pattern[B-5]",
            "masked_conv::test_mask_pattern[B-7]",
            "pixelcnn::test_pixelcnn_is_autoregressive",
            "pixelcnn::test_pixelcnn_is_normalised",
        ],
        message_mentions="sees the kernel positions",
    ),
    Bug(
        name="mask_applied_once_in_init",
        description="MaskedConv2d masks the initial weights once in __init__ and convolves with self.weight",
        cell="masked_conv",
        edits=[
            ("""        self.register_buffer("mask", mask)
""",
             """        self.register_buffer("mask", mask)
        with torch.no_grad():
            self.weight *= mask
"""),
            ("return self._conv_forward(x, self.weight * self.mask, self.bias)",
             "return self._conv_forward(x, self.weight, self.bias)"),
        ],
        fails=[
            "masked_conv::test_forward_leaves_weights_unchanged",
            "masked_conv::test_masked_conv_matches_reference",
            "masked_conv::test_mask_pattern[A-3]",
            "masked_conv::test_mask_pattern[A-5]",
            "masked_conv::test_mask_pattern[A-7]",
            "masked_conv::test_mask_pattern[B-3]",
            "masked_conv::test_mask_pattern[B-5]",
            "masked_conv::test_mask_pattern[B-7]",
            "pixelcnn::test_pixelcnn_logits_match_reference",
        ],
        message_mentions="masking the weights once in __init__ is not enough",
    ),
    Bug(
        name="mask_applied_in_place",
        description="MaskedConv2d.forward multiplies the mask into self.weight in place",
        cell="masked_conv",
        edits=[
            ("return self._conv_forward(x, self.weight * self.mask, self.bias)",
             """self.weight.data *= self.mask
        return self._conv_forward(x, self.weight, self.bias)"""),
        ],
        fails=[
            "masked_conv::test_forward_leaves_weights_unchanged",
            "masked_conv::test_masked_conv_gradients",
        ],
        message_mentions="changed self.weight in place",
    ),
    Bug(
        name="training_loss_sign_flipped",
        description="_common_step returns (and logs) the log-likelihood instead of the NLL: training maximises the NLL",
        cell="base_model",
        edits=[("        nll = -self.log_prob(images).mean()  # scalar, nats per image",
                "        nll = self.log_prob(images).mean()  # scalar, nats per image")],
        fails=["training::test_training_logs_and_lowers_nll", "training::test_validation_and_test_steps_log_nll",
               "training::test_pixelcnn_trains", "quality"],
        message_mentions="wrong sign",
    ),
    Bug(
        name="log_prob_double_sigmoid",
        description="log_prob passes sigmoid(logits) to binary_cross_entropy_with_logits (a double sigmoid)",
        cell="base_model",
        edits=[("""        log_lik = -F.binary_cross_entropy_with_logits(logits, x, reduction="none")  # (B, 1, H, W), nats""",
                """        log_lik = -F.binary_cross_entropy_with_logits(torch.sigmoid(logits), x, reduction="none")  # (B, 1, H, W)""")],
        fails=["log_prob::test_log_prob_matches_reference", "log_prob::test_log_prob_of_fair_coins",
               "log_prob::test_log_prob_is_stable_for_large_logits", "training", "quality"],
        message_mentions="sigmoid is applied twice",
    ),
    Bug(
        name="pixelcnn_relu_on_logits",
        description="PixelCNN's forward applies a ReLU after output_conv, so no logit is negative",
        cell="pixelcnn",
        edits=[("        logits = self.output_conv(h)  # (B, 1, H, W)",
                "        logits = F.relu(self.output_conv(h))  # (B, 1, H, W)")],
        fails=["pixelcnn::test_pixelcnn_is_autoregressive", "pixelcnn::test_pixelcnn_is_normalised",
               "pixelcnn::test_pixelcnn_logits_match_reference", "quality::test_pixelcnn_test_nll",
               "training::test_pixelcnn_trains"],
        message_mentions="ReLU",
    ),
    Bug(
        name="pixelcnn_hidden_kernel_fixed",
        description="PixelCNN's hidden layers use kernel 3 whatever hidden_kernel_size says",
        cell="pixelcnn",
        edits=[("MaskedConv2d(\"B\", hidden_channels, hidden_channels, hidden_kernel_size) for _ in range(num_hidden_layers)",
                "MaskedConv2d(\"B\", hidden_channels, hidden_channels, 3) for _ in range(num_hidden_layers)")],
        fails=["pixelcnn::test_pixelcnn_logits_match_reference"],
        message_mentions="hidden_kernel_size",
    ),
]

#: Other correct ways to write the TODOs: each must get full marks from the whole hidden suite.
CORRECT_VARIANTS: list[Bug] = [
    Bug(
        name="nade_python_loop",
        description="NADE's running sum of formula (8) as a Python loop over pixels",
        cell="nade",
        edits=[
            ("""        contributions = x_flat.unsqueeze(1) * self.W.unsqueeze(0)  # (B, K, D): U[:, j] x_j
        inclusive = torch.cumsum(contributions, dim=2)  # (B, K, D): sums over j <= i
        a = self.c.unsqueeze(-1) + F.pad(inclusive[:, :, :-1], (1, 0))  # (B, K, D): sums over j < i
        h = torch.sigmoid(a)  # (B, K, D)
        logits = self.b + torch.einsum("nkd,dk->nd", h, self.V)  # (B, D)""",
             """        a = self.c.expand(B, -1)  # (B, K)
        columns = []
        for i in range(self.num_pixels):
            columns.append(self.b[i] + torch.sigmoid(a) @ self.V[i])  # (B,)
            a = a + x_flat[:, i : i + 1] * self.W[:, i]  # (B, K)
        logits = torch.stack(columns, dim=1)  # (B, D)"""),
        ],
        also_graded=["nade", "quality"],
    ),
    Bug(
        name="log_prob_logsigmoid",
        description="log_prob with F.logsigmoid and a sum over dimensions (1, 2, 3)",
        cell="base_model",
        edits=[
            ("""        log_lik = -F.binary_cross_entropy_with_logits(logits, x, reduction="none")  # (B, 1, H, W), nats
        return log_lik.flatten(start_dim=1).sum(dim=1)  # (B,)""",
             """        log_lik = x * F.logsigmoid(logits) + (1 - x) * F.logsigmoid(-logits)  # (B, 1, H, W)
        return log_lik.sum(dim=(1, 2, 3))  # (B,)"""),
        ],
        also_graded=["log_prob", "training"],
    ),
    Bug(
        name="sample_via_complete",
        description="sample completes an image of which nothing is observed",
        cell="base_model",
        edits=[
            ("""        images = torch.zeros(num_samples, 1, H, W, device=self.device)  # (N, 1, H, W)
        for r in range(H):
            for c in range(W):
                logits = self(images)  # (N, 1, H, W)
                images[:, :, r, c] = torch.bernoulli(torch.sigmoid(logits[:, :, r, c]))  # (N, 1)
        return images""",
             """        images = torch.zeros(num_samples, 1, H, W, device=self.device)
        return self.complete(images, torch.zeros_like(images, dtype=torch.bool))"""),
        ],
        also_graded=["sampling"],
    ),
    Bug(
        name="complete_skips_observed_pixels",
        description="complete runs the model only for pixels that some image does not observe, with masked assignment",
        cell="base_model",
        edits=[
            ("""                logits = self(completed)  # (B, 1, H, W)
                drawn = torch.bernoulli(torch.sigmoid(logits[:, :, r, c]))  # (B, 1)
                observed = observed_mask[:, :, r, c]  # (B, 1) bool
                completed[:, :, r, c] = torch.where(observed, images[:, :, r, c], drawn)  # (B, 1)""",
             """                if bool(observed_mask[:, :, r, c].all()):
                    continue
                probs = torch.sigmoid(self(completed)[:, :, r, c])  # (B, 1)
                missing = ~observed_mask[:, :, r, c]  # (B, 1)
                completed[:, :, r, c][missing] = torch.bernoulli(probs)[missing]"""),
        ],
        also_graded=["completion"],
    ),
    Bug(
        name="mask_bool_broadcast",
        description="a (1, 1, k, k) boolean mask built from index grids, and F.conv2d in forward",
        cell="masked_conv",
        edits=[
            ("""        m = kernel_size // 2  # index of the centre row and column
        mask = torch.ones_like(self.weight)  # (out_channels, in_channels, k, k)
        mask[:, :, m, m + (1 if mask_type == "B" else 0) :] = 0.0  # centre row: right of the centre (and the centre for A)
        mask[:, :, m + 1 :, :] = 0.0  # every row below the centre""",
             """        m = kernel_size // 2
        rows = torch.arange(kernel_size).view(-1, 1)
        cols = torch.arange(kernel_size).view(1, -1)
        keep = (rows < m) | ((rows == m) & ((cols <= m) if mask_type == "B" else (cols < m)))
        mask = keep.view(1, 1, kernel_size, kernel_size)"""),
            ("return self._conv_forward(x, self.weight * self.mask, self.bias)",
             "return F.conv2d(x, self.weight * self.mask, self.bias, self.stride, self.padding, self.dilation, self.groups)"),
        ],
        also_graded=["masked_conv", "pixelcnn"],
    ),
    Bug(
        name="mask_as_parametrization",
        description="MaskedConv2d's mask registered with torch.nn.utils.parametrize (weight = original * mask)",
        cell="masked_conv",
        edits=[
            ("""        self.register_buffer("mask", mask)""",
             """        self.register_buffer("mask", mask)
        torch.nn.utils.parametrize.register_parametrization(self, "weight", _MaskWeight(mask))"""),
            ("        return self._conv_forward(x, self.weight * self.mask, self.bias)",
             "        return self._conv_forward(x, self.weight, self.bias)  # the parametrisation masks it"),
            ("class MaskedConv2d(nn.Conv2d):",
             """import torch.nn.utils.parametrize


class _MaskWeight(nn.Module):
    def __init__(self, mask: Tensor) -> None:
        super().__init__()
        self.register_buffer("mask", mask.clone())

    def forward(self, weight: Tensor) -> Tensor:
        return weight * self.mask


class MaskedConv2d(nn.Conv2d):"""),
        ],
        also_graded=["masked_conv", "pixelcnn"],
    ),
    Bug(
        name="training_logs_per_epoch",
        description="_common_step logs the NLL with on_step=False, on_epoch=True",
        cell="base_model",
        edits=[("""        self.log(f"{stage}/nll_nats", nll, prog_bar=True)""",
                """        self.log(f"{stage}/nll_nats", nll, prog_bar=True, on_step=False, on_epoch=True)""")],
        also_graded=["training"],
    ),
]
