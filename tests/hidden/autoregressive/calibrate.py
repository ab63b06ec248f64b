"""Calibrate the thresholds of the quality tests (test_quality.py) and record them in calibration.json.

For each model, the reference solution (solutions/autoregressive/autoregressive.ipynb, loaded like a
submission) is trained and scored by :func:`ar_quality.train_and_evaluate`, the function the hidden
test runs, over several seeds. The threshold is

    threshold = max over seeds + max(MIN_MARGIN, 3 * std over seeds)

so that the reference passes on every seed with room for hardware differences (CPU/GPU float32,
thread counts), while bad models score worse: the independent-pixel baseline and, with
``--bad``, realistic buggy submissions from tests/known_bugs/autoregressive/bugs.py trained the same way.

    python tests/hidden/autoregressive/calibrate.py --budget quick --seeds 12 --bad
"""

from __future__ import annotations

import argparse
import datetime
import json
import platform
import statistics
import tempfile
import time
from pathlib import Path

import ar_quality  # a sibling: this script's folder is on sys.path
import lightning
import torch

from gradelib.course import Course
from gradelib.loader import load_notebook

COURSE = Course.find(Path(__file__).resolve().parent)
SOLUTION = COURSE.solution("autoregressive")
MIN_MARGIN = 0.5  # nats
MARGIN_RULE = "threshold = max over seeds + max(0.5 nats, 3 * sample std over seeds)"
#: Known bugs whose trained models show that the threshold rejects bad models (model class, bug name).
BAD_MODELS = [("NADE", "nade_shift_two"), ("NADE", "log_prob_sign_flipped"), ("PixelCNN", "pixelcnn_all_type_a")]


def calibrate_model(module, model_name: str, budget: str, seeds: list[int], device: torch.device) -> dict:
    values, times = [], []
    for seed in seeds:
        start = time.monotonic()
        values.append(ar_quality.train_and_evaluate(module, model_name, budget=budget, seed=seed, device=device))
        times.append(time.monotonic() - start)
        print(f"  {model_name} seed {seed}: {values[-1]:.4f} nats ({times[-1]:.1f} s)", flush=True)
    std = statistics.stdev(values) if len(values) > 1 else 0.0
    margin = max(MIN_MARGIN, 3 * std)
    return {
        "seeds": seeds,
        "nll_nats": [round(v, 4) for v in values],
        "mean": round(statistics.mean(values), 4),
        "std": round(std, 4),
        "max": round(max(values), 4),
        "margin": round(margin, 4),
        "threshold": round(max(values) + margin, 2),
        "seconds_per_run": round(statistics.mean(times), 2),
        "training": ar_quality.CONFIGS[budget]["models"][model_name],
    }


def bad_model_nlls(model_name: str, bug_name: str, budget: str, device: torch.device, seeds: list[int]) -> dict:
    bugs = COURSE.import_helper(COURSE.known_bugs("autoregressive"), "bugs")

    bug = bugs.BUGS_BY_NAME[bug_name]
    with tempfile.TemporaryDirectory() as folder:
        path = bugs.write_buggy_notebook(bug, Path(folder))
        module = load_notebook(path)
    values = [ar_quality.train_and_evaluate(module, model_name, budget=budget, seed=s, device=device) for s in seeds]
    print(f"  bad {model_name} ({bug_name}): {[round(v, 3) for v in values]}", flush=True)
    return {"bug": bug_name, "description": bug.description, "seeds": seeds, "nll_nats": [round(v, 4) for v in values]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--budget", choices=sorted(ar_quality.CONFIGS), default="quick")
    parser.add_argument("--seeds", type=int, default=12, help="number of seeds (0, 1, ...); the test uses seed 0")
    parser.add_argument("--models", default="NADE,PixelCNN")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads (results do not depend on it)")
    parser.add_argument("--bad", action="store_true", help="also train the bad models of BAD_MODELS (3 seeds each)")
    parser.add_argument("--output", type=Path, default=ar_quality.CALIBRATION_PATH)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    seeds = list(range(args.seeds))
    module = load_notebook(SOLUTION)
    record = json.loads(args.output.read_text()) if args.output.exists() else {}
    record.update({
        "what": "Thresholds of tests/hidden/autoregressive/test_quality.py: test NLL in nats per image after "
                "ar_quality.train_and_evaluate (the graded run uses seed ar_quality.TEST_SEED).",
        "script": "tests/hidden/autoregressive/calibrate.py",
        "margin_rule": MARGIN_RULE,
        "test_seed": ar_quality.TEST_SEED,
    })
    budgets = record.setdefault("budgets", {})
    entry = budgets.get(args.budget, {})
    entry.update({
        "calibrated": True,
        "budget": args.budget,
        "data": ar_quality.CONFIGS[args.budget]["data"],
        "batch_size": ar_quality.CONFIGS[args.budget]["batch_size"],
        "image_shape": ar_quality.CONFIGS[args.budget]["image_shape"],
        "device": str(device) + (f" ({platform.processor() or platform.machine()}, {args.threads} threads)" if device.type == "cpu" else ""),
        "torch": torch.__version__,
        "lightning": lightning.__version__,
        "python": platform.python_version(),
        "date": datetime.date.today().isoformat(),
        "independent_pixel_nll": round(ar_quality.independent_pixel_nll(args.budget), 4),
    })
    entry.pop("note", None)
    models = entry.setdefault("models", {})
    print(f"budget {args.budget}: independent-pixel baseline {entry['independent_pixel_nll']:.3f} nats", flush=True)
    for model_name in args.models.split(","):
        result = calibrate_model(module, model_name, args.budget, seeds, device)
        result["independent_pixel_nll"] = entry["independent_pixel_nll"]
        if args.bad:
            result["bad_models"] = [
                bad_model_nlls(name, bug, args.budget, device, seeds[:3]) for name, bug in BAD_MODELS if name == model_name
            ]
            for bad in result["bad_models"]:
                bad["rejected_by_threshold"] = all(value >= result["threshold"] for value in bad["nll_nats"])
            result["independent_pixel_rejected"] = entry["independent_pixel_nll"] >= result["threshold"]
        models[model_name] = result
        print(f"  {model_name}: mean {result['mean']:.3f}, max {result['max']:.3f}, threshold {result['threshold']:.2f}", flush=True)
    budgets[args.budget] = entry
    args.output.write_text(json.dumps(record, indent=2) + "\n")
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
