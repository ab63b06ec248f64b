"""The data-only wire format between the trusted grader and a submission process.

A message is a tree of plain data: None, bools, ints, floats, strings, bytes, lists, tuples,
dicts with str/int keys, torch tensors (any device; sent as their bytes), NumPy arrays, torch
devices and dtypes, and :class:`Handle` (a reference to an object that lives in the other process).
Nothing is ever unpickled: the decoder builds only those types, so a submission cannot make the
trusted side run code or hold an object with its own comparisons (a tensor always decodes to a
plain ``torch.Tensor``).

Frame: 8-byte header length, 8-byte payload length, the header (JSON, UTF-8), the payload (raw
tensor bytes, referred to by offset and length from the header).

torch and NumPy are imported only when a message holds a tensor or an array: the trusted process sends
the notebook to the submission process before it has imported torch (so that both import it at once).
"""

from __future__ import annotations

import contextlib
import functools
import json
import math
import struct
import sys
from dataclasses import dataclass

__all__ = ["Handle", "FunctionRef", "WireError", "encode", "decode", "MAX_HEADER_BYTES", "MAX_PAYLOAD_BYTES"]

MAX_HEADER_BYTES = 64 * 2**20
MAX_PAYLOAD_BYTES = 2 * 2**30
MAX_DEPTH = 64
_FRAME = struct.Struct("!QQ")

_DTYPE_NAMES = ("float16", "bfloat16", "float32", "float64", "complex64", "complex128",
                "int8", "int16", "int32", "int64", "uint8", "bool")
_NUMPY_DTYPES = {"float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "bool",
                 "complex64", "complex128"}


def _torch():
    import torch

    return torch


def _numpy():
    import numpy

    return numpy


@functools.cache
def _dtypes() -> dict:
    """Wire name -> torch dtype."""
    torch = _torch()
    return {name: getattr(torch, name) for name in _DTYPE_NAMES}


class WireError(ValueError):
    """A message that is not valid data (too large, too deep, an unknown tag)."""


@dataclass(frozen=True)
class Handle:
    """A reference to an object that lives in a submission process.

    Attributes:
        id: the object's number in that process's table.
        kind: the object's type name, for messages (never trusted for decisions).
    """

    id: int
    kind: str = "object"


@dataclass(frozen=True)
class FunctionRef:
    """A public gradelib function, named so that the other process can import it (never code)."""

    module: str
    qualname: str


class _Writer:
    def __init__(self, to_wire) -> None:
        self.blobs: list[bytes] = []
        self.size = 0
        self.to_wire = to_wire  # value -> tagged data, for types this writer does not know

    def blob(self, data: bytes) -> list[int]:
        ref = [self.size, len(data)]
        self.blobs.append(data)
        self.size += len(data)
        return ref

    def tree(self, value, depth: int = 0):
        if depth > MAX_DEPTH:
            raise WireError("the value is nested too deeply to send")
        if value is None or isinstance(value, (bool, str)):
            return value
        if isinstance(value, int):
            return value if abs(value) < 2**63 else {"$big": str(value)}
        if isinstance(value, float):
            return value if math.isfinite(value) else {"$f": repr(value)}
        torch = sys.modules.get("torch")  # a value cannot be a tensor (or a device) unless torch was imported
        numpy = sys.modules.get("numpy")
        if torch is not None and isinstance(value, torch.Tensor):
            return self.tensor(value)
        if numpy is not None and isinstance(value, numpy.ndarray) and value.dtype.name in _NUMPY_DTYPES:
            return {"$N": [value.dtype.name, list(value.shape), self.blob(numpy.ascontiguousarray(value).tobytes())]}
        if numpy is not None and isinstance(value, numpy.generic):
            return self.tree(value.item(), depth + 1)
        if isinstance(value, (bytes, bytearray)):
            return {"$b": self.blob(bytes(value))}
        if isinstance(value, tuple) and not hasattr(value, "_fields"):
            return {"$t": [self.tree(item, depth + 1) for item in value]}
        if isinstance(value, list):
            return {"$l": [self.tree(item, depth + 1) for item in value]}
        if isinstance(value, dict):
            items = []
            for key, item in value.items():
                if not isinstance(key, (str, int)) or isinstance(key, bool):
                    return self.to_wire(value, self, depth)
                items.append([key, self.tree(item, depth + 1)])
            return {"$d": items}
        if torch is not None and isinstance(value, torch.device):
            return {"$dev": str(value)}
        if torch is not None and isinstance(value, torch.dtype):
            return {"$dt": str(value).replace("torch.", "")}
        if isinstance(value, Handle):
            return {"$h": [value.id, value.kind]}
        if isinstance(value, FunctionRef):
            return {"$fn": [value.module, value.qualname]}
        return self.to_wire(value, self, depth)

    def tensor(self, value):
        torch = _torch()
        plain = torch.Tensor._make_subclass(torch.Tensor, value.detach()) if type(value) is not torch.Tensor else value
        plain = plain.detach()
        dtype = str(plain.dtype).replace("torch.", "")
        if dtype not in _DTYPE_NAMES:
            raise WireError(f"tensors of dtype {plain.dtype} cannot be sent")
        device = plain.device.type
        if device == "meta":
            return {"$T": [dtype, list(plain.shape), None, "meta", False]}
        try:
            cpu = plain.to("cpu").contiguous()
            data = cpu.reshape(-1).view(torch.uint8).numpy().tobytes() if cpu.numel() else b""
        except (RuntimeError, TypeError, ValueError) as error:
            raise WireError(f"a tensor that cannot be sent ({str(error)[:100]})") from None
        return {"$T": [dtype, list(cpu.shape), self.blob(data), device, bool(value.requires_grad)]}


def encode(value, to_wire=None) -> bytes:
    """One frame holding ``value``.

    Args:
        value: plain data (see the module docstring).
        to_wire: called as ``to_wire(value, writer, depth)`` for any other type; it returns tagged
            data (the submission side uses it to turn objects into handles). Without it, other types
            raise WireError.
    """
    def refuse(value, writer, depth):
        raise WireError(f"a {type(value).__name__} cannot be sent, only data")

    writer = _Writer(to_wire or refuse)
    header = json.dumps(writer.tree(value), separators=(",", ":"), allow_nan=False).encode()
    return _FRAME.pack(len(header), writer.size) + header + b"".join(writer.blobs)


def frame_lengths(prefix: bytes) -> tuple[int, int]:
    """The header and payload lengths announced by a frame's first 16 bytes; WireError if too large."""
    header, payload = _FRAME.unpack(prefix)
    if header > MAX_HEADER_BYTES or payload > MAX_PAYLOAD_BYTES:
        raise WireError(f"a message of {header + payload} bytes is larger than allowed")
    return header, payload


FRAME_PREFIX_BYTES = _FRAME.size


def decode(header: bytes, payload: bytes, from_wire=None, *, device_map=None):
    """Rebuild the value of a frame.

    Args:
        header, payload: the frame's two parts.
        from_wire: called as ``from_wire(tag, data)`` for tags ``$h`` and ``$fn`` (and any unknown
            tag); without it those raise WireError, except handles, which decode as :class:`Handle`.
        device_map: device type -> device to put tensors on (e.g. {"cuda": "cpu"} where there is no GPU).
    """
    try:
        tree = json.loads(header.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise WireError(f"a message is not valid: {error}") from None
    view = memoryview(payload)

    def blob(ref) -> bytes:
        if not (isinstance(ref, list) and len(ref) == 2 and all(type(v) is int for v in ref)):
            raise WireError("a malformed reference to data")
        start, length = ref
        if start < 0 or length < 0 or start + length > len(view):
            raise WireError("a reference to data outside the message")
        return bytes(view[start : start + length])

    def build(node, depth: int = 0):
        if depth > MAX_DEPTH:
            raise WireError("a message nested too deeply")
        if node is None or isinstance(node, (bool, int, float, str)):
            return node
        if isinstance(node, list):
            raise WireError("an untagged list")
        if not (isinstance(node, dict) and len(node) == 1):
            raise WireError("a malformed value")
        ((tag, data),) = node.items()
        if tag == "$l":
            return [build(item, depth + 1) for item in _list(data)]
        if tag == "$t":
            return tuple(build(item, depth + 1) for item in _list(data))
        if tag == "$d":
            out = {}
            for pair in _list(data):
                if not (isinstance(pair, list) and len(pair) == 2 and isinstance(pair[0], (str, int))):
                    raise WireError("a malformed dict")
                out[pair[0]] = build(pair[1], depth + 1)
            return out
        if tag == "$f":
            if data not in ("nan", "inf", "-inf"):
                raise WireError("a malformed float")
            return float(data)
        if tag == "$big":
            return int(str(data)[:100])
        if tag == "$b":
            return blob(data)
        if tag == "$T":
            return _tensor(data, blob, device_map)
        if tag == "$N":
            dtype, shape, ref = data
            if dtype not in _NUMPY_DTYPES:
                raise WireError("an array of an unknown dtype")
            return _numpy().frombuffer(blob(ref), dtype=dtype).reshape([int(s) for s in shape]).copy()
        if tag == "$dev":
            return _torch().device(str(data))
        if tag == "$dt":
            if data not in _DTYPE_NAMES:
                raise WireError("an unknown dtype")
            return _dtypes()[data]
        if from_wire is not None:
            return from_wire(tag, data, lambda value: build(value, depth + 1))
        if tag == "$h":
            return Handle(int(data[0]), str(data[1])[:100])
        raise WireError(f"an unknown tag {tag!r}")

    return build(tree)


def _list(data) -> list:
    if not isinstance(data, list):
        raise WireError("a malformed list")
    return data


def _tensor(data, blob, device_map):
    if not (isinstance(data, list) and len(data) == 5):
        raise WireError("a malformed tensor")
    dtype_name, shape, ref, device, requires_grad = data
    well_formed = isinstance(shape, list) and all(type(s) is int and s >= 0 for s in shape)
    if dtype_name not in _DTYPE_NAMES or not well_formed:
        raise WireError("a malformed tensor")
    torch = _torch()
    dtype = _dtypes()[dtype_name]
    if device == "meta":
        return torch.empty(shape, dtype=dtype, device="meta")
    raw = blob(ref)
    numel = math.prod(shape)
    itemsize = torch.empty((), dtype=dtype).element_size()
    if numel * itemsize != len(raw):
        raise WireError("a tensor whose data does not match its shape")
    tensor = torch.frombuffer(bytearray(raw), dtype=dtype).reshape(shape) if numel else torch.empty(shape, dtype=dtype)
    target = (device_map or {}).get(device, device)
    if target != "cpu":
        with contextlib.suppress(RuntimeError, AssertionError):  # no such device here: keep it on the CPU
            tensor = tensor.to(target)
    if requires_grad is True and tensor.is_floating_point():
        tensor.requires_grad_(True)
    return tensor
