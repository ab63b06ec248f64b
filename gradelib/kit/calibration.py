"""Calibration, written once: quality thresholds measured on the reference solution over many seeds.

The convention an assignment follows (``gradelib new`` writes a template):

``tests/hidden/<id>/quality.py`` defines

- ``QUALITY_RUNS: dict[str, QualityRun]``: each run is a function ``(module, *, budget, seed, device) -> float``
  (train the notebook's model with that seed and score it, e.g. a test NLL in nats or an FID), the direction
  in which it is better (``"lower"`` or ``"higher"``), its unit and its margin rule;
- ``TEST_SEED`` (optional, default 0): the seed the hidden test grades with (one of the calibration seeds);
- ``describe(budget) -> dict`` (optional): what the budget trains on, recorded beside the thresholds;
- ``baselines(budget, *, device) -> {run name: {baseline name: score}}`` (optional): bad models that the
  threshold must reject. A score is a float (a named score, also recorded under its name in the run's entry,
  e.g. ``independent_pixel_nll``), or a dict ``{"values": [...], "must_reject": bool, "description": str}``.

Sibling modules that quality.py imports (the suite's folder is on ``sys.path``) need assignment-unique names
(``ar_quality.py``, not ``helpers.py``): several suites are imported into one process by the project's tests.

``gradelib calibrate ID`` loads the reference solution (``solutions/<id>/<id>.ipynb``, trusted code) with
:func:`gradelib.loader.load_notebook`, runs every quality run over N seeds, and writes
``tests/hidden/<id>/calibration.json``::

    {"margin_rule": ..., "test_seed": 0, "command": "gradelib calibrate ...",
     "budgets": {"quick": {"calibrated": true, "device": ..., "machine": ..., "torch": ..., "lightning": ...,
                           "date": ..., <describe(budget)>,
                           "models": {<run>: {"seeds": [...], "values": [...], "unit": "nats", "direction": "lower",
                                             "mean", "std", "min", "max", "margin", "threshold", "training", ...}}}},
     "false_failures": {"offsets": 20, "count": 0, "date": ...}}

The margin rule, for "lower is better": ``threshold = max over seeds + max(min_margin, std_factor * std)``;
for "higher is better" its mirror, ``min over seeds - max(min_margin, std_factor * std)``.
"""

from __future__ import annotations

import datetime
import json
import os
import platform
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

__all__ = [
    "QualityRun",
    "CalibrationError",
    "QUALITY_MODULE",
    "load_quality",
    "margin_rule_text",
    "summarise",
    "passes",
    "calibrate",
    "read_calibration",
    "write_calibration",
    "record_false_failures",
    "resolve_device",
    "uncalibrated_record",
    "test_seed_of",
]

#: The file, in the hidden suite, that declares the quality runs.
QUALITY_MODULE = "quality.py"
DIRECTIONS = ("lower", "higher")


class CalibrationError(RuntimeError):
    """The assignment's quality module or calibration record is missing or malformed."""


@dataclass(frozen=True)
class QualityRun:
    """One seeded quality measurement of a notebook, and how its threshold is set.

    Attributes:
        function: ``(module, *, budget, seed, device) -> float``: the very function the hidden test grades with.
        direction: ``"lower"`` (an NLL, an FID) or ``"higher"`` (an accuracy) is better.
        unit: the score's unit, e.g. ``"nats"``.
        min_margin: the smallest margin between the worst seed and the threshold, in ``unit``.
        std_factor: the margin is at least this many standard deviations over seeds.
        decimals: the threshold is rounded to this many decimals.
        rerun_tolerance: how far a re-run of a recorded seed may drift (threads, library versions), in ``unit``.
        settings: ``budget -> dict``: what the run trains (model arguments, steps), recorded as ``training``.
    """

    function: Callable[..., float]
    direction: str = "lower"
    unit: str = ""
    min_margin: float = 0.5
    std_factor: float = 3.0
    decimals: int = 2
    rerun_tolerance: float = 0.1
    settings: Callable[[str], dict] | None = None

    def __post_init__(self) -> None:
        if self.direction not in DIRECTIONS:
            raise CalibrationError(f"direction must be one of {DIRECTIONS}, not {self.direction!r}")


def margin_rule_text(run: QualityRun) -> str:
    worst, sign = ("max", "+") if run.direction == "lower" else ("min", "-")
    return (
        f"threshold = {worst} over seeds {sign} max({run.min_margin:g} {run.unit}, {run.std_factor:g} * sample std "
        f"over seeds); {run.direction} is better"
    ).replace("  ", " ")


def load_quality(course, assignment: str) -> ModuleType:
    """Import ``tests/hidden/<id>/quality.py`` (with its folder on ``sys.path`` for its sibling modules).

    Raises:
        CalibrationError: no quality module, or it has no ``QUALITY_RUNS`` of :class:`QualityRun`.
    """
    suite = course.hidden_suite(assignment)
    path = suite / QUALITY_MODULE
    if not path.is_file():
        raise CalibrationError(f"{path} is missing: it declares the quality runs (see gradelib.kit.calibration)")
    module = course.import_helper(suite, path.stem, as_name=f"gradelib_quality_{assignment}")
    runs = getattr(module, "QUALITY_RUNS", None)
    if not isinstance(runs, dict) or not all(isinstance(run, QualityRun) for run in runs.values()):
        raise CalibrationError(
            f"{path} must define QUALITY_RUNS: a dict of name -> gradelib.kit.calibration.QualityRun"
        )
    return module


def test_seed_of(quality: ModuleType) -> int:
    """The seed the hidden test grades with (``TEST_SEED``, default 0)."""
    return int(getattr(quality, "TEST_SEED", 0))


test_seed_of.__test__ = False  # not a pytest test


def summarise(run: QualityRun, seeds: list[int], values: list[float]) -> dict:
    """Statistics over seeds and the threshold by the run's margin rule."""
    std = statistics.stdev(values) if len(values) > 1 else 0.0
    margin = max(run.min_margin, run.std_factor * std)
    worst = max(values) + margin if run.direction == "lower" else min(values) - margin
    threshold = round(worst, run.decimals)
    return {
        "seeds": list(seeds),
        "values": [round(v, 4) for v in values],
        "unit": run.unit,
        "direction": run.direction,
        "mean": round(statistics.mean(values), 4),
        "std": round(std, 4),
        "min": round(min(values), 4),
        "max": round(max(values), 4),
        "margin": round(margin, 4),
        "threshold": threshold,
    }


def passes(value: float, entry: dict) -> bool:
    """Does a score pass the recorded threshold (strictly better than it)?"""
    return value < entry["threshold"] if entry.get("direction", "lower") == "lower" else value > entry["threshold"]


def resolve_device(device: str):
    import torch

    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    return torch.device(device)


def _machine(device, threads: int) -> str:
    import torch

    if device.type == "cuda":
        return f"{torch.cuda.get_device_name(device)} (CUDA {torch.version.cuda})"
    return (
        f"{platform.machine()} {platform.processor() or ''}".strip()
        + f", {os.cpu_count()} cores, {threads} torch threads"
    )


def calibrate(
    course,
    assignment: str,
    *,
    budget: str = "quick",
    seeds: int = 12,
    seed_offset: int = 0,
    device: str = "cpu",
    runs: list[str] | None = None,
    with_baselines: bool = True,
    threads: int = 1,
    output: Path | None = None,
    log: Callable[[str], None] = print,
) -> dict:
    """Run the quality runs of the reference solution over seeds ``seed_offset .. seed_offset + seeds - 1``
    and write the calibration record (``course.calibration(assignment)`` unless ``output``). Returns the record."""
    import lightning
    import torch

    from gradelib.loader import load_notebook

    quality = load_quality(course, assignment)
    chosen = runs or list(quality.QUALITY_RUNS)
    unknown = sorted(set(chosen) - set(quality.QUALITY_RUNS))
    if unknown:
        raise CalibrationError(f"no quality run {unknown}; {assignment} has {sorted(quality.QUALITY_RUNS)}")
    torch.set_num_threads(threads)
    torch_device = resolve_device(device)
    seed_list = list(range(seed_offset, seed_offset + seeds))
    reference = load_notebook(course.solution(assignment))
    if reference.cell_errors:
        raise CalibrationError(
            "the reference solution failed to load: " + "; ".join(e.describe() for e in reference.cell_errors)
        )
    path = Path(output) if output else course.calibration(assignment)
    record = read_calibration(path) if path.is_file() else {}
    budget_entry: dict = {
        "calibrated": True,
        "budget": budget,
        **(quality.describe(budget) if hasattr(quality, "describe") else {}),
        "device": str(torch_device)
        + (f" ({platform.machine()}, {threads} threads)" if torch_device.type == "cpu" else ""),
        "machine": _machine(torch_device, threads),
        "torch": torch.__version__,
        "lightning": lightning.__version__,
        "python": platform.python_version(),
        "date": datetime.date.today().isoformat(),
    }
    old_models = record.get("budgets", {}).get(budget, {}).get("models", {}) if runs else {}
    models = budget_entry["models"] = {name: entry for name, entry in old_models.items() if name not in chosen}
    bad = quality.baselines(budget, device=torch_device) if with_baselines and hasattr(quality, "baselines") else {}
    for name in chosen:
        run = quality.QUALITY_RUNS[name]
        values, times = [], []
        for seed in seed_list:
            started = time.monotonic()
            values.append(float(run.function(reference, budget=budget, seed=seed, device=torch_device)))
            times.append(time.monotonic() - started)
            log(f"  {name} seed {seed}: {values[-1]:.4f} {run.unit} ({times[-1]:.1f} s)")
        entry = summarise(run, seed_list, values)
        entry["seconds_per_run"] = round(statistics.mean(times), 2)
        if run.settings is not None:
            entry["training"] = run.settings(budget)
        if bad.get(name):
            entry["baselines"] = {}
            for label, score in bad[name].items():
                if isinstance(score, (int, float)):
                    entry[label] = round(float(score), 4)
                    score = {"values": [float(score)], "must_reject": True}
                scores = [round(float(v), 4) for v in score["values"]]
                entry["baselines"][label] = {
                    **{k: v for k, v in score.items() if k not in ("values",)},
                    "values": scores,
                    "must_reject": bool(score.get("must_reject", True)),
                    "rejected": all(not passes(v, entry) for v in scores),
                }
        models[name] = entry
        log(
            f"  {name}: mean {entry['mean']:.3f}, worst {entry['max' if run.direction == 'lower' else 'min']:.3f}, "
            f"threshold {entry['threshold']:g} {run.unit}"
        )
    first = quality.QUALITY_RUNS[chosen[0]]
    record.update(
        {
            "what": f"Thresholds of the quality tests of tests/hidden/{assignment}/ (runs declared in "
            f"tests/hidden/{assignment}/{QUALITY_MODULE}); the graded run uses seed test_seed.",
            "command": f"gradelib calibrate {assignment} --budget {budget} --seeds {seeds}"
            + (f" --seed-offset {seed_offset}" if seed_offset else ""),
            "margin_rule": margin_rule_text(first),
            "test_seed": test_seed_of(quality),
        }
    )
    record.pop("script", None)
    record.setdefault("budgets", {})[budget] = budget_entry
    write_calibration(path, record)
    log(f"wrote {path}")
    return record


def read_calibration(path: Path) -> dict:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def recorded_threshold(assignment: str, run: str, budget: str, path: Path) -> tuple[float, dict]:
    """The threshold of a quality run at a budget, and its calibration entry, from an assignment's record.

    Args:
        assignment: the assignment id (named in the message).
        run: the quality run's name (a key of ``QUALITY_RUNS``).
        budget: ``"quick"`` or ``"full"``.
        path: the assignment's calibration.json.

    Raises:
        CheckFailure: addressed to the instructor, when that budget is not calibrated.
    """
    from gradelib.checks import CheckFailure  # the trusted hidden tests' failure type

    record = read_calibration(path).get("budgets", {}).get(budget, {})
    entry = record.get("models", {}).get(run)
    if not record.get("calibrated") or not entry or entry.get("threshold") is None:
        raise CheckFailure(
            f"Note for the instructor: the quality test '{run}' has no calibrated threshold for the '{budget}' budget "
            f"(see tests/hidden/{assignment}/calibration.json: {record.get('note', 'no entry')}). Run `gradelib "
            f"calibrate {assignment} --budget {budget}` on the grading hardware, or grade with --budget quick. This "
            "is not the student's fault."
        )
    return float(entry["threshold"]), entry


def write_calibration(path: Path, record: dict) -> None:
    Path(path).write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")


def uncalibrated_record(assignment: str) -> dict:
    """What ``gradelib new`` writes: no budget calibrated yet."""
    note = f"NOT CALIBRATED: run `gradelib calibrate {assignment} --budget {{budget}}` on the grading hardware."
    return {
        "what": f"Thresholds of the quality tests of tests/hidden/{assignment}/ (runs declared in "
        f"tests/hidden/{assignment}/{QUALITY_MODULE}).",
        "test_seed": 0,
        "budgets": {
            budget: {"calibrated": False, "budget": budget, "note": note.format(budget=budget), "models": {}}
            for budget in ("quick", "full")
        },
    }


def record_false_failures(
    course,
    assignment: str,
    *,
    offsets: int,
    count: int,
    notebooks: list[str],
    failures: list[str],
    budget: str = "quick",
) -> dict:
    """Write ``false_failures`` into the calibration record: how often correct notebooks failed over seed offsets."""
    path = course.calibration(assignment)
    record = read_calibration(path) if path.is_file() else uncalibrated_record(assignment)
    record["false_failures"] = {
        "offsets": offsets,
        "budget": budget,
        "notebooks": notebooks,
        "count": count,
        "failures": failures,
        "date": datetime.date.today().isoformat(),
    }
    write_calibration(path, record)
    return record["false_failures"]
