"""Known bugs of vae: realistic mistakes, and other correct ways to write the TODOs.

Data only: :class:`gradelib.kit.known_bugs.Bug` says what each entry means, and tests/course/test_known_bugs.py
applies each one to solutions/vae/vae.ipynb and grades it through gradelib's own door. A bug must fail exactly the
tests in ``fails`` (in the groups they name) and pass the other tests of those groups.
"""

from gradelib.kit.known_bugs import Bug

BUGS: list[Bug] = [
    Bug(
        name="kl_wrong_sign",
        description="the analytic KL has the wrong sign (the loss rewards a large KL)",
        cell="vae_functions",
        edits=[("return 0.5 * (mu.pow(2) + logvar.exp() - 1.0 - logvar).sum(dim=1)",
                "return -0.5 * (mu.pow(2) + logvar.exp() - 1.0 - logvar).sum(dim=1)")],
        fails=["kl::test_kl_closed_form_values", "kl::test_kl_nonnegative_and_zero_at_prior",
               "kl::test_kl_matches_monte_carlo"],
        message_mentions="wrong sign",
    ),
    Bug(
        name="std_used_as_logvar",
        description="reparameterize uses the log-variance as the standard deviation: z = mu + logvar * eps",
        cell="vae_functions",
        edits=[("return mu + torch.exp(0.5 * logvar) * eps", "return mu + logvar * eps")],
        fails=["reparameterize::test_reparameterize_gradients", "reparameterize::test_reparameterize_moments"],
        message_mentions="logvar as the standard",
    ),
    Bug(
        name="sample_without_reparameterization",
        description="z is drawn with Normal(mu, std).sample(), which has no gradient to the encoder",
        cell="vae_functions",
        edits=[("eps = torch.randn_like(mu)  # (..., L), on mu's device and dtype\n    return mu + torch.exp(0.5 * logvar) * eps",
                "return torch.distributions.Normal(mu, torch.exp(0.5 * logvar)).sample()")],
        fails=["reparameterize::test_reparameterize_gradients"],
        message_mentions="No gradient reaches mu",
    ),
    Bug(
        name="mse_reported_as_nats",
        description="the Bernoulli reconstruction term is a squared error of the probabilities, reported as nats",
        cell="vae_functions",
        edits=[('return -F.binary_cross_entropy_with_logits(logits, x, reduction="none").sum(dim=-1)',
                'return -F.mse_loss(torch.sigmoid(logits), x, reduction="none").sum(dim=-1)')],
        fails=["elbo::test_bernoulli_log_likelihood", "elbo::test_zero_weight_vae", "elbo::test_elbo_terms_match_reference",
               "elbo::test_elbo_expectation_matches_reference"],
        message_mentions="squared error is not a log-likelihood",
    ),
    Bug(
        name="kl_averaged_over_latent_dims",
        description="the KL is averaged over the latent dimensions instead of summed",
        cell="vae_functions",
        edits=[("return 0.5 * (mu.pow(2) + logvar.exp() - 1.0 - logvar).sum(dim=1)",
                "return 0.5 * (mu.pow(2) + logvar.exp() - 1.0 - logvar).mean(dim=1)")],
        fails=["kl::test_kl_closed_form_values", "kl::test_kl_nonnegative_and_zero_at_prior",
               "kl::test_kl_matches_monte_carlo"],
        message_mentions="you average over the latent dimensions",
    ),
    Bug(
        name="iwae_averages_log_weights",
        description="the IWAE bound averages the log-weights (the ELBO again) instead of a log-mean-exp",
        cell="vae",
        edits=[("return torch.logsumexp(log_w, dim=0) - math.log(k)  # (B,)", "return log_w.mean(dim=0)  # (B,)")],
        fails=["elbo::test_bounds_below_log_likelihood_and_iwae_rises"],
        message_mentions="Averaging the log-weights gives the ELBO",
    ),
    Bug(
        name="noise_on_cpu",
        description="the noise is created with torch.randn(mu.shape): always on the CPU",
        cell="vae_functions",
        edits=[("eps = torch.randn_like(mu)  # (..., L), on mu's device and dtype", "eps = torch.randn(mu.shape)")],
        fails=["reparameterize::test_noise_on_input_device"],
        message_mentions="does not run on the device of its input",
    ),
    Bug(
        name="responsibilities_over_points",
        description="EM responsibilities are normalised over the data points instead of over the components",
        cell="gmm",
        edits=[("return (log_joint - torch.logsumexp(log_joint, dim=1, keepdim=True)).exp()  # (N, K)",
                "return (log_joint - torch.logsumexp(log_joint, dim=0, keepdim=True)).exp()  # (N, K)")],
        fails=["gmm::test_e_step_responsibilities", "gmm::test_em_never_lowers_likelihood",
               "gmm::test_fit_recovers_known_mixture"],
        message_mentions="normalised over the data points",
    ),
    Bug(
        name="gmm_log_of_sum_of_exps",
        description="the mixture's log-likelihood is computed as the log of a sum of exponentials",
        cell="gmm",
        edits=[("return torch.logsumexp(log_joint, dim=1)  # (N,)", "return log_joint.exp().sum(dim=1).log()  # (N,)")],
        fails=["gmm::test_gmm_log_likelihood_far_points"],
        message_mentions="log of a sum of exponentials",
    ),
    Bug(
        name="commitment_stop_gradient_wrong_side",
        description="the commitment loss detaches z_e instead of z_q, so it moves the codebook, not the encoder",
        cell="vq",
        edits=[("commitment_loss = F.mse_loss(z_e, z_q.detach())", "commitment_loss = F.mse_loss(z_e.detach(), z_q)")],
        fails=["vq::test_stop_gradients_on_the_right_side"],
        message_mentions="stop-gradient on the wrong side",
    ),
    Bug(
        name="no_straight_through",
        description="the VQ layer returns z_q itself, so no gradient reaches the encoder",
        cell="vq",
        edits=[("z_st = z_e + (z_q - z_e).detach()\n        return", "z_st = z_q\n        return")],
        fails=["vq::test_straight_through_gradient"],
        message_mentions="straight-through",
    ),
    Bug(
        name="kl_missing_from_loss",
        description="training_step minimises the reconstruction term alone (a KL weight of 0)",
        cell="vae",
        edits=[("loss = (-recon + self.hparams.kl_weight * kl).mean()", "loss = (-recon).mean()")],
        fails=["training::test_training_step_logs_and_minimises_neg_elbo"],
        message_mentions="KL term is missing from the loss",
    ),
    Bug(
        name="decoder_ignores_z",
        description="the decoder is given zeros instead of the sample z (posterior collapse by construction)",
        cell="vae",
        edits=[("recon = self.log_likelihood(x, self.decode(z, y))  # (B,)",
                "recon = self.log_likelihood(x, self.decode(torch.zeros_like(z), y))  # (B,)")],
        fails=["quality::test_test_elbo_above_threshold", "quality::test_latent_code_is_used",
               "quality::test_sample_fid_below_threshold"],
        message_mentions="test ELBO",
    ),
    Bug(
        name="conditional_labels_ignored",
        description="_common_step gives the model a constant label 0 instead of the batch's labels",
        cell="vae",
        edits=[("y = labels if self.hparams.num_classes else None",
                "y = torch.zeros_like(labels) if self.hparams.num_classes else None")],
        fails=["conditional::test_conditional_samples_have_requested_class"],
        message_mentions="passes the labels",
    ),
]

#: Other correct ways to write the TODOs: each must get full marks.
CORRECT_VARIANTS: list[Bug] = [
    Bug(
        name="variant_in_place_reparameterize_and_distributions_kl",
        description="reparameterize with in-place ops; the KL through torch.distributions.kl_divergence",
        cell="vae_functions",
        edits=[
            ("eps = torch.randn_like(mu)  # (..., L), on mu's device and dtype\n    return mu + torch.exp(0.5 * logvar) * eps",
             "std = logvar.mul(0.5).exp()\n    return torch.empty_like(std).normal_().mul(std).add(mu)"),
            ("return 0.5 * (mu.pow(2) + logvar.exp() - 1.0 - logvar).sum(dim=1)",
             "q = torch.distributions.Normal(mu, torch.exp(0.5 * logvar))\n"
             "    p = torch.distributions.Normal(torch.zeros_like(mu), torch.ones_like(mu))\n"
             "    return torch.distributions.kl_divergence(q, p).sum(dim=1)"),
            ('return -F.binary_cross_entropy_with_logits(logits, x, reduction="none").sum(dim=-1)',
             "return torch.distributions.Bernoulli(logits=logits).log_prob(x).sum(dim=-1)"),
        ],
    ),
    Bug(
        name="variant_softmax_e_step_and_loop_m_step",
        description="the E-step as a softmax over components; the M-step with a loop over components",
        cell="gmm",
        edits=[
            ("return (log_joint - torch.logsumexp(log_joint, dim=1, keepdim=True)).exp()  # (N, K)",
             "return torch.softmax(log_joint, dim=1)"),
            ('covs = torch.einsum("nk,nkd,nke->kde", resp, centred, centred) / counts.view(-1, 1, 1)  # (K, d, d)',
             "covs = torch.stack([(resp[:, k, None] * centred[:, k]).T @ centred[:, k] / counts[k]\n"
             "                        for k in range(resp.shape[1])])"),
        ],
    ),
    Bug(
        name="variant_iwae_with_distributions_and_cdist",
        description="IWAE log-densities through torch.distributions.Normal; VQ distances with torch.cdist",
        cell="vae",
        edits=[
            ("log_pz = -0.5 * (z.pow(2) + math.log(2 * math.pi)).sum(dim=-1)  # (k, B)",
             "log_pz = torch.distributions.Normal(0.0, 1.0).log_prob(z).sum(-1)"),
            ("log_qz = -0.5 * ((z - mu).pow(2) / logvar.exp() + logvar + math.log(2 * math.pi)).sum(dim=-1)  # (k, B)",
             "log_qz = torch.distributions.Normal(mu, (0.5 * logvar).exp()).log_prob(z).sum(-1)"),
            ("return torch.logsumexp(log_w, dim=0) - math.log(k)  # (B,)",
             "return torch.logsumexp(log_w - math.log(k), dim=0)"),
        ],
    ),
    Bug(
        name="variant_vq_cdist",
        description="VQ distances with torch.cdist and the straight-through output written as z_q + (z_e - z_e.detach())",
        cell="vq",
        edits=[
            ("distances = flat.pow(2).sum(1, keepdim=True) - 2 * flat @ codes.T + codes.pow(2).sum(1)  # (n, M)",
             "distances = torch.cdist(flat, codes) ** 2"),
            ("z_st = z_e + (z_q - z_e).detach()\n        return", "z_st = z_q.detach() + (z_e - z_e.detach())\n        return"),
        ],
    ),
]
