"""The trusted side's view of a submission process: proxies that look like the student's module and objects.

A hidden test reads as if the notebook were a local module::

    model = submission.NADE(image_shape=(4, 5), hidden_size=7)   # a RemoteObject (a handle)
    logits = model(images)                                      # a plain tensor, sent back as data

Every attribute read, call and item read goes to the submission process; data (tensors, numbers,
strings, containers) comes back as plain values, anything else as another :class:`RemoteObject`.
An error raised there comes back as :class:`StudentCodeError` (or ``NotImplementedError``,
``MissingNameError``, ``CheckFailure`` from a probe), with a message cut to a short first line.
"""

from __future__ import annotations

import functools

from gradelib.sandbox import codec
from gradelib.sandbox.channel import ChannelClosed
from gradelib.sandbox.expr import contains
from gradelib.sandbox.protocol import expression_to_wire, function_ref

__all__ = ["RemoteObject", "Connection", "StudentCodeError", "SubmissionDied", "RemoteNotImplementedError",
           "probe", "is_remote", "connection_of"]


class SubmissionDied(RuntimeError):
    """The submission's process for this test ended (it called os._exit, crashed, or was stopped at a limit)."""


class StudentCodeError(Exception):
    """The student's code raised an exception in the submission process.

    Attributes:
        kind: the exception's type name there; message: its first line; where: the notebook function
        it was raised in (if any); trace: the traceback's frames in notebook cells.
    """

    def __init__(self, kind: str, message: str, where: str | None, trace: str, load_errors: list[str] = ()) -> None:
        super().__init__(f"{kind}: {message}")
        self.kind, self.message, self.where, self.trace = kind, message, where, trace
        self.load_errors = list(load_errors)


class RemoteNotImplementedError(NotImplementedError):
    """A function of the notebook still raises NotImplementedError (``where`` names it)."""

    def __init__(self, where: str | None) -> None:
        super().__init__(where or "")
        self.where = where


class Connection:
    """The channel to one test's submission process; turns requests into values or raised errors."""

    def __init__(self, channel, *, device_map=None, death_reason=None) -> None:
        """``death_reason``: a callable giving why the submission process ended, when its owner knows (its memory
        limit, the machine's out-of-memory killer), else None; asked when the channel closes mid-request."""
        self.channel = channel
        self.device_map = device_map
        self.death_reason = death_reason
        self.closed = False

    def request(self, op: str, **fields):
        if self.closed:
            raise SubmissionDied("the submission process of this test has already ended")
        try:
            self.channel.send({"op": op, **fields}, self._to_wire)
            reply = self.channel.recv(self._from_wire, device_map=self.device_map)
        except ChannelClosed:
            self.closed = True
            raise SubmissionDied(
                (self.death_reason and self.death_reason())
                or "Your notebook's process ended during this test (it called os._exit or exit, crashed Python, "
                "or went over the grader's memory or process limit)."
            ) from None
        except codec.WireError as error:
            self.closed = True
            raise SubmissionDied(f"Your notebook's process sent an answer the grader cannot read ({error}).") from None
        if not isinstance(reply, dict) or not (("ok" in reply) ^ ("error" in reply)):
            self.closed = True
            raise SubmissionDied("Your notebook's process sent an answer the grader cannot read.")
        if "error" in reply:
            raise _error_from(reply["error"], op)
        return reply["ok"]

    def close(self) -> None:
        self.closed = True
        self.channel.close()

    # ---------------------------------------------------------------- the wire
    def _to_wire(self, value, writer, depth):
        if isinstance(value, RemoteObject):
            if object.__getattribute__(value, "_connection") is not self:
                raise codec.WireError("an object of another test's submission process cannot be sent here")
            return writer.tree(codec.Handle(object.__getattribute__(value, "_id")), depth)
        node = expression_to_wire(value, lambda part: writer.tree(part, depth + 1))
        if node is not None:
            return node
        ref = function_ref(value)
        if ref is not None:
            return writer.tree(ref, depth)
        raise codec.WireError(
            f"a {type(value).__name__} cannot be sent to the submission process (only data, handles, expressions "
            "and public gradelib functions): a grader bug"
        )

    def _from_wire(self, tag, data, build):
        if tag == "$h":
            if not (isinstance(data, list) and len(data) == 2 and type(data[0]) is int):
                raise codec.WireError("a malformed handle")
            return RemoteObject(self, data[0], str(data[1])[:80])
        raise codec.WireError(f"the submission process may not send {tag!r}")


def _error_from(payload, op: str) -> BaseException:
    from gradelib.checks.failures import CheckFailure
    from gradelib.loader import MissingNameError

    if not isinstance(payload, dict):
        return SubmissionDied("Your notebook's process sent an answer the grader cannot read.")
    kind = str(payload.get("type", "Error"))[:80]
    message = str(payload.get("message", ""))
    where = payload.get("where")
    where = str(where)[:120] if where else None
    trace = str(payload.get("trace", ""))[:4000]
    if kind == "NotImplementedError":
        return RemoteNotImplementedError(where)
    if kind == "MissingNameError":
        return MissingNameError(message[:4000])
    if kind == "CheckFailure" and op == "probe":
        return CheckFailure(message[:4000])
    load_errors = payload.get("load_errors")
    load_errors = [str(text)[:200] for text in load_errors[:3]] if isinstance(load_errors, list) else []
    return StudentCodeError(kind, message[:400], where, trace, load_errors)


class RemoteObject:
    """An object that lives in a submission process, used as if it were here.

    Attribute reads, calls, ``obj[key]``, ``len(obj)`` and iteration go to the submission process.
    Methods with double underscores other than those are not forwarded (so pytest, copy and pickle
    never run student code by accident).
    """

    __slots__ = ("_connection", "_id", "_kind")

    def __init__(self, connection: Connection, number: int, kind: str) -> None:
        object.__setattr__(self, "_connection", connection)
        object.__setattr__(self, "_id", number)
        object.__setattr__(self, "_kind", kind)

    def _request(self, op: str, **fields):
        return object.__getattribute__(self, "_connection").request(op, target=self, **fields)

    def __getattr__(self, name: str):
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        return self._request("getattr", name=name)

    def __setattr__(self, name: str, value) -> None:
        self._request("setattr", name=name, value=value)

    def __call__(self, *args, **kwargs):
        return self._request("call", args=args, kwargs=kwargs)

    def __getitem__(self, key):
        return self._request("getitem", key=key)

    def __len__(self) -> int:
        value = self._request("len")
        if type(value) is not int:
            raise TypeError("len() of a submission object did not give an int")
        return value

    def __iter__(self):
        for index in range(len(self)):
            yield self[index]

    def __repr__(self) -> str:
        return f"<{object.__getattribute__(self, '_kind')} in the submission process>"

    def __bool__(self) -> bool:
        return True


def is_remote(value) -> bool:
    return isinstance(value, RemoteObject)


def connection_of(*values) -> Connection | None:
    """The connection of the first remote object found in ``values`` (containers and expressions searched)."""
    found = []

    def predicate(value) -> bool:
        if isinstance(value, RemoteObject):
            found.append(value)
            return True
        return False

    for value in values:
        if contains(value, predicate):
            return object.__getattribute__(found[0], "_connection")
    return None


def probe(function):
    """Mark a public gradelib function as a probe: it runs where the objects it is given live.

    Called with local objects, it simply runs. Called with any :class:`RemoteObject` among its
    arguments (or inside an expression), it runs in that submission process, by name, and returns
    what the function returns there (data only). The caller judges the data.
    """

    @functools.wraps(function)
    def dispatch(*args, **kwargs):
        connection = connection_of(args, kwargs)
        if connection is None:
            return function(*args, **kwargs)
        return connection.request("probe", function=dispatch, args=args, kwargs=kwargs)

    dispatch.__gradelib_probe__ = True
    return dispatch
