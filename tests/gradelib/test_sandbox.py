"""Tests of gradelib.sandbox: the data-only wire, the submission process, its proxies, probes and containment."""

from __future__ import annotations

import json
import math
import os
import struct
import time

import numpy
import pytest
import torch

from gradelib.checks import CheckFailure
from gradelib.loader import CodeCell, MissingNameError
from gradelib.sandbox import codec, sandbox_kind
from gradelib.sandbox.expr import MODEL, X, call, method
from gradelib.sandbox.launch import SandboxLimits, SubmissionProcess
from gradelib.sandbox.probes import load_tensors, named_tensors, parameter_shapes
from gradelib.sandbox.remote import RemoteNotImplementedError, RemoteObject, StudentCodeError, SubmissionDied

NOTEBOOK = r'''
import os, signal, subprocess, sys, time
import torch
from torch import nn

COUNTER = [0]

class Linear(nn.Module):
    def __init__(self, n=3):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(n, n))
        self.register_buffer("scale", torch.tensor(2.0))

    def forward(self, x):
        return x @ self.weight * self.scale

def bump():
    COUNTER[0] += 1
    return COUNTER[0]

def todo():
    raise NotImplementedError()

def fails():
    raise ValueError("first line\nsecond line with a secret")

def leave():
    os._exit(3)

def read(path):
    with open(path, "rb") as stream:
        return len(stream.read())

def whoami():
    return {"uid": os.getuid(), "cwd": os.getcwd(), "pid": os.getpid(), "env": sorted(os.environ)}

def daemon(marker):
    subprocess.Popen([sys.executable, "-c", f"import time; time.sleep(300)  # {marker}"], start_new_session=True)
    return True

def hog(gigabytes):
    blocks = [torch.ones(2**27) for _ in range(int(gigabytes * 2))]  # 0.5 GiB each
    time.sleep(5)
    return len(blocks)

class Sneaky(torch.Tensor):
    def __eq__(self, other):
        return True

def sneaky():
    return torch.zeros(3).as_subclass(Sneaky)

class Flat(nn.Module):
    def forward(self, x):
        return x.sum(dim=(1, 2, 3))

def module_and_tensor():
    return (Linear(2), torch.arange(3))
'''


def _modes() -> list[str]:
    return ["process", "namespaces"] if sandbox_kind() == "namespaces" else ["process"]


@pytest.fixture(scope="module", params=_modes())
def process(request):
    """A submission process of the test notebook, in each sandbox this machine allows."""
    started = SubmissionProcess([CodeCell(1, NOTEBOOK)], cell_timeout=60, sandbox=request.param,
                                limits=SandboxLimits(memory_gb=1.5))
    report = started.start(timeout=180)
    assert report.cell_errors == [] and report.did_not_load is None, report
    yield started
    started.close()


@pytest.fixture
def module(process):
    remote, connection = process.fork_test()
    yield remote
    process.end_test(connection)


# ------------------------------------------------------------------------------------------------
# The wire
# ------------------------------------------------------------------------------------------------
def _round_trip(value):
    frame = codec.encode(value)
    header, payload = codec.frame_lengths(frame[: codec.FRAME_PREFIX_BYTES])
    body = frame[codec.FRAME_PREFIX_BYTES:]
    return codec.decode(body[:header], body[header:])


def test_does_data_survive_the_wire():
    """Do nested containers, numbers (NaN, inf, big ints), strings, bytes, devices and dtypes come back equal?"""
    value = {"a": [1, 2.5, float("inf"), None, True], "b": ("x", b"\x00\x01"), 3: {"deep": [[]]},
             "dev": torch.device("cpu"), "dt": torch.float64, "big": 2**70}
    back = _round_trip(value)
    assert back["a"][:2] == [1, 2.5] and math.isinf(back["a"][2]) and back["a"][3:] == [None, True]
    assert back["b"] == ("x", b"\x00\x01") and back[3] == {"deep": [[]]}
    assert back["dev"] == torch.device("cpu") and back["dt"] is torch.float64 and back["big"] == 2**70
    assert math.isnan(_round_trip(float("nan")))


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.float16, torch.bfloat16, torch.int64,
                                   torch.uint8, torch.bool, torch.complex64])
def test_do_tensors_survive_the_wire(dtype):
    """Does a tensor of each dtype come back with the same values, shape and dtype?"""
    tensor = (torch.randn(3, 4) * 5).to(dtype) if dtype != torch.bool else torch.rand(3, 4) > 0.5
    back = _round_trip({"t": tensor, "empty": torch.zeros(0, 2, dtype=dtype)})
    assert back["t"].dtype == dtype and torch.equal(back["t"], tensor)
    assert back["empty"].shape == (0, 2)


def test_is_a_tensor_subclass_decoded_as_a_plain_tensor():
    """Does a tensor subclass (with its own comparisons) arrive as a plain torch.Tensor?"""
    class AlwaysEqual(torch.Tensor):
        def __eq__(self, other):
            return True

    back = _round_trip(torch.zeros(2).as_subclass(AlwaysEqual))
    assert type(back) is torch.Tensor
    assert numpy.array_equal(_round_trip(numpy.arange(4.0)), numpy.arange(4.0))


def test_are_objects_refused_without_a_handle_maker():
    """Is an arbitrary object refused (never pickled) when the sender has no way to make a handle?"""
    with pytest.raises(codec.WireError):
        codec.encode(object())
    with pytest.raises(codec.WireError):
        codec.encode(lambda: 1)


@pytest.mark.parametrize("header, payload", [
    (b"not json", b""),
    (json.dumps({"$T": ["float32", [2], [0, 8], "cpu", False]}).encode(), b"\x00" * 4),  # data too short
    (json.dumps({"$T": ["float32", [3], [0, 8], "cpu", False]}).encode(), b"\x00" * 8),  # shape does not match
    (json.dumps({"$b": [4, 10]}).encode(), b"\x00" * 8),  # outside the payload
    (json.dumps({"$pickle": "x"}).encode(), b""),  # unknown tag
    (json.dumps({"$T": ["object", [1], [0, 1], "cpu", False]}).encode(), b"\x00"),  # unknown dtype
    (json.dumps([1, 2]).encode(), b""),  # untagged list
    ((b'{"$l":[' * 100) + b"1" + (b"]}" * 100), b""),  # too deep
])
def test_is_a_malformed_message_refused(header, payload):
    """Does the decoder refuse a malformed or hostile message with WireError (never another exception)?"""
    with pytest.raises(codec.WireError):
        codec.decode(header, payload)


def test_is_a_giant_message_refused_before_it_is_read():
    """Is a frame announcing more bytes than allowed refused from its first 16 bytes?"""
    with pytest.raises(codec.WireError):
        codec.frame_lengths(struct.pack("!QQ", 10, codec.MAX_PAYLOAD_BYTES + 1))


# ------------------------------------------------------------------------------------------------
# The submission process and its proxies
# ------------------------------------------------------------------------------------------------
def test_do_calls_return_data_and_handles(module):
    """Does a call return plain tensors as data and other objects as handles, usable in later calls?"""
    model = module.Linear(3)
    assert isinstance(model, RemoteObject)
    out = model(torch.ones(2, 3))
    assert type(out) is torch.Tensor and torch.equal(out, torch.full((2, 3), 6.0))
    pair = module.module_and_tensor()
    assert isinstance(pair[0], RemoteObject) and torch.equal(pair[1], torch.arange(3))
    assert type(module.sneaky()) is torch.Tensor


def test_does_each_test_start_from_the_loaded_state(process):
    """Does a change made in one test's process leave the next test's copy of the notebook untouched?"""
    for _ in range(2):
        remote, connection = process.fork_test()
        assert remote.bump() == 1
        assert remote.bump() == 2
        process.end_test(connection)


def test_do_student_errors_arrive_cut_and_named(module):
    """Are NotImplementedError, missing names and other errors raised here, cut short, saying where they came from?"""
    with pytest.raises(RemoteNotImplementedError) as info:
        module.todo()
    assert info.value.where == "todo"
    with pytest.raises(MissingNameError):
        _ = module.NoSuchClass
    with pytest.raises(StudentCodeError) as error:
        module.fails()
    assert error.value.kind == "ValueError" and error.value.message == "first line"
    assert "secret" not in str(error.value)


def test_does_ending_the_process_fail_only_that_test(process):
    """Does os._exit in a test's process raise SubmissionDied there, and the next test still run?"""
    remote, connection = process.fork_test()
    with pytest.raises(SubmissionDied):
        remote.leave()
    process.end_test(connection)
    remote, connection = process.fork_test()
    assert remote.bump() == 1
    process.end_test(connection)


def test_does_a_death_during_an_out_of_memory_kill_blame_the_machine(process, monkeypatch):
    """When the kernel's out-of-memory killer was at work while a test's process died (a container too small for
    the grading), does the message say the machine ran out of memory instead of blaming os._exit or a crash?"""
    from gradelib import processes

    monkeypatch.setattr(process, "_oom_kills_at_start", 7)
    monkeypatch.setattr(processes, "oom_kill_count", lambda: 8)  # one out-of-memory kill since the process started
    remote, connection = process.fork_test()
    with pytest.raises(SubmissionDied) as died:
        remote.leave()
    process.end_test(connection)
    assert process.machine_ran_out_of_memory()
    assert "ran out of memory" in str(died.value) and "os._exit" not in str(died.value)
    monkeypatch.setattr(processes, "oom_kill_count", lambda: 7)
    assert not process.machine_ran_out_of_memory()


def test_do_probes_run_where_the_model_lives(module):
    """Do probes given a remote model run in the submission process and return data (and run locally otherwise)?"""
    model = module.Linear(3)
    assert parameter_shapes(model) == {"weight": [3, 3]}
    assert load_tensors(model, {"weight": torch.eye(3), "scale": torch.tensor(1.0), "nope": torch.zeros(1)}) == [
        "scale", "weight"]
    tensors = named_tensors(model)
    assert torch.equal(tensors["weight"], torch.eye(3)) and float(tensors["scale"]) == 1.0
    assert parameter_shapes(torch.nn.Linear(2, 3)) == {"weight": [3, 2], "bias": [3]}  # local


def test_do_expressions_evaluate_remotely_and_locally(module):
    """Does a gradcheck expression work on a remote model as on a local one?"""
    from gradelib.checks import assert_module_gradcheck
    from gradelib.sandbox.probes import weighted_sum

    weights = torch.randn(2, 3, dtype=torch.float64)
    loss = call(weighted_sum, method(MODEL, "__call__", X), weights)
    assert_module_gradcheck(module.Linear(3), loss, inputs={"x": torch.randn(2, 3)}, what="a linear layer")
    local = torch.nn.Linear(3, 3)
    assert_module_gradcheck(local, loss, inputs={"x": torch.randn(2, 3)}, what="a linear layer")


def test_is_a_failed_probe_a_check_failure(module):
    """Does a probe's CheckFailure come back as a CheckFailure (the student's own error otherwise)?"""
    from gradelib.checks import dependency_matrix

    with pytest.raises(CheckFailure, match="shape"):
        dependency_matrix(module.Flat(), torch.zeros(1, 1, 2, 3))


# ------------------------------------------------------------------------------------------------
# Containment
# ------------------------------------------------------------------------------------------------
def test_does_the_submission_run_without_the_course_in_reach(module, process):
    """Does the submission see no course file, no grader file, and no course path in its environment?"""
    from gradelib.course import Course

    course = Course.find()
    facts = module.whoami()
    assert not any(str(course.root) in name for name in facts["env"])
    if process.sandbox == "namespaces":
        assert facts["uid"] != 0 and facts["cwd"] == "/tmp"
        for path in (course.solution("autoregressive"), course.hidden_suite("autoregressive") / "ar_helpers.py",
                     course.root / ".git" / "HEAD", process.private / "submission.log"):
            with pytest.raises(StudentCodeError) as error:
                module.read(str(path))
            assert error.value.kind in ("FileNotFoundError", "PermissionError")


def test_does_nothing_outlive_the_grading():
    """Does a setsid daemon started by the submission end with it?"""
    marker = f"gradelib-daemon-{os.getpid()}-{time.time_ns()}"
    started = SubmissionProcess([CodeCell(1, NOTEBOOK)], cell_timeout=60)
    started.start(timeout=180)
    remote, connection = started.fork_test()
    assert remote.daemon(marker) is True
    time.sleep(0.5)
    assert _processes_with(marker)
    started.end_test(connection)
    started.close()
    deadline = time.monotonic() + 10
    while _processes_with(marker) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not _processes_with(marker), "a daemon of the submission outlived its grading"


def test_is_a_memory_hog_stopped(process):
    """Is a submission whose processes use more than the memory limit stopped, with a message saying so?"""
    remote, connection = process.fork_test()
    with pytest.raises(SubmissionDied):
        remote.hog(3)
    process.end_test(connection)
    assert process.killed_for and "memory" in process.killed_for
    process.killed_for = None


def _processes_with(marker: str) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/cmdline", "rb") as stream:
                    if marker.encode() in stream.read():
                        found.append(int(entry))
            except OSError:
                pass
    return found


def test_is_a_visible_folder_under_tmp_still_visible(tmp_path):
    """Does a public folder that lies under /tmp (a checkout or an environment there) stay readable in the sandbox?"""
    public = tmp_path / "public"
    public.mkdir()
    (public / "data.txt").write_text("12345")
    os.chmod(tmp_path, 0o755)
    started = SubmissionProcess([CodeCell(1, NOTEBOOK)], cell_timeout=60, public_paths=(public,))
    try:
        started.start(timeout=180)
        remote, connection = started.fork_test()
        assert remote.read(str(public / "data.txt")) == 5
        started.end_test(connection)
    finally:
        started.close()
