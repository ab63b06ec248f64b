"""A warm start for many gradings in a row: a class with ``grade-all``, the project's known-bug runs.

Each grading needs two fresh processes, the trusted pytest process and the student's submission process, and
each of them spends about 7 s of a CPU importing torch and Lightning before it does anything. A warm start
pays that once:

- a **trusted fork server** (a process of the grader, started clean) imports pytest, torch, Lightning and the
  grader's modules, then forks the trusted pytest process of each grading: the fork has them already, and
  nothing of the course (no hidden test, no reference, no submission) was ever loaded in the server;
- **spare submission processes**, started exactly as a grading starts its own (same sandbox, same limits)
  and already past their imports (:func:`gradelib.sandbox.worker._preload`), wait for a notebook. Each fork
  of the trusted server is given one spare, which serves that one grading only and ends with it; the server
  starts the next spare at once, while the grading runs.

A grading that goes through a warm start is the same grading: the same pytest command, the same sandbox and
limits, the same seeds and verdicts (the project's tests compare the two). Only the start-up is saved.

    with WarmStart(course, options) as warm:
        for notebook in notebooks:
            report = grade_notebook(notebook, "vae", options, course=course, warm=warm)

The server dies with the process that started it (``PR_SET_PDEATHSIG``) and when its channel closes; it
ends its forks and spares when it goes. A spare whose grading ended abruptly is ended by the server, and
its private folder removed.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import fcntl
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

from gradelib import settings
from gradelib.processes import kill_group

__all__ = ["WarmStart", "WarmChild", "SpareSettings"]

_PR_SET_PDEATHSIG = 1
_SERVER_READY_TIMEOUT_S = 600.0


@dataclass(frozen=True)
class SpareSettings:
    """How the spares start: as the gradings that the warm start serves would start their submission process.

    Attributes:
        memory_gb: the memory watch (set again when a grading adopts the spare).
        gpu: whether the submission may use the GPU (its device nodes are shown, no address-space limit).
        public_paths: data folders the submission may read (the course's ``datasets/``).
        count: how many spares to keep ready (one per grading that runs at once).
    """

    memory_gb: float = settings.DEFAULT_MEMORY_LIMIT_GB
    gpu: bool = False
    public_paths: tuple[str, ...] = ()
    count: int = 1


class WarmChild:
    """A grading's trusted pytest process, forked by the server: wait for it, or kill its process group."""

    def __init__(self, pid: int, control: socket.socket) -> None:
        self.pid = pid
        self._control = control
        self.returncode: int | None = None

    def wait(self, timeout: float | None = None) -> int:
        """The exit code (negative: the signal that ended it); raises subprocess.TimeoutExpired after ``timeout``."""
        from gradelib.sandbox.channel import Channel, ChannelClosed, ChannelTimeout

        if self.returncode is not None:
            return self.returncode
        try:
            reply = Channel(self._control).recv(timeout=timeout)
        except ChannelTimeout:
            raise subprocess.TimeoutExpired(f"grading process {self.pid}", timeout) from None
        except ChannelClosed:
            reply = {"exit": -signal.SIGKILL}  # the server is gone, and its forks with it
        self.returncode = int(reply.get("exit", -signal.SIGKILL)) if isinstance(reply, dict) else -signal.SIGKILL
        with contextlib.suppress(OSError):
            self._control.close()
        return self.returncode

    def kill(self) -> None:
        """SIGKILL the grading's process group (the server then ends its spare) and wait for it to be reaped."""
        kill_group(self.pid)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.wait(timeout=30)


class WarmStart:
    """A trusted fork server and its spares, for gradings with the same sandbox settings (see the module's doc).

    Args:
        spares: how the spare submission processes start (see :class:`SpareSettings`).
    """

    def __init__(self, spares: SpareSettings = SpareSettings()) -> None:
        self.spares = spares
        self._scratch: Path | None = None
        self._process: subprocess.Popen | None = None
        self._channel = None
        self._lock = threading.Lock()

    @classmethod
    def for_grading(cls, course, options, *, parallel: int = 1) -> WarmStart:
        """A warm start whose spares fit gradings of ``course`` with ``options`` (a ``GradingOptions``)."""
        from gradelib.pytest_plugin import public_data_paths

        gpu = options.device == "cuda" or (options.device == "auto" and any(Path("/dev").glob("nvidia[0-9]*")))
        return cls(SpareSettings(memory_gb=options.memory_limit_gb, gpu=gpu, count=max(parallel, 1),
                                 public_paths=tuple(str(p) for p in public_data_paths(course.root))))

    # ---------------------------------------------------------------- life cycle
    def __enter__(self) -> WarmStart:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def start(self) -> None:
        """Start the server; it imports its modules and starts its spares in the background."""
        from gradelib.grader import child_environment
        from gradelib.sandbox.channel import Channel

        self._scratch = Path(tempfile.mkdtemp(prefix="gradelib-warm-"))
        ours, theirs = socket.socketpair()
        env = child_environment()
        env["TMPDIR"] = str(self._scratch)  # the spares' private folders live here until a grading adopts them
        program = f"from gradelib.warm import _serve\n_serve({theirs.fileno()})\n"
        self._process = subprocess.Popen(
            [sys.executable, "-c", program], cwd=self._scratch, env=env, stdin=subprocess.DEVNULL,
            start_new_session=True, pass_fds=(theirs.fileno(),),
        )
        theirs.close()
        self._channel = Channel(ours)
        self._channel.send({
            "memory_gb": self.spares.memory_gb, "gpu": self.spares.gpu,
            "public_paths": list(self.spares.public_paths), "count": self.spares.count,
        })

    def run(self, argv: list[str], *, cwd: Path, env: dict[str, str], fds: dict[int, int],
            spare: bool = True) -> WarmChild:
        """Fork a grading's trusted process: ``argv`` (``python -m pytest ...``) run in ``cwd`` with ``env``.

        Args:
            fds: file descriptor number in the child -> an open descriptor of this process (stdout, stderr,
                the manifest pipe); this process keeps its own copies.
            spare: give the grading a spare submission process (not for ``--collect-only``).
        """
        from gradelib.sandbox.channel import Channel

        if self._channel is None:
            raise RuntimeError("the warm start is not running")
        ours, theirs = socket.socketpair()
        with self._lock:
            self._channel.send({"op": "run", "argv": list(argv), "cwd": str(cwd), "env": dict(env),
                                "targets": list(fds), "spare": bool(spare)})
            self._channel.send_fd(theirs.fileno())
            for fd in fds.values():
                self._channel.send_fd(fd)
        theirs.close()
        reply = Channel(ours).recv(timeout=_SERVER_READY_TIMEOUT_S)
        if not isinstance(reply, dict) or not isinstance(reply.get("pid"), int):
            ours.close()
            raise RuntimeError(f"the warm start could not fork a grading: {reply!r}"[:500])
        return WarmChild(reply["pid"], ours)

    def close(self) -> None:
        """End the server, its forks and its spares; remove its folder."""
        if self._channel is not None:
            self._channel.close()  # the server ends everything when its channel closes
            self._channel = None
        if self._process is not None:
            try:
                self._process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                kill_group(self._process.pid)
                self._process.wait()
            self._process = None
        if self._scratch is not None:
            shutil.rmtree(self._scratch, ignore_errors=True)
            self._scratch = None


# ==================================================================================================== the server
class _Server:
    """The trusted fork server (runs in its own process; see :func:`_serve`)."""

    def __init__(self, channel, config: dict) -> None:
        from gradelib.sandbox.launch import SandboxLimits

        self.channel = channel
        self.memory_gb = float(config["memory_gb"])
        self.gpu = bool(config["gpu"])
        self.public_paths = tuple(Path(p) for p in config["public_paths"])
        self.count = max(int(config["count"]), 1)
        self.limits = SandboxLimits(memory_gb=self.memory_gb)
        self.spares: list = []
        self.children: dict[int, tuple] = {}  # pid -> (control socket, the spare it was given or None)
        self.launchers: dict[int, object] = {}  # pid of a spare's launcher -> the spare, until it is reaped
        self.lock = threading.Lock()
        self.have_children = threading.Event()

    # ---------------------------------------------------------------- spares
    def _new_spare(self):
        from gradelib.sandbox.launch import SubmissionProcess

        spare = SubmissionProcess([], cell_timeout=None, cpu_threads=settings.DEFAULT_CPU_THREADS, limits=self.limits,
                                  gpu=self.gpu, public_paths=self.public_paths)
        spare.spawn(preload=True)
        with self.lock:
            self.launchers[spare.process.pid] = spare
        self.have_children.set()
        return spare

    def fill_spares(self) -> None:
        self.spares = [spare for spare in self.spares if spare.alive()]
        while len(self.spares) < self.count:
            self.spares.append(self._new_spare())

    # ---------------------------------------------------------------- the loop
    def serve(self) -> None:
        from gradelib.sandbox.channel import ChannelClosed

        threading.Thread(target=self._reap, daemon=True).start()
        try:
            while True:
                request = self.channel.recv()
                control = socket.socket(fileno=self.channel.recv_fd())
                fds = [self.channel.recv_fd() for _ in request["targets"]]
                self._fork(request, control, dict(zip(request["targets"], fds, strict=True)))
                for fd in fds:
                    os.close(fd)
                self.fill_spares()
        except ChannelClosed:
            pass
        finally:
            self._end_everything()

    def _fork(self, request: dict, control: socket.socket, targets: dict[int, int]) -> None:
        from gradelib.sandbox.channel import Channel

        spare = None
        if request.get("spare"):
            self.fill_spares()
            spare = self.spares.pop(0) if self.spares else None
        with self.lock:
            pid = os.fork()
            if pid == 0:  # the grading's trusted process
                self._become_child(request, control, targets, spare)
            self.children[pid] = (control, spare)
            self.have_children.set()
        if spare is not None:  # it is the child's now; this process keeps only what it needs to end it
            spare.channel.close()
            spare._watch_stop.set()
        Channel(control).send({"pid": pid})

    def _become_child(self, request: dict, control: socket.socket, targets: dict[int, int], spare) -> None:
        code = 70
        try:
            os.setsid()
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            self.channel.close()
            control.close()
            for other in self.spares:
                other.channel.close()
                other._watch_stop.set()
            for other_control, _ in self.children.values():
                with contextlib.suppress(OSError):
                    other_control.close()
            if spare is not None:
                spare.channel = _install_fds(targets, keep=spare.channel)
            else:
                _install_fds(targets)
            os.chdir(request["cwd"])
            os.environ.clear()
            os.environ.update(request["env"])
            tempfile.tempdir = None  # read TMPDIR again: the grading's own scratch folder
            from gradelib.sandbox.launch import offer_spare

            offer_spare(spare)
            argv = list(request["argv"])
            if argv[1:3] != ["-m", "pytest"]:
                raise ValueError(f"a warm start runs only pytest, not {argv[:3]}")
            sys.argv = ["pytest", *argv[3:]]
            import pytest

            code = int(pytest.main(argv[3:]))
        except SystemExit as exit_:
            code = exit_.code if isinstance(exit_.code, int) else 1
        except BaseException:  # noqa: BLE001 - report and leave; the parent's grader sees the exit code
            import traceback

            with contextlib.suppress(Exception):
                traceback.print_exc()
        finally:
            with contextlib.suppress(Exception):
                sys.stdout.flush()
                sys.stderr.flush()
            os._exit(code)

    # ---------------------------------------------------------------- reaping
    def _reap(self) -> None:
        """Reap every child of the server: tell a grading's client its exit code and end the spare it was given;
        forget a spare whose launcher has ended (so that its pid, free again, is never signalled)."""
        from gradelib.sandbox.channel import Channel

        while True:
            try:
                pid, status = os.waitpid(-1, 0)
            except ChildProcessError:
                self.have_children.clear()
                self.have_children.wait(0.5)
                continue
            with self.lock:
                entry = self.children.pop(pid, None)
                spare = self.launchers.pop(pid, None)
            if spare is not None:
                spare.process = None  # reaped: nothing left to end, only its folder to remove
                continue
            if entry is None:
                continue
            control, given = entry
            if given is not None:
                given.close()
            with contextlib.suppress(Exception):
                Channel(control).send({"exit": os.waitstatus_to_exitcode(status)})
            with contextlib.suppress(OSError):
                control.close()

    def _end_everything(self) -> None:
        with self.lock:
            children = list(self.children.items())
        for pid, (_control, spare) in children:
            kill_group(pid)
            if spare is not None:
                spare.close()
        for spare in self.spares:
            spare.close()


def _install_fds(targets: dict[int, int], keep=None):
    """Put each source descriptor at its target number (stdin from /dev/null), moving ``keep`` (a Channel) and the
    sources out of the way first: a target number may be one of them (the client's descriptor numbers are not this
    process's), and writing over the spare's channel would cut the grading off from its notebook.

    Returns:
        ``keep`` on its new descriptor (a new Channel), or None.
    """
    from gradelib.sandbox.channel import Channel

    floor = max([*targets, 2]) + 1
    moved = None
    if keep is not None:
        moved = Channel(socket.socket(fileno=fcntl.fcntl(keep.fileno(), fcntl.F_DUPFD_CLOEXEC, floor)))
        keep.close()
    sources = {target: fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, floor) for target, fd in targets.items()}
    for fd in set(targets.values()):
        with contextlib.suppress(OSError):
            os.close(fd)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    for target, fd in sources.items():
        os.dup2(fd, target, inheritable=True)
    for fd in set(sources.values()):
        os.close(fd)
    return moved


def _serve(channel_fd: int) -> None:
    """The server's main: die with the parent, import the grader's modules, then fork gradings on request."""
    import importlib

    from gradelib.sandbox.channel import Channel, ChannelClosed

    libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    channel = Channel.from_fd(channel_fd)
    try:
        config = channel.recv()
    except ChannelClosed:
        os._exit(0)
    server = _Server(channel, config)
    server.fill_spares()  # the spares import while this process does: the first grading waits for neither twice
    for name in settings.TRUSTED_PRELOADED_MODULES:
        with contextlib.suppress(Exception):
            importlib.import_module(name)
    server.serve()
    os._exit(0)
