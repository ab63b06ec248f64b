"""Start a submission process, contained as well as this machine allows, and end it with everything it started.

Two kinds of sandbox (``sandbox_kind()`` says which this machine has; ``$GRADELIB_SANDBOX`` may ask
for the weaker one):

``namespaces`` (the grader runs as root on Linux with util-linux's ``unshare``: Gradescope, Docker,
most CI): the submission runs as PID 1 of its own PID, mount, network, IPC and UTS namespaces, as an
unprivileged user of its own, in a new root that holds no course file (see :mod:`gradelib.sandbox.jail`),
with limits on processes, file size and scratch space, and its resident memory (all its processes
together) watched; ending PID 1 ends every process it started, ``setsid`` daemons included.

``process`` (anywhere else: a student's laptop, a CI runner without root): a child process in its
own session, in a private scratch folder, in Python's isolated mode, with a scrubbed environment and
the same memory watch; its process group is ended with the grading. It runs as the grader's user, so
it can read what that user can read: the README's threat model says what that leaves open.

In both, the verdicts are decided in the trusted process that started it; nothing it sends back is
more than data (:mod:`gradelib.sandbox.codec`).
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

import gradelib
from gradelib import settings
from gradelib.logs import read_tail
from gradelib.processes import MACHINE_OUT_OF_MEMORY, kill_group, oom_kill_count, oom_kills_since
from gradelib.sandbox.channel import Channel, ChannelClosed, ChannelTimeout
from gradelib.sandbox.remote import Connection, RemoteObject, SubmissionDied

__all__ = [
    "capabilities", "sandbox_kind", "SandboxLimits", "SubmissionProcess", "LoadReport", "read_tail", "offer_spare",
    "take_spare",
]

_UID_BASE = 61000
_UID_RANGE = 4000


def capabilities() -> dict:
    """What the sandbox of this machine enforces (for instructors and the project's adversarial tests)."""
    kind = sandbox_kind()
    strong = kind == "namespaces"
    limits = SandboxLimits()
    return {
        "sandbox": kind,
        "verdicts_outside_submission": True,
        "own_pid_namespace": strong,
        "own_network_namespace": strong,
        "unprivileged_user": strong,
        "course_tree_hidden": strong,
        "private_tmp_mb": limits.scratch_mb if strong else None,
        "process_limit": limits.processes if strong else None,
        "file_size_limit_mb": limits.file_size_mb,
        "memory_watch_gb": limits.memory_gb,
    }


def sandbox_kind() -> str:
    """The strongest sandbox this machine allows: ``namespaces`` or ``process`` (``$GRADELIB_SANDBOX`` may lower it)."""
    wanted = os.environ.get(settings.ENV_SANDBOX, "auto")
    if wanted == "process":
        return "process"
    if sys.platform.startswith("linux") and os.geteuid() == 0 and shutil.which("unshare"):
        return "namespaces"
    if wanted == "namespaces":
        raise RuntimeError(f"{settings.ENV_SANDBOX}=namespaces needs root and util-linux's unshare on Linux")
    return "process"


@dataclass(frozen=True)
class SandboxLimits:
    """What a submission's whole process tree may use."""

    memory_gb: float = settings.DEFAULT_MEMORY_LIMIT_GB
    processes: int = settings.DEFAULT_PROCESS_LIMIT
    file_size_mb: int = settings.DEFAULT_FILE_SIZE_LIMIT_MB
    scratch_mb: int = settings.DEFAULT_SCRATCH_LIMIT_MB
    #: Address space of each process, in GiB, so that one giant allocation fails as an error in the cell that
    #: made it; applied only where CUDA is not used (CUDA reserves far more address space than it uses).
    address_space_gb: float = settings.DEFAULT_ADDRESS_SPACE_GB


@dataclass
class LoadReport:
    """How loading the notebook went, as the submission process reported it."""

    cell_errors: list[str]
    did_not_load: str | None
    cuda_initialized: bool


class SubmissionProcess:
    """One submission's notebook, loaded once in a contained process; a fresh copy of it per test.

        process = SubmissionProcess(cells, cell_timeout=60)
        report = process.start(timeout=120)
        module, connection = process.fork_test()     # a RemoteObject standing for the notebook's module
        ...
        process.end_test(connection)
        process.close()
    """

    def __init__(self, cells: list, *, cell_timeout: float | None, cpu_threads: int = settings.DEFAULT_CPU_THREADS,
                 limits: SandboxLimits = SandboxLimits(), sandbox: str | None = None, gpu: bool = False,
                 public_paths: tuple[Path, ...] = ()) -> None:
        self.cells = cells
        self.cell_timeout = cell_timeout
        self.cpu_threads = cpu_threads
        self.limits = limits
        self.sandbox = sandbox or sandbox_kind()
        self.gpu = gpu
        self.public_paths = tuple(public_paths)
        self.process: subprocess.Popen | None = None
        self.channel: Channel | None = None
        self.private: Path | None = None  # the grader's own folder for this process (mode 0700), made by spawn()
        self.uid: int | None = None
        self.killed_for: str | None = None
        self._oom_kills_at_start = oom_kill_count()  # to tell, if it dies, whether the kernel ran out of memory
        self._watch_stop = threading.Event()
        self._watcher: threading.Thread | None = None

    def signature(self) -> tuple:
        """What is fixed when the process starts (its jail, limits and threads): a spare serves a grading only if
        its signature is the one that grading would start with. The memory watch is set at adoption instead."""
        limits = (self.limits.processes, self.limits.file_size_mb, self.limits.scratch_mb, self.limits.address_space_gb)
        return (self.sandbox, self.cpu_threads, self.gpu, tuple(str(p) for p in self.public_paths), limits)

    # ---------------------------------------------------------------- life cycle
    def start(self, timeout: float) -> LoadReport:
        """Start the process and load the notebook; raises ChannelTimeout if loading takes longer than ``timeout``."""
        self.launch()
        return self.wait_loaded(timeout)

    def launch(self) -> None:
        """Start the process and send it the notebook, without waiting: it loads while the caller goes on."""
        self.spawn()
        self.send_notebook()

    def spawn(self, *, preload: bool = False) -> None:
        """Start the contained process; it waits for a notebook (:meth:`send_notebook`).

        Args:
            preload: import the packages that notebooks use first (``settings.PRELOADED_MODULES``), as a *spare*
                does (:mod:`gradelib.warm`): a process spawned ahead of the grading that will take it.
        """
        self.private = Path(tempfile.mkdtemp(prefix="gradelib-submission-"))
        self.uid = _unique_uid()
        ours, theirs = socket.socketpair()
        log = open(self.private / "submission.log", "wb")  # noqa: SIM115 - closed once the child has it
        command, program, cwd = self._command(theirs.fileno(), preload=preload)
        self.process = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=log, stderr=subprocess.STDOUT, cwd=cwd,
            env=self._environment(), start_new_session=True, pass_fds=(theirs.fileno(),),
        )
        log.close()
        theirs.close()
        self.process.stdin.write(program.encode())
        self.process.stdin.close()
        self.channel = Channel(ours)
        self._start_memory_watch()

    def send_notebook(self) -> None:
        """Send the notebook's cells; the process loads them while the caller goes on."""
        self.channel.send({"cells": [[c.number, c.source, c.grade_id] for c in self.cells],
                           "cell_timeout": self.cell_timeout, "cpu_threads": self.cpu_threads})

    def adopt(self, wanted: SubmissionProcess) -> None:
        """Take on ``wanted``'s notebook, time limit and memory limit, in a process that :func:`take_spare` gave
        to a forked grading; watch its memory from this process and send it the notebook."""
        self.cells, self.cell_timeout = wanted.cells, wanted.cell_timeout
        self.limits = wanted.limits
        self._start_memory_watch()  # the watch of the process that spawned the spare did not survive the fork
        self.send_notebook()

    def _start_memory_watch(self) -> None:
        self._watch_stop = threading.Event()
        self._watcher = threading.Thread(target=self._watch_memory, daemon=True)
        self._watcher.start()

    def alive(self) -> bool:
        """Is the process still running (also when this process is not its parent)?"""
        if self.process is None:
            return False
        try:
            with open(f"/proc/{self.process.pid}/stat", "rb") as stream:
                return stream.read().rsplit(b")", 1)[1].split()[0] != b"Z"
        except (OSError, IndexError):
            return False

    def wait_loaded(self, timeout: float) -> LoadReport:
        """Wait for the notebook to finish loading (:meth:`launch` first); ChannelTimeout after ``timeout`` s."""
        if self.channel is None:
            raise ChannelClosed("the submission process was not launched")
        reply = self.channel.recv(timeout=timeout)
        hello = reply.get("hello") if isinstance(reply, dict) else None
        if not isinstance(hello, dict):
            raise ChannelClosed("the submission process did not report how loading went")
        return LoadReport(
            cell_errors=[str(e)[:500] for e in hello.get("cell_errors", [])][:50],
            did_not_load=str(hello["did_not_load"])[:500] if hello.get("did_not_load") else None,
            cuda_initialized=bool(hello.get("cuda_initialized")),
        )

    def fork_test(self, timeout: float = 60.0) -> tuple[RemoteObject, Connection]:
        """A fresh copy of the loaded notebook for one test: (its module, the connection to it)."""
        if self.channel is None:
            raise SubmissionDied("the submission process is not running")
        try:
            self.channel.send({"op": "fork"})
            reply = self.channel.recv(timeout=timeout)
            fd = self.channel.recv_fd(timeout=timeout)
        except (ChannelClosed, ChannelTimeout):
            raise SubmissionDied(self._death_message()) from None
        if not isinstance(reply, dict) or "ok" not in reply:
            raise SubmissionDied(self._death_message())
        connection = Connection(Channel(socket.socket(fileno=fd)), device_map=None if _cuda_here() else {"cuda": "cpu"},
                                death_reason=self._death_reason)
        return RemoteObject(connection, 0, "module"), connection

    def end_test(self, connection: Connection | None) -> None:
        """End a test's process (and the processes it started in its group)."""
        if connection is not None:
            connection.close()
        if self.channel is None:
            return
        try:
            self.channel.send({"op": "end"})
            self.channel.recv(timeout=30)
        except (ChannelClosed, ChannelTimeout, OSError):
            self.close()

    def close(self) -> None:
        """End the submission process and everything it started; remove its private files."""
        self._watch_stop.set()
        if self.channel is not None:
            self.channel.close()
            self.channel = None
        if self.process is not None:
            _kill_tree(self.process)
            self.process = None
        if self.private is not None:
            shutil.rmtree(self.private, ignore_errors=True)

    def log_tail(self) -> str:
        """The last bytes the submission process printed (at most ``settings.LOG_TAIL_BYTES``)."""
        return read_tail(self.private / "submission.log") if self.private is not None else ""

    # ---------------------------------------------------------------- how it is started
    def _command(self, channel_fd: int, *, preload: bool = False) -> tuple[list[str], str, str]:
        gradelib_parent = str(Path(gradelib.__file__).resolve().parents[1])
        if self.sandbox == "namespaces":
            root = self.private / "root"
            root.mkdir()
            os.chmod(self.private, 0o711)  # the jail, root in its namespace, mounts a tmpfs on root/
            config = {
                "root": str(root), "visible": self._visible_paths(gradelib_parent), "uid": self.uid,
                "gid": self.uid, "scratch_mb": self.limits.scratch_mb, "file_size_mb": self.limits.file_size_mb,
                "processes": self.limits.processes, "gpu": self.gpu, "cgroup_procs": [],
                "address_space_gb": 0 if self.gpu else self.limits.address_space_gb,
            }
            program = (
                "import sys, json\n"
                f"sys.path.insert(0, {gradelib_parent!r})\n"
                "from gradelib.sandbox import jail\n"
                f"jail.enter(json.loads({json.dumps(config)!r}))\n"
                "from gradelib.sandbox.worker import main\n"
                f"main({channel_fd}, preload={preload!r})\n"
            )
            command = ["unshare", "--pid", "--fork", "--kill-child", "--mount", "--net", "--ipc", "--uts", "--",
                       sys.executable, "-I", "-"]
            if shutil.which("setpriv"):  # if the trusted process is killed, so is the whole sandbox
                command = ["setpriv", "--pdeathsig", "KILL", "--", *command]
            return command, program, "/"
        scratch = self.private / "scratch"
        scratch.mkdir()
        program = (
            "import sys\n"
            f"sys.path.insert(0, {gradelib_parent!r})\n"
            "import resource, signal\n"
            f"resource.setrlimit(resource.RLIMIT_FSIZE, ({self._file_size()}, {self._file_size()}))\n"
            "signal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n"
            + (f"resource.setrlimit(resource.RLIMIT_AS, ({self._address_space()}, {self._address_space()}))\n"
               if self._address_space() else "") +
            "from gradelib.sandbox.worker import main\n"
            f"main({channel_fd}, preload={preload!r})\n"
        )
        return [sys.executable, "-I", "-"], program, str(scratch)

    def _file_size(self) -> int:
        return self.limits.file_size_mb * 2**20

    def _address_space(self) -> int:
        """The per-process address-space limit in bytes (0: none, where CUDA may be used)."""
        return 0 if self.gpu or not self.limits.address_space_gb else int(self.limits.address_space_gb * 2**30)

    def _visible_paths(self, gradelib_parent: str) -> list[str]:
        """What the submission may read: the interpreter, its packages, public gradelib and public data."""
        import site
        import sysconfig

        paths = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix,
                 os.path.dirname(os.path.realpath(sys.executable))}
        for key in ("stdlib", "platstdlib", "purelib", "platlib"):
            paths.add(sysconfig.get_paths()[key])
        paths.update(site.getsitepackages() if hasattr(site, "getsitepackages") else [])
        paths.add(os.path.join(gradelib_parent, "gradelib"))
        paths.update(str(p) for p in self.public_paths)
        return sorted(p for p in paths if p and os.path.exists(p))

    def _environment(self) -> dict[str, str]:
        home = "/tmp" if self.sandbox == "namespaces" else str(self.private / "scratch")
        env = {
            "PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": home, "TMPDIR": home, "LANG": "C.UTF-8",
            settings.ENV_GRADING: "1", "MPLBACKEND": "Agg", "PYTHONHASHSEED": "0",
            "OMP_NUM_THREADS": str(self.cpu_threads), "MKL_NUM_THREADS": str(self.cpu_threads),
            "MPLCONFIGDIR": home, "TORCHINDUCTOR_CACHE_DIR": home, "XDG_CACHE_HOME": home,
        }
        for name in ("CUDA_VISIBLE_DEVICES", "NVIDIA_VISIBLE_DEVICES", "LD_LIBRARY_PATH"):
            if name in os.environ:
                env[name] = os.environ[name]
        return env

    # ---------------------------------------------------------------- the memory watch
    def _watch_memory(self) -> None:
        """Every 0.1 s, add up the resident memory of the submission's processes; end them all past the limit."""
        limit = self.limits.memory_gb * 2**30
        while not self._watch_stop.wait(0.1):
            process = self.process
            if process is None:
                return
            if _tree_rss(process.pid) > limit:
                self.killed_for = (f"its processes together used more than {self.limits.memory_gb:g} GiB of memory, "
                                   "the grader's limit")
                _kill_tree(process)
                return

    def machine_ran_out_of_memory(self) -> bool:
        """Has the kernel's out-of-memory killer ended a process since this one was made (a machine or container
        with too little memory, e.g. Gradescope's default, rather than the grader's own memory limit)?"""
        return oom_kills_since(self._oom_kills_at_start)

    def _death_reason(self) -> str | None:
        """Why the process ended, if the grader knows: its memory watch stopped it, or the kernel ran out of memory."""
        if self.killed_for:
            return f"Your notebook's process was stopped: {self.killed_for}."
        if self.machine_ran_out_of_memory():
            return f"Your notebook's process ended: {MACHINE_OUT_OF_MEMORY}."
        return None

    def _death_message(self) -> str:
        return self._death_reason() or ("Your notebook's process ended (it called os._exit or exit at top level, "
                                        "crashed Python, or went over the grader's limits).")


# ---------------------------------------------------------------- spares
_spare: SubmissionProcess | None = None
_uid_counter = itertools.count()


def offer_spare(process: SubmissionProcess | None) -> None:
    """Give this process a spare submission process (spawned, no notebook yet) for its grading to take."""
    global _spare
    _spare = process


def take_spare(wanted: SubmissionProcess) -> SubmissionProcess | None:
    """The spare offered to this process, if it would start as ``wanted`` would and is still running, else None
    (a spare that does not fit is ended). A spare serves one grading only: it is taken once."""
    global _spare
    spare, _spare = _spare, None
    if spare is None:
        return None
    if spare.signature() != wanted.signature() or not spare.alive():
        spare.close()
        return None
    return spare


def _unique_uid() -> int:
    """A user id for a new submission process that no other grading on this machine is likely to hold at once."""
    return _UID_BASE + (os.getpid() + 1009 * next(_uid_counter)) % _UID_RANGE


def _cuda_here() -> bool:
    try:
        import torch

        return torch.cuda.is_available()
    except Exception:  # noqa: BLE001
        return False


def _children_map() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as stream:
                fields = stream.read().rsplit(b")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(entry))
        except (OSError, IndexError, ValueError):
            continue
    return children


def _descendants(pid: int) -> list[int]:
    if not os.path.isdir("/proc"):
        return [pid]
    children = _children_map()
    found, stack = [], [pid]
    while stack:
        current = stack.pop()
        found.append(current)
        stack.extend(children.get(current, []))
    return found


def _tree_rss(pid: int) -> int:
    total = 0
    for member in _descendants(pid):
        try:
            with open(f"/proc/{member}/statm", "rb") as stream:
                total += int(stream.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, IndexError, ValueError):
            continue
    return total


def _kill_tree(process: subprocess.Popen) -> None:
    """SIGKILL the process, its session's group and every descendant still reachable; reap it."""
    kill_group(process.pid, members=_descendants(process.pid))
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=10)
