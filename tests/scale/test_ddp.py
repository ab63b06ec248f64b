"""Do the reference LightningModules train unchanged on several devices? (Lightning's DDP, two CPU processes)

The autoregressive reference's code cells (public checks and grade cells left out, long training skipped
as when grading) become a module; its FVSBN trains for a few steps with ``strategy="ddp_spawn"`` on two CPU
processes (gloo). Both ranks must take the same steps and end with the same weights (DDP averages the
gradients). On GPUs the same module trains with ``L.Trainer(accelerator="gpu", devices=N, strategy="ddp")``.
Slow (two processes each import PyTorch and Lightning): run with ``python -m pytest -m slow tests/scale``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

from gradelib.loader import read_code_cells

TRAIN = textwrap.dedent("""
    import json, os, sys
    import lightning as L
    import torch
    from torch.utils.data import DataLoader, TensorDataset
    import ar_reference

    class Record(L.Callback):
        def on_train_end(self, trainer, module):
            weights = sum(float(p.detach().double().sum()) for p in module.parameters())
            with open(os.path.join(sys.argv[1], f"rank{trainer.global_rank}.json"), "w") as stream:
                json.dump({"rank": trainer.global_rank, "world": trainer.world_size, "steps": trainer.global_step,
                           "weights": weights}, stream)

    if __name__ == "__main__":
        L.seed_everything(0)
        images = torch.randint(0, 2, (64, 1, 4, 5)).float()
        data = DataLoader(TensorDataset(images, torch.zeros(64)), batch_size=8)
        model = ar_reference.FVSBN(image_shape=(4, 5))
        trainer = L.Trainer(accelerator="cpu", devices=2, strategy="ddp_spawn", max_steps=3, logger=False,
                            enable_checkpointing=False, enable_progress_bar=False, enable_model_summary=False,
                            callbacks=[Record()])
        trainer.fit(model, data)
""")


@pytest.mark.slow
def test_does_the_reference_train_with_ddp_on_two_cpu_processes(course, tmp_path):
    cells = read_code_cells(course.solution("autoregressive"))
    (tmp_path / "ar_reference.py").write_text("\n\n".join(cell.source for cell in cells))
    (tmp_path / "train.py").write_text(TRAIN)
    env = dict(os.environ, GRADELIB_GRADING="1", MPLBACKEND="Agg", PYTHONPATH=os.pathsep.join(
        filter(None, [str(tmp_path), str(course.root), os.environ.get("PYTHONPATH")])))
    done = subprocess.run([sys.executable, "train.py", str(tmp_path)], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-4000:]
    import json

    ranks = [json.loads((tmp_path / f"rank{rank}.json").read_text()) for rank in (0, 1)]
    assert [r["world"] for r in ranks] == [2, 2] and [r["steps"] for r in ranks] == [3, 3]
    assert ranks[0]["weights"] == pytest.approx(ranks[1]["weights"], abs=1e-9)  # replicas stay in step
