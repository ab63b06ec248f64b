"""The submission process: it runs a student's notebook and answers requests about its objects.

Started by :mod:`gradelib.sandbox.launch` (in a sandbox where the machine allows one) with a Unix
socket to the trusted side. It never sees a hidden test, a solution or the
results file; it only answers requests, and every answer is data or a handle (see
:mod:`gradelib.sandbox.protocol`). The notebook is loaded once; each test gets a fresh copy of the
loaded process (``fork``), so a test starts from a clean state without running the notebook again.

    zygote  <- {"cells": [...], "cell_timeout": 60, "cpu_threads": 1}
    zygote  -> {"hello": {"cell_errors": [...], "did_not_load": None, "cuda_initialized": False}}
    zygote  <- {"op": "fork"}   -> {"ok": pid} and a socket for the test's own process
    test    <- {"op": "getattr"|"call"|"probe"|..., ...}  -> {"ok": value} | {"error": {...}}
"""

from __future__ import annotations

import contextlib
import io
import os
import signal
import socket
import traceback

__all__ = ["main"]

_STDOUT_TAIL_CHARS = 64 * 1024


class _TailBuffer(io.TextIOBase):
    """A text stream that keeps only the last characters written (a notebook may print without end)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.text = ""

    def writable(self) -> bool:
        return True

    def write(self, text) -> int:
        text = str(text)
        self.text = (self.text + text)[-self.limit :]
        return len(text)


def main(channel_fd: int, preload: bool = False) -> None:
    """Serve as the zygote of one submission: load the notebook, then fork a process per test.

    Args:
        channel_fd: the file descriptor of the socket to the trusted side.
        preload: import the packages that notebooks use before the notebook arrives (a spare, see
            :mod:`gradelib.warm`).
    """
    from gradelib.sandbox.channel import Channel, ChannelClosed

    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    channel = Channel.from_fd(channel_fd)
    if preload:
        _preload()
    try:
        config = channel.recv()
        _preload(_imported_by(config.get("cells", [])))  # outside any cell's time limit: a slow machine's imports
        module, hello = _load(config)                   # must not cost a correct notebook its import cell
        channel.send({"hello": hello})
        _zygote_loop(channel, module)
    except ChannelClosed:
        pass
    os._exit(0)


def _preload(names=None) -> None:
    """Import packages that notebooks use (``settings.PRELOADED_MODULES``, or those of them in ``names``) before the
    notebook runs: a spare does it before the notebook arrives (warm), every submission process before the notebook's
    cells run, so that importing torch and Lightning on a loaded machine never counts against a cell's time limit.
    The notebook imports them again, for free; what it sees of them is the same either way."""
    import importlib

    from gradelib.settings import PRELOADED_MODULES

    for name in PRELOADED_MODULES:
        if names is not None and name not in names:
            continue
        with contextlib.suppress(Exception):  # a package this machine lacks is the notebook's problem, not ours
            importlib.import_module(name)


def _imported_by(cells: list) -> set[str]:
    """Every module name (and its parents) that the cells import at top level: ``import a.b`` gives a and a.b."""
    import ast

    names: set[str] = set()
    for cell in cells:
        try:
            tree = ast.parse(str(cell[1]))
        except (SyntaxError, ValueError, IndexError, TypeError):
            continue
        for node in tree.body:
            found = []
            if isinstance(node, ast.Import):
                found = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                found = [node.module]
            for name in found:
                parts = name.split(".")
                names.update(".".join(parts[: i + 1]) for i in range(len(parts)))
    return names


def _load(config: dict):
    import torch

    from gradelib.loader import CellTimeoutError, CodeCell, build_module

    torch.set_num_threads(max(int(config.get("cpu_threads", 1)), 1))
    cells = [CodeCell(number=int(n), source=str(s), grade_id=g) for n, s, g in config["cells"]]
    stdout = _TailBuffer(_STDOUT_TAIL_CHARS)
    module = build_module(cells, notebook_path=config.get("name", "submission.ipynb"),
                          cell_timeout=config.get("cell_timeout"), stdout=stdout)
    timed_out = [error for error in module.cell_errors if error.exception_type == CellTimeoutError.__name__]
    hello = {
        "cell_errors": [error.describe()[:500] for error in module.cell_errors],
        "did_not_load": timed_out[0].describe()[:500] if timed_out else None,
        "cuda_initialized": bool(torch.cuda.is_initialized()),
    }
    return module, hello


def _zygote_loop(channel, module) -> None:
    from gradelib.sandbox.channel import Channel

    child = None
    while True:
        request = channel.recv()
        op = request.get("op") if isinstance(request, dict) else None
        if op == "fork":
            _end_child(child)
            ours, theirs = socket.socketpair()
            pid = os.fork()
            if pid == 0:  # the test's own process
                try:
                    channel.close()
                    ours.close()
                    os.setpgid(0, 0)
                    TestServer(Channel(theirs), module).serve()
                finally:
                    os._exit(0)
            theirs.close()
            child = pid
            channel.send({"ok": pid})
            channel.send_fd(ours.fileno())
            ours.close()
        elif op == "end":
            _end_child(child)
            child = None
            channel.send({"ok": None})
        else:  # "exit", or anything unexpected
            _end_child(child)
            return


def _end_child(pid: int | None) -> None:
    from gradelib.processes import kill_group

    if pid is None:
        return
    kill_group(pid)
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, 0)


class TestServer:
    """Answers one test's requests about the loaded module's objects (in the forked test process)."""

    __test__ = False

    def __init__(self, channel, module) -> None:
        self.channel = channel
        self.objects: dict[int, object] = {0: module}
        self.ids: dict[int, int] = {id(module): 0}
        self.next_id = 1

    # ---------------------------------------------------------------- the loop
    def serve(self) -> None:
        from gradelib.sandbox.channel import ChannelClosed

        while True:
            try:
                request = self.channel.recv(self._from_wire)
            except ChannelClosed:
                return
            except Exception as error:  # noqa: BLE001 - a request this side cannot decode
                self._reply({"error": _error_payload(error, probe=False)})
                continue
            try:
                value = self._answer(request)
                reply = {"ok": value}
            except BaseException as error:  # noqa: BLE001 - SystemExit and KeyboardInterrupt from student code too
                is_probe = isinstance(request, dict) and request.get("op") == "probe"
                reply = {"error": _error_payload(error, probe=is_probe, module=self.objects[0])}
            self._reply(reply)

    def _reply(self, reply: dict) -> None:
        from gradelib.sandbox.codec import WireError

        try:
            self.channel.send(reply, self._to_wire)
        except WireError as error:
            self.channel.send({"error": _error_payload(error, probe=False)})

    def _answer(self, request: dict):
        op = request["op"]
        if op == "getattr":
            return getattr(request["target"], request["name"])
        if op == "setattr":
            setattr(request["target"], request["name"], request["value"])
            return None
        if op == "call":
            return request["target"](*request.get("args", ()), **request.get("kwargs", {}))
        if op == "getitem":
            return request["target"][request["key"]]
        if op == "len":
            return len(request["target"])
        if op == "repr":
            return repr(request["target"])[:200]
        if op == "probe":
            function = request["function"]
            if not getattr(function, "__gradelib_probe__", False):
                raise PermissionError("only gradelib probes may be run by name")
            return function(*request.get("args", ()), **request.get("kwargs", {}))
        if op == "seed":
            from gradelib.seeding import seed_everything

            seed_everything(int(request["seed"]))
            return None
        if op == "release":
            for number in request["ids"]:
                obj = self.objects.pop(number, None)
                self.ids.pop(id(obj), None)
            return None
        raise ValueError(f"unknown operation {op!r}")

    # ---------------------------------------------------------------- the wire
    def _to_wire(self, value, writer, depth):
        from gradelib.sandbox.codec import Handle

        number = self.ids.get(id(value))
        if number is None or self.objects.get(number) is not value:
            number = self.next_id
            self.next_id += 1
            self.objects[number] = value
            self.ids[id(value)] = number
        return writer.tree(Handle(number, type(value).__name__[:80]), depth)

    def _from_wire(self, tag, data, build):
        from gradelib.sandbox.codec import WireError
        from gradelib.sandbox.protocol import expression_from_wire, resolve_function

        if tag == "$h":
            number = data[0]
            if number not in self.objects:
                raise WireError("a handle to an object that no longer exists")
            return self.objects[number]
        if tag == "$fn":
            return resolve_function(str(data[0]), str(data[1]))
        node = expression_from_wire(tag, data, build)
        if node is None:
            raise WireError(f"an unknown tag {tag!r}")
        return node


def _error_payload(error: BaseException, *, probe: bool, module=None) -> dict:
    """What the trusted side learns of an error: its type, the first line of its message, where in the notebook."""
    from gradelib.checks.failures import CheckFailure
    from gradelib.loader import CELL_FILENAME_PREFIX, MissingNameError, student_traceback
    from gradelib.sandbox.protocol import MAX_ERROR_MESSAGE, MAX_ERROR_TRACE

    try:
        text = str(error) if not isinstance(error, SystemExit) else f"the code called exit({error.code!r})"
    except BaseException:  # noqa: BLE001 - a hostile __str__
        text = "(the error's message could not be read)"
    check_failure = probe and isinstance(error, CheckFailure)
    if not (check_failure or isinstance(error, MissingNameError)):
        text = (text.strip().splitlines() or [""])[0][:MAX_ERROR_MESSAGE]
    else:
        text = text[:4000]
    frames = [frame for frame in traceback.walk_tb(error.__traceback__)
              if frame[0].f_code.co_filename.startswith(CELL_FILENAME_PREFIX)]
    where = None
    if frames:
        code = frames[-1][0].f_code
        where = getattr(code, "co_qualname", code.co_name)
    try:
        trace = student_traceback(error.__traceback__)[-MAX_ERROR_TRACE:]
    except Exception:  # noqa: BLE001
        trace = ""
    kind = "CheckFailure" if check_failure else type(error).__name__[:80]
    if isinstance(error, MissingNameError):
        kind = "MissingNameError"
    elif isinstance(error, NotImplementedError):
        kind = "NotImplementedError"
    elif isinstance(error, MemoryError):
        kind = "MemoryError"
    load_errors = []
    if isinstance(error, NameError) and module is not None:  # a name a failed cell should have defined
        load_errors = [cell_error.describe()[:200] for cell_error in getattr(module, "cell_errors", [])[:3]]
    return {"type": kind, "message": text, "where": where, "trace": trace, "load_errors": load_errors}


