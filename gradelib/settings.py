"""One home for gradelib's defaults and names: devices, budgets, time limits, environment variables.

The pytest plugin's options, the command line, the nbgrader preprocessor and the API all take their
defaults from here. This module imports nothing else of gradelib, so anything may import it.
"""

from __future__ import annotations

__all__ = [
    "DEVICES", "BUDGETS", "DEFAULT_DEVICE", "DEFAULT_BUDGET", "DEFAULT_TIMEOUT", "DEFAULT_TEST_TIMEOUT",
    "DEFAULT_CELL_TIMEOUT", "DEFAULT_CPU_THREADS", "DEFAULT_SEED_OFFSET", "DEFAULT_MEMORY_LIMIT_GB",
    "DEFAULT_ADDRESS_SPACE_GB", "DEFAULT_PROCESS_LIMIT", "DEFAULT_FILE_SIZE_LIMIT_MB", "DEFAULT_SCRATCH_LIMIT_MB",
    "LOG_TAIL_BYTES", "ENV_GRADING", "ENV_NBGRADER", "ENV_COURSE_ROOT", "ENV_DEVICE", "ENV_BUDGET", "ENV_TIMEOUT",
    "ENV_DATA_ROOT", "ENV_SANDBOX", "NOT_RUN_MESSAGE", "NOT_IMPLEMENTED_PREFIX", "PRELOADED_MODULES",
    "TRUSTED_PRELOADED_MODULES",
]

#: ``--device`` choices: ``auto`` picks CUDA when torch sees it.
DEVICES = ("auto", "cpu", "cuda")
#: ``--budget`` choices: ``quick`` grades on a 2-core laptop CPU in about a minute; ``full`` is for a GPU.
BUDGETS = ("quick", "full")

DEFAULT_DEVICE = "auto"
DEFAULT_BUDGET = "quick"
#: Seconds the whole hidden suite of one notebook may take, loading included.
DEFAULT_TIMEOUT = 600.0
#: Seconds one hidden test may take.
DEFAULT_TEST_TIMEOUT = 180.0
#: Seconds one notebook cell may run while the notebook loads for grading.
DEFAULT_CELL_TIMEOUT = 60.0
#: torch CPU threads while grading (the calibration's setting; also fastest when graders share cores).
DEFAULT_CPU_THREADS = 1
#: Added to every test's seed; 0 when grading, so that grading is deterministic.
DEFAULT_SEED_OFFSET = 0
#: Resident memory, in GiB, of a submission's whole process tree (all its processes together).
DEFAULT_MEMORY_LIMIT_GB = 6.0
#: Address space, in GiB, of the grading process on CPU-only machines (``GradingOptions.memory_limit_gb``;
#: not applied where CUDA may be used, since CUDA reserves far more address space than it uses).
DEFAULT_ADDRESS_SPACE_GB = 12.0
#: Processes and threads a submission's user may run at once (torch starts a thread per core).
DEFAULT_PROCESS_LIMIT = 512
#: Largest file, in MiB, that a submission may write.
DEFAULT_FILE_SIZE_LIMIT_MB = 256
#: Space, in MiB, of a submission's private scratch folder (and its /tmp).
DEFAULT_SCRATCH_LIMIT_MB = 512
#: At most this many bytes of a submission's own output are kept (its tail), for instructors.
LOG_TAIL_BYTES = 64 * 1024

#: Set to "1" while gradelib loads or grades a notebook (see ``gradelib.grading()``).
ENV_GRADING = "GRADELIB_GRADING"
#: Set to "autograde" by nbgrader (>= 0.9) in the kernel that runs ``nbgrader autograde``.
ENV_NBGRADER = "NBGRADER_EXECUTION"
#: Where the course directory is, when it cannot be found from the working directory.
ENV_COURSE_ROOT = "GRADELIB_COURSE_ROOT"
#: Grading settings read by the nbgrader door: device, budget, seconds for the whole suite.
ENV_DEVICE = "GRADELIB_DEVICE"
ENV_BUDGET = "GRADELIB_BUDGET"
ENV_TIMEOUT = "GRADELIB_TIMEOUT"
#: Where datasets are cached (default: the course's datasets/ folder).
ENV_DATA_ROOT = "GRADELIB_DATA_ROOT"
#: ``auto`` (the strongest sandbox this machine allows), ``process`` (a plain child process) or ``namespaces``.
ENV_SANDBOX = "GRADELIB_SANDBOX"

#: Imported by every submission process before its notebook arrives (public packages that notebooks use), so
#: that a spare process (:mod:`gradelib.warm`) is ready at once; about 7 s of a CPU, mostly torch and Lightning.
PRELOADED_MODULES = (
    "numpy", "torch", "torch.nn.functional", "lightning", "matplotlib", "matplotlib.pyplot",
    "gradelib", "gradelib.data", "gradelib.metrics", "gradelib.seeding", "gradelib.sandbox.probes",
)
#: Imported by a warm start's trusted fork server (:mod:`gradelib.warm`) before it forks a grading's pytest process.
TRUSTED_PRELOADED_MODULES = PRELOADED_MODULES + (
    "pytest", "scipy.stats", "gradelib.pytest_plugin", "gradelib.checks", "gradelib.sandbox.probes_gan",
    "gradelib.kit.calibration", "gradelib.loader",
)

NOT_RUN_MESSAGE = (
    "This test did not run: grading stopped before it reached this test (the time limit was reached, "
    "or the submission ended its own grading process, for example with os._exit or by crashing Python)."
)
#: Every "not implemented yet" message starts with this (a skeleton's TODO still raises NotImplementedError).
NOT_IMPLEMENTED_PREFIX = "Not implemented yet"
