"""Grading a class on a Dask distributed cluster: ``gradelib grade-all DIR --scheduler ADDRESS``.

The same work as the local pool of processes, sent to a Dask scheduler: one task per submission, each running
:func:`gradelib.grader.grade_notebook` on a worker exactly as the local batch does (its pytest child, its
sandboxed submission process), and returning the report as data (JSON-ready dicts). Workers need the course
checkout and the submissions at the same paths as the client (a shared file system, as on a Slurm cluster) and
the course's environment. Start each worker with ``--nthreads 1`` (one grading at a time per worker: a grading
already uses several processes); on GPU nodes give each worker one GPU (``--resources GPU=1``, and a
``CUDA_VISIBLE_DEVICES`` of its own, which ``srun --gpus-per-task=1`` sets) and grade with ``--device cuda``:
each task then asks for one ``GPU`` resource, so a worker grades one submission on its own GPU.

The batch's bookkeeping (CSV, results files, journal, resume, report) stays with the client
(:mod:`gradelib.cli.grade_all`): a result is recorded as it comes back, whichever worker graded it.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

from gradelib.course import Course
from gradelib.grader import GradingOptions, grade_notebook
from gradelib.results import GradeReport

__all__ = ["grade_task", "grade_on_cluster", "connect", "ClusterUnreachable"]

#: The resource a task asks for when grading on a GPU (workers declare it with ``--resources GPU=1``).
GPU_RESOURCE = "GPU"


class ClusterUnreachable(RuntimeError):
    """The Dask scheduler could not be reached (a usage error: the address, or the cluster is down)."""


def grade_task(notebook: str, assignment: str, options: GradingOptions, course_root: str) -> dict:
    """What a worker runs for one submission: ``{"report": <results file's content>}`` or ``{"error": message}``
    when the grader itself broke (the batch records it as a grader error, as the local pool does)."""
    try:
        report = grade_notebook(Path(notebook), assignment, options, course=Course(Path(course_root)))
    except Exception as error:  # noqa: BLE001 - one broken grading must not stop the batch
        return {"error": f"grader error: {error}".splitlines()[0]}
    return {"report": report.to_json(html=False)}


def connect(address: str, timeout: float = 30.0):
    """A Dask client of the scheduler at ``address`` (``tcp://host:8786``), quiet on the console."""
    import logging

    for name in ("distributed", "distributed.client", "distributed.worker", "distributed.scheduler"):
        logging.getLogger(name).setLevel(logging.WARNING)
    from distributed import Client

    try:
        return Client(address, timeout=timeout, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as error:
        raise ClusterUnreachable(f"cannot reach the Dask scheduler at {address}: {error}") from None


def grade_on_cluster(client, notebooks: list[Path], assignment: str, options: GradingOptions,
                     course: Course) -> Iterator[tuple[int, GradeReport | None, str]]:
    """Grade every notebook as one task on the cluster; yield (index in ``notebooks``, report or None, error)
    as the tasks finish (in any order)."""
    from distributed import as_completed

    resources = {GPU_RESOURCE: 1} if options.device == "cuda" else None
    batch = uuid.uuid4().hex[:8]
    futures = {
        client.submit(grade_task, str(Path(notebook).resolve()), assignment, options, str(course.root.resolve()),
                      key=f"gradelib-{batch}-{index}", pure=False, resources=resources): index
        for index, notebook in enumerate(notebooks)
    }
    for future in as_completed(futures, loop=client.loop):
        index = futures[future]
        try:
            outcome = future.result()
        except Exception as error:  # noqa: BLE001 - a worker died or the task was lost: a grader error, retried on resume
            yield index, None, f"grader error: the cluster lost this grading: {error}".splitlines()[0]
            continue
        if "report" in outcome:
            yield index, GradeReport.from_json(outcome["report"]), ""
        else:
            yield index, None, str(outcome.get("error", "grader error"))
