"""Known bugs of gan: realistic mistakes, and other correct ways to write the TODOs.

Data only: :class:`gradelib.kit.known_bugs.Bug` says what each entry means, and tests/course/test_known_bugs.py
applies each one to solutions/gan/gan.ipynb and grades it through gradelib's own door. A bug must fail exactly the
tests in ``fails`` (in the groups they name) and pass the other tests of those groups; the first test's message
must name the mistake.
"""

from gradelib.kit.known_bugs import Bug

_D_LOSS = "    return F.softplus(-real_logits).mean() + F.softplus(fake_logits).mean()"
_G_LOSS = '''    if kind == "minimax":
        return -F.softplus(fake_logits).mean()
    return F.softplus(-fake_logits).mean()'''
_D_STEP = '''        self.toggle_optimizer(opt_d)
        loss_d = self.discriminator_step_loss(real, fake.detach(), y)'''
_OPTIMISERS = '''        opt_g = torch.optim.Adam(self.generator.parameters(), lr=hp.learning_rate, betas=hp.betas)'''
_TRAINING_STEP = '''        fake = self(self.noise(real.shape[0]), y)  # (B, *data_shape), with the generator's graph
        # ---- discriminator ----
        self.toggle_optimizer(opt_d)
        loss_d = self.discriminator_step_loss(real, fake.detach(), y)
        opt_d.zero_grad()
        self.manual_backward(loss_d)
        opt_d.step()
        self.untoggle_optimizer(opt_d)
        logs = {"train/loss_d": loss_d.detach()}
        # ---- generator, after every k-th discriminator step ----
        if (batch_idx + 1) % self.hparams.k == 0:
            self.toggle_optimizer(opt_g)
            loss_g = self.generator_step_loss(fake, y)
            opt_g.zero_grad()
            self.manual_backward(loss_g)
            opt_g.step()
            self.untoggle_optimizer(opt_g)
            logs["train/loss_g"] = loss_g.detach()
        self.log_dict(logs, prog_bar=True)'''
_FID = "    return (mu1 - mu2).pow(2).sum() + torch.trace(sigma1) + torch.trace(sigma2) - 2 * torch.trace(cross)"
_IS = '''    log_p = logits.log_softmax(dim=1)  # (N, C)
    log_marginal = log_p.exp().mean(dim=0).log()  # (C,)'''
_X_HAT = "    x_hat = (eps * real + (1 - eps) * fake).detach().requires_grad_(True)  # (B, *shape)"

BUGS: list[Bug] = [
    Bug(
        name="fakes_not_detached",
        description="the discriminator's step is given the fakes with the generator's graph (no .detach())",
        cell="gan",
        edits=[(_D_STEP, _D_STEP.replace("fake.detach()", "fake"))],
        fails=["training::test_update_isolation", "training::test_k_discriminator_steps_per_generator_step",
               "training::test_discriminator_step_leaves_generator_gradients_alone", "training::test_logs_both_losses",
               "training::test_first_steps_match_reference[nonsaturating]",
               "training::test_first_steps_match_reference[minimax]"],
        message_mentions="fake.detach()",
    ),
    Bug(
        name="generator_minimises_log_d",
        description="the non-saturating generator cost has the wrong sign: it minimises log D(G(z))",
        cell="losses",
        edits=[("    return F.softplus(-fake_logits).mean()\n    ### END SOLUTION",
                "    return -F.softplus(-fake_logits).mean()\n    ### END SOLUTION")],
        fails=["losses::test_generator_loss_values", "losses::test_losses_stable_at_large_logits",
               "losses::test_loss_gradients", "saturation::test_nonsaturating_gradient_does_not_vanish"],
        message_mentions="the sign is wrong",
    ),
    Bug(
        name="real_and_fake_labels_swapped",
        description="the discriminator's cross-entropy gives real samples label 0 and fakes label 1",
        cell="losses",
        edits=[(_D_LOSS, "    return F.softplus(real_logits).mean() + F.softplus(-fake_logits).mean()")],
        fails=["losses::test_discriminator_loss_values", "losses::test_losses_stable_at_large_logits",
               "losses::test_loss_gradients", "optimal::test_trained_discriminator_approaches_optimum",
               "training::test_first_steps_match_reference[nonsaturating]",
               "training::test_first_steps_match_reference[minimax]"],
        message_mentions="labels are swapped",
    ),
    Bug(
        name="sigmoid_in_discriminator",
        description="the DCGAN discriminator ends with a sigmoid, and the losses (on logits) apply another one: "
                    "binary cross-entropy on probabilities",
        cell="dcgan",
        edits=[("            nn.Conv2d(2 * f, 1, 7),  # (B, 1, 1, 1)", "            nn.Conv2d(2 * f, 1, 7), nn.Sigmoid(),")],
        fails=["dcgan::test_discriminator_gives_logits", "latent::test_conditional_discriminator_uses_the_label",
               "penalty::test_penalty_matches_reference"],
        message_mentions="applies a sigmoid",
    ),
    Bug(
        name="one_optimizer_steps_both_networks",
        description="the generator's Adam is built over self.parameters(): its step also moves the discriminator",
        cell="gan",
        edits=[(_OPTIMISERS, _OPTIMISERS.replace("self.generator.parameters()", "self.parameters()"))],
        fails=["training::test_update_isolation", "training::test_k_discriminator_steps_per_generator_step",
               "training::test_first_steps_match_reference[nonsaturating]",
               "training::test_first_steps_match_reference[minimax]"],
        message_mentions="one optimiser steps both networks",
    ),
    Bug(
        name="fid_without_matrix_square_root",
        description="the covariance term of the FID is tr(S1 + S2 - 2 S1 S2), without the matrix square root",
        cell="evaluation",
        edits=[(_FID, _FID.replace("torch.trace(cross)", "torch.trace(sigma1 @ sigma2)"))],
        fails=["evaluation::test_frechet_distance_exact_cases", "evaluation::test_frechet_distance_matches_torch_fidelity"],
        message_mentions="matrix square root",
    ),
    Bug(
        name="inception_score_marginal_per_item",
        description="the Inception Score's marginal p(y) is computed per sample, not over the whole set",
        cell="evaluation",
        edits=[(_IS, _IS.replace("log_p.exp().mean(dim=0).log()", "log_p"))],
        fails=["evaluation::test_inception_score_matches_torch_fidelity"],
        message_mentions="marginal p(y) is one distribution",
    ),
    Bug(
        name="conditional_generator_ignores_label",
        description="the conditional generator pads z with zeros where the one-hot label belongs",
        cell="latent",
        edits=[("        return super().forward(torch.cat([z, F.one_hot(y, self.num_classes).to(z.dtype)], dim=1))",
                "        return super().forward(F.pad(z, (0, self.num_classes)))")],
        fails=["latent::test_conditional_generator_uses_the_label", "conditional::test_conditional_class_accuracy"],
        message_mentions="the label is ignored",
    ),
    Bug(
        name="penalty_on_real_samples",
        description="the gradient penalty is evaluated at the real samples instead of random interpolates",
        cell="penalty",
        edits=[(_X_HAT, "    x_hat = real.detach().requires_grad_(True)  # (B, *shape)")],
        fails=["penalty::test_penalty_matches_reference"],
        message_mentions="penalty at the real samples",
    ),
    Bug(
        name="naive_log_sigmoid",
        description="the losses take torch.log of torch.sigmoid: -inf at a logit of 100",
        cell="losses",
        edits=[(_D_LOSS, "    return -(torch.log(torch.sigmoid(real_logits)).mean() + torch.log(1 - torch.sigmoid(fake_logits)).mean())"),
               (_G_LOSS, '''    if kind == "minimax":
        return torch.log(1 - torch.sigmoid(fake_logits)).mean()
    return -torch.log(torch.sigmoid(fake_logits)).mean()''')],
        fails=["losses::test_losses_stable_at_large_logits"],
        message_mentions="overflows",
    ),
    Bug(
        name="penalty_without_create_graph",
        description="the penalty's gradient is computed without create_graph=True: a constant to the critic",
        cell="penalty",
        edits=[("    (grads,) = torch.autograd.grad(scores.sum(), x_hat, create_graph=True)  # (B, *shape)",
                "    (grads,) = torch.autograd.grad(scores.sum(), x_hat)  # (B, *shape)")],
        fails=["penalty::test_penalty_gradcheck"],
        message_mentions="create_graph=True",
    ),
    Bug(
        name="noise_on_the_cpu",
        description="the noise is drawn on the CPU whatever the module's device",
        cell="gan",
        edits=[("        return torch.randn(n, self.hparams.latent_dim, device=self.device)",
                "        return torch.randn(n, self.hparams.latent_dim)")],
        fails=["training::test_noise_and_samples_on_the_device"],
        message_mentions="device",
    ),
    Bug(
        name="k_ignored",
        description="the generator steps after every discriminator step whatever k",
        cell="gan",
        edits=[("        if (batch_idx + 1) % self.hparams.k == 0:", "        if True:")],
        fails=["training::test_k_discriminator_steps_per_generator_step"],
        message_mentions="(batch_idx + 1) % self.hparams.k == 0",
    ),
    Bug(
        name="jsd_without_zero_log_zero",
        description="the JSD multiplies p by log p - log m where p = 0: 0 * (-inf) is NaN",
        cell="optimal",
        edits=[("        return torch.where(a > 0, a * (log_a - log_m), torch.zeros_like(a)).sum() * dx",
                "        return (a * (log_a - log_m)).sum() * dx")],
        fails=["optimal::test_jensen_shannon_exact_values"],
        message_mentions="0 log 0 = 0",
    ),
    Bug(
        name="optimal_discriminator_from_densities",
        description="D* computed as the ratio of exponentiated log-densities: 0 / 0 where both underflow",
        cell="optimal",
        edits=[("    return torch.sigmoid(log_p_data - log_p_g)",
                "    return log_p_data.exp() / (log_p_data.exp() + log_p_g.exp())")],
        fails=["optimal::test_optimal_discriminator_closed_form"],
        message_mentions="underflow",
    ),
    Bug(
        name="interpolation_excludes_the_end",
        description="the interpolation's t runs over j / num_steps, so z1 is never reached",
        cell="latent",
        edits=[("    t = torch.linspace(0, 1, num_steps, dtype=z0.dtype, device=z0.device)[:, None]  # (S, 1)",
                "    t = (torch.arange(num_steps, dtype=z0.dtype, device=z0.device) / num_steps)[:, None]  # (S, 1)")],
        fails=["latent::test_linear_interpolation", "latent::test_spherical_interpolation"],
        message_mentions="both ends are included",
    ),
    Bug(
        name="biased_feature_covariance",
        description="the feature covariance divides by N instead of N - 1",
        cell="evaluation",
        edits=[("    return mu, centred.T @ centred / (features.shape[0] - 1)",
                "    return mu, centred.T @ centred / features.shape[0]")],
        fails=["evaluation::test_feature_statistics", "evaluation::test_frechet_distance_matches_torch_fidelity"],
        message_mentions="divide by N - 1",
    ),
    Bug(
        name="dcgan_generator_without_tanh",
        description="the DCGAN generator's output layer has no tanh: images outside [-1, 1]",
        cell="dcgan",
        edits=[("            nn.ConvTranspose2d(f, 1, 4, stride=2, padding=1), nn.Tanh(),  # (B, 1, 28, 28)",
                "            nn.ConvTranspose2d(f, 1, 4, stride=2, padding=1),  # (B, 1, 28, 28)")],
        fails=["dcgan::test_generator_matches_reference[16-8]", "dcgan::test_generator_matches_reference[5-4]",
               "latent::test_conditional_generator_uses_the_label"],
        message_mentions="nn.Tanh()",
    ),
    Bug(
        name="minimax_sign_wrong",
        description="the minimax generator cost has the wrong sign: it minimises -log(1 - D(G(z)))",
        cell="losses",
        edits=[('        return -F.softplus(fake_logits).mean()', '        return F.softplus(fake_logits).mean()')],
        fails=["losses::test_generator_loss_values", "losses::test_losses_stable_at_large_logits",
               "losses::test_loss_gradients", "saturation::test_minimax_gradient_vanishes"],
        message_mentions="the sign is wrong",
    ),
    Bug(
        name="discriminator_loss_one_mean_over_both",
        description="the discriminator's cross-entropy as one mean over the real and fake logits together (half of "
                    "formula (2) for equal batches)",
        cell="losses",
        edits=[(_D_LOSS, "    logits = torch.cat([real_logits, fake_logits])\n"
                         "    labels = torch.cat([torch.ones_like(real_logits), torch.zeros_like(fake_logits)])\n"
                         "    return F.binary_cross_entropy_with_logits(logits, labels)")],
        fails=["losses::test_discriminator_loss_values", "losses::test_losses_stable_at_large_logits",
               "losses::test_loss_gradients"],
        message_mentions="one mean over both batches",
    ),
    Bug(
        name="toggles_swapped",
        description="each banner toggles the other player's optimiser: toggle_optimizer(opt_g) around the "
                    "discriminator's step, toggle_optimizer(opt_d) around the generator's",
        cell="gan",
        edits=[("        self.toggle_optimizer(opt_d)\n", "        self.toggle_optimizer(opt_g)\n"),
               ("            self.toggle_optimizer(opt_g)\n", "            self.toggle_optimizer(opt_d)\n")],
        fails=["training::test_update_isolation", "training::test_k_discriminator_steps_per_generator_step",
               "training::test_discriminator_step_leaves_generator_gradients_alone", "training::test_logs_both_losses",
               "training::test_first_steps_match_reference[nonsaturating]",
               "training::test_first_steps_match_reference[minimax]"],
        message_mentions="toggle_optimizer(opt) freezes every parameter outside opt",
    ),
    Bug(
        name="generator_step_on_detached_fakes",
        description="the fakes are detached once for both players, so the generator's loss has no path to the generator",
        cell="gan",
        edits=[("        fake = self(self.noise(real.shape[0]), y)  # (B, *data_shape), with the generator's graph",
                "        fake = self(self.noise(real.shape[0]), y).detach()  # (B, *data_shape)")],
        fails=["training::test_update_isolation", "training::test_k_discriminator_steps_per_generator_step",
               "training::test_discriminator_step_leaves_generator_gradients_alone", "training::test_logs_both_losses",
               "training::test_first_steps_match_reference[nonsaturating]",
               "training::test_first_steps_match_reference[minimax]"],
        message_mentions="needs the fakes with their graph",
    ),
    Bug(
        name="discriminator_gradients_not_zeroed",
        description="the discriminator's optimiser never zeroes its gradients: they accumulate from step to step",
        cell="gan",
        edits=[("        opt_d.zero_grad()\n", "")],
        fails=["training::test_first_steps_match_reference[nonsaturating]",
               "training::test_first_steps_match_reference[minimax]"],
        message_mentions="gradients accumulate",
    ),
    Bug(
        name="fid_cross_term_once",
        description="the FID's cross term is tr((S1^1/2 S2 S1^1/2)^1/2), without the factor 2",
        cell="evaluation",
        edits=[(_FID, _FID.replace("- 2 * torch.trace(cross)", "- torch.trace(cross)"))],
        fails=["evaluation::test_frechet_distance_exact_cases", "evaluation::test_frechet_distance_matches_torch_fidelity"],
        message_mentions="the cross term counts once",
    ),
    Bug(
        name="covariance_over_samples",
        description="the feature covariance is centred @ centred.T, an (N, N) matrix over the samples",
        cell="evaluation",
        edits=[("    return mu, centred.T @ centred / (features.shape[0] - 1)",
                "    return mu, centred @ centred.T / (features.shape[0] - 1)")],
        fails=["evaluation::test_feature_statistics", "evaluation::test_frechet_distance_matches_torch_fidelity"],
        message_mentions="(D, D), not (N, N)",
    ),
    Bug(
        name="inception_score_marginal_as_mean_of_logs",
        description="the Inception Score's log p(y) is the mean of log p(y | x) over the samples, not the log of "
                    "their mean",
        cell="evaluation",
        edits=[(_IS, _IS.replace("log_p.exp().mean(dim=0).log()", "log_p.mean(dim=0)"))],
        fails=["evaluation::test_inception_score_matches_torch_fidelity"],
        message_mentions="not the mean of log p(y | x)",
    ),
    Bug(
        name="penalty_norm_over_channels_only",
        description="the gradient's norm over dim=1 only: right for 2-D points, one norm per pixel for images",
        cell="penalty",
        edits=[("    return (grads.flatten(start_dim=1).norm(dim=1) - 1).pow(2).mean()",
                "    return (grads.norm(dim=1) - 1).pow(2).mean()")],
        fails=["penalty::test_penalty_matches_reference"],
        message_mentions="one gradient norm per sample",
    ),
    Bug(
        name="penalty_without_square",
        description="the penalty is the mean of |grad| - 1, not of its square",
        cell="penalty",
        edits=[("    return (grads.flatten(start_dim=1).norm(dim=1) - 1).pow(2).mean()",
                "    return (grads.flatten(start_dim=1).norm(dim=1) - 1).mean()")],
        fails=["penalty::test_penalty_matches_reference", "penalty::test_penalty_of_a_linear_critic"],
        message_mentions="the square (|grad| - 1)^2",
    ),
]

#: Other correct ways to write the TODOs: each must get full marks (on the groups it is graded on).
CORRECT_VARIANTS: list[Bug] = [
    Bug(
        name="losses_with_library_functions",
        description="the losses with F.binary_cross_entropy_with_logits and F.logsigmoid",
        cell="losses",
        edits=[(_D_LOSS, "    return (F.binary_cross_entropy_with_logits(real_logits, torch.ones_like(real_logits))\n"
                         "            + F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits)))"),
               (_G_LOSS, '''    log_d = F.logsigmoid(fake_logits)  # log D(G(z))
    log_one_minus_d = F.logsigmoid(-fake_logits)  # log(1 - D(G(z)))
    return log_one_minus_d.mean() if kind == "minimax" else -log_d.mean()''')],
        also_graded=["losses", "saturation", "optimal", "training", "ring"],
    ),
    Bug(
        name="optimal_written_differently",
        description="D* as 1 / (1 + exp(log p_g - log p_data)); the JSD with torch.xlogy on the densities",
        cell="optimal",
        edits=[("    return torch.sigmoid(log_p_data - log_p_g)", "    return 1.0 / (1.0 + torch.exp(log_p_g - log_p_data))"),
               ('''    log_m = torch.logaddexp(log_p, log_q) - math.log(2.0)  # (N,)

    def kl_to_m(log_a: Tensor) -> Tensor:
        a = log_a.exp()  # (N,)
        return torch.where(a > 0, a * (log_a - log_m), torch.zeros_like(a)).sum() * dx

    return 0.5 * (kl_to_m(log_p) + kl_to_m(log_q))''', '''    p, q = log_p.exp(), log_q.exp()
    m = 0.5 * (p + q)
    kl_pm = (torch.xlogy(p, p) - torch.xlogy(p, m)).sum()
    kl_qm = (torch.xlogy(q, q) - torch.xlogy(q, m)).sum()
    return 0.5 * dx * (kl_pm + kl_qm)''')],
        also_graded=["optimal"],
    ),
    Bug(
        name="training_step_written_differently",
        description="Lightning's template style: fresh noise for each player, fakes for the discriminator drawn "
                    "without gradients, zero_grad after each step, k counted with an attribute, one log call per loss",
        cell="gan",
        edits=[(_TRAINING_STEP, '''        batch_size = real.shape[0]
        # ---- discriminator ----
        self.toggle_optimizer(opt_d)
        with torch.no_grad():
            fake_for_d = self(self.noise(batch_size), y)
        loss_d = self.discriminator_step_loss(real, fake_for_d, y)
        self.manual_backward(loss_d)
        opt_d.step()
        opt_d.zero_grad()
        self.untoggle_optimizer(opt_d)
        self.log("train/loss_d", loss_d, prog_bar=True)
        self.d_steps_taken = getattr(self, "d_steps_taken", 0) + 1
        # ---- generator ----
        if self.d_steps_taken % self.hparams.k == 0:
            self.toggle_optimizer(opt_g)
            loss_g = self.generator_step_loss(self(self.noise(batch_size), y), y)
            self.manual_backward(loss_g)
            opt_g.step()
            opt_g.zero_grad()
            self.untoggle_optimizer(opt_g)
            self.log("train/loss_g", loss_g, prog_bar=True)'''),
               ('''        hp = self.hparams
        opt_g = torch.optim.Adam(self.generator.parameters(), lr=hp.learning_rate, betas=hp.betas)
        opt_d = torch.optim.Adam(self.discriminator.parameters(), lr=hp.learning_rate, betas=hp.betas)
        return [opt_g, opt_d]''', '''        return [torch.optim.Adam(net.parameters(), lr=self.hparams.learning_rate, betas=self.hparams.betas)
                for net in (self.generator, self.discriminator)]'''),
               ("        return torch.randn(n, self.hparams.latent_dim, device=self.device)",
                "        return torch.randn((n, self.hparams.latent_dim), device=self.device, dtype=self.dtype)")],
        also_graded=["training", "ring", "digits", "conditional"],
    ),
    Bug(
        name="dcgan_written_differently",
        description="the DCGAN networks' forward with view and squeeze instead of indexing and flatten",
        cell="dcgan",
        edits=[("        return self.net(z[:, :, None, None])", "        return self.net(z.view(z.shape[0], -1, 1, 1))"),
               ("        return self.net(x).flatten()", "        return self.net(x).view(-1)")],
        also_graded=["dcgan", "latent", "penalty"],
    ),
    Bug(
        name="evaluation_written_differently",
        description="FID from the eigenvalues of S1 S2 (as torch-fidelity), the statistics with torch.cov, the "
                    "Inception Score with F.kl_div",
        cell="evaluation",
        edits=[('''    mu = features.mean(dim=0)  # (D,)
    centred = features - mu  # (N, D)
    return mu, centred.T @ centred / (features.shape[0] - 1)''', "    return features.mean(dim=0), torch.cov(features.T)"),
               ('''    root1 = sqrtm_psd(sigma1)
    cross = sqrtm_psd(root1 @ sigma2 @ root1)
''' + _FID, '''    eigenvalues = torch.linalg.eigvals(sigma1 @ sigma2)  # complex, real and >= 0 up to round-off
    trace_root = eigenvalues.sqrt().real.sum()
    return (mu1 - mu2) @ (mu1 - mu2) + sigma1.trace() + sigma2.trace() - 2 * trace_root'''),
               (_IS + '''
    return (log_p.exp() * (log_p - log_marginal)).sum(dim=1).mean().exp()''', '''    p = logits.softmax(dim=1)  # (N, C)
    marginal = p.mean(dim=0, keepdim=True).expand_as(p)  # (N, C)
    kl = F.kl_div(marginal.log(), p, reduction="none").sum(dim=1)  # (N,): KL(p(y|x) || p(y))
    return kl.mean().exp()''')],
        also_graded=["evaluation"],
    ),
    Bug(
        name="latent_written_differently",
        description="interpolation with torch.lerp and slerp from unit vectors; the label maps by view and repeat",
        cell="latent",
        edits=[('''    if not spherical:
        return (1 - t) * z0 + t * z1
    omega = torch.arccos((z0 @ z1 / (z0.norm() * z1.norm())).clamp(-1, 1))
    return (torch.sin((1 - t) * omega) * z0 + torch.sin(t * omega) * z1) / torch.sin(omega)''', '''    if not spherical:
        return torch.lerp(z0.expand(num_steps, -1), z1.expand(num_steps, -1), t)
    u0, u1 = z0 / z0.norm(), z1 / z1.norm()
    omega = torch.acos(torch.dot(u0, u1).clamp(-1.0, 1.0))
    weights0, weights1 = torch.sin((1 - t) * omega), torch.sin(t * omega)  # (S, 1) each
    return (weights0 * z0 + weights1 * z1) / omega.sin()'''),
               ('''        maps = F.one_hot(y, self.num_classes).to(x.dtype)[:, :, None, None].expand(-1, -1, *x.shape[2:])
        return super().forward(torch.cat([x, maps], dim=1))''', '''        B, _, H, W = x.shape  # batch, channels, height, width
        maps = F.one_hot(y, self.num_classes).to(x.dtype).view(B, self.num_classes, 1, 1).repeat(1, 1, H, W)
        return super().forward(torch.cat((x, maps), 1))''')],
        also_graded=["latent"],
    ),
    Bug(
        name="penalty_written_differently",
        description="the penalty's interpolates with torch.lerp, its norm written by hand",
        cell="penalty",
        edits=[(_X_HAT, "    x_hat = torch.lerp(fake.detach(), real.detach(), eps).requires_grad_()  # (B, *shape)"),
               ("    return (grads.flatten(start_dim=1).norm(dim=1) - 1).pow(2).mean()",
                "    norms = grads.pow(2).sum(dim=tuple(range(1, grads.dim()))).sqrt()  # (B,)\n"
                "    return ((norms - 1) ** 2).mean()")],
        also_graded=["penalty"],
    ),
    Bug(
        name="fid_with_scipy_sqrtm",
        description="the FID as pytorch-fid computes it: scipy.linalg.sqrtm of S1 S2 on NumPy copies, its real part",
        cell="evaluation",
        edits=[('''    root1 = sqrtm_psd(sigma1)
    cross = sqrtm_psd(root1 @ sigma2 @ root1)
''' + _FID, '''    from scipy import linalg

    m1, s1, m2, s2 = (t.detach().cpu().double().numpy() for t in (mu1, sigma1, mu2, sigma2))
    covmean, _ = linalg.sqrtm(s1.dot(s2), disp=False)
    value = ((m1 - m2) ** 2).sum() + s1.trace() + s2.trace() - 2 * covmean.real.trace()
    return torch.tensor(float(value), dtype=torch.float64)''')],
        also_graded=["evaluation"],
    ),
]
