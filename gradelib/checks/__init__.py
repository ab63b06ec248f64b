"""Reusable checks for hidden suites: each raises :class:`CheckFailure` with a message for a student.

One module per job:

- :mod:`~gradelib.checks.failures`: :class:`CheckFailure` (``CheckFailure.build``) and :func:`failure_message`
  (the one message format: checked, expected, found, likely cause);
- :mod:`~gradelib.checks.compare`: :func:`assert_close`, :func:`assert_shape` (values against a reference);
- :mod:`~gradelib.checks.gradients`: :func:`assert_gradcheck`, :func:`assert_module_gradcheck` (float64 gradcheck);
- :mod:`~gradelib.checks.autoregressive`: :func:`assert_autoregressive` (the Jacobian's causal structure);
- :mod:`~gradelib.checks.normalisation`: :func:`assert_normalised` (probabilities of all 2^D images sum to 1);
- :mod:`~gradelib.checks.goodness_of_fit`: :func:`assert_samples_match` (pooled chi-square test);
- :mod:`~gradelib.checks.devices`: :func:`assert_runs_on_meta` (no CPU tensors created inside a method);
- :mod:`~gradelib.checks.complexity`: :func:`count_work`, :func:`assert_work_scales` (O(n) versus O(n^2));
- :mod:`~gradelib.checks.honesty`: :func:`assert_responds` (a property that a constant satisfies pays
  only for computed outputs);
- :mod:`~gradelib.checks.weights`: :func:`copy_weights`, :func:`set_parameters` (weights by the skeleton's names);
- :mod:`~gradelib.checks.likelihood`: :func:`bernoulli_log_prob` (the grader's own log-likelihood);
- :mod:`~gradelib.checks.latent`: the grader's Gaussian KL, mixture and linear-Gaussian log-likelihoods.
"""

from gradelib.checks.autoregressive import (
    assert_autoregressive,
    default_probes,
    dependency_matrix,
    left_and_up,
    pixel_name,
)
from gradelib.checks.compare import FLOAT32_ATOL, FLOAT32_RTOL, as_tensor, assert_close, assert_shape
from gradelib.checks.complexity import assert_work_scales, count_work
from gradelib.checks.devices import META, assert_runs_on_meta
from gradelib.checks.failures import CheckFailure, failure_message
from gradelib.checks.goodness_of_fit import ChiSquareResult, assert_samples_match, pooled_chi_square
from gradelib.checks.gradients import assert_gradcheck, assert_module_gradcheck
from gradelib.checks.honesty import assert_responds, outputs_change_with_weights
from gradelib.checks.likelihood import bernoulli_log_prob, model_log_prob
from gradelib.checks.normalisation import all_binary_images, assert_normalised, outcome_index, outcome_name
from gradelib.checks.weights import copy_weights, randomize_parameters, set_parameters

__all__ = [
    "CheckFailure",
    "copy_weights",
    "set_parameters",
    "randomize_parameters",
    "assert_responds",
    "outputs_change_with_weights",
    "failure_message",
    "FLOAT32_ATOL",
    "FLOAT32_RTOL",
    "as_tensor",
    "assert_close",
    "assert_shape",
    "assert_gradcheck",
    "assert_module_gradcheck",
    "assert_autoregressive",
    "default_probes",
    "dependency_matrix",
    "left_and_up",
    "pixel_name",
    "all_binary_images",
    "assert_normalised",
    "outcome_index",
    "outcome_name",
    "ChiSquareResult",
    "assert_samples_match",
    "pooled_chi_square",
    "META",
    "assert_runs_on_meta",
    "count_work",
    "assert_work_scales",
    "bernoulli_log_prob",
    "model_log_prob",
]
