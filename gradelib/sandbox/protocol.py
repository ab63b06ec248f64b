"""What each side of the submission channel may send beyond plain data: handles, expressions, public functions.

The trusted side sends handles of objects that live in the submission process, expressions
(:mod:`gradelib.sandbox.expr`) and public gradelib functions by name. The submission side sends data
and handles (every value that is not data stays where it is, in its table of objects). Requests
and answers are dicts; the operations are listed in :data:`OPERATIONS`.
"""

from __future__ import annotations

import importlib

from gradelib.sandbox.codec import FunctionRef, WireError
from gradelib.sandbox.expr import Attr, Call, Var

__all__ = ["OPERATIONS", "PUBLIC_PACKAGE", "expression_to_wire", "expression_from_wire", "function_ref",
           "resolve_function", "MAX_ERROR_MESSAGE", "MAX_ERROR_TRACE"]

#: Requests a test's submission process answers.
OPERATIONS = ("getattr", "setattr", "call", "getitem", "len", "repr", "probe", "seed", "release")
#: Functions may be named across the channel only from this package (public code, never sent as source).
PUBLIC_PACKAGE = "gradelib"
#: A message raised by student code reaches the trusted side cut to its first line, at most this long.
MAX_ERROR_MESSAGE = 300
#: The student-frames traceback of an error, at most this long.
MAX_ERROR_TRACE = 2000


def function_ref(value) -> FunctionRef | None:
    """A public gradelib function or class as a reference by name; None for anything else."""
    module = getattr(value, "__module__", None) or ""
    qualname = getattr(value, "__qualname__", None)
    if callable(value) and qualname and (module == PUBLIC_PACKAGE or module.startswith(PUBLIC_PACKAGE + ".")) \
            and "<" not in qualname:
        return FunctionRef(module, qualname)
    return None


def resolve_function(module: str, qualname: str):
    """Import a public gradelib function named by a :class:`FunctionRef`; WireError for anything else."""
    if not (module == PUBLIC_PACKAGE or module.startswith(PUBLIC_PACKAGE + ".")) or "<" in qualname:
        raise WireError(f"{module}:{qualname} is not a public gradelib function")
    value = importlib.import_module(module)
    for part in qualname.split("."):
        value = getattr(value, part)
    return value


def expression_to_wire(value, tree):
    """Tagged data for an expression node (``tree`` encodes its parts), or None if ``value`` is none."""
    if isinstance(value, Var):
        return {"$var": value.name}
    if isinstance(value, Attr):
        return {"$attr": [tree(value.target), value.name]}
    if isinstance(value, Call):
        return {"$call": [tree(value.callee), tree(tuple(value.args)), tree(dict(value.kwargs))]}
    return None


def expression_from_wire(tag: str, data, build):
    """An expression node from tagged data (``build`` decodes its parts), or None for another tag."""
    if tag == "$var":
        return Var(str(data))
    if tag == "$attr":
        target, name = data
        return Attr(build(target), str(name))
    if tag == "$call":
        callee, args, kwargs = data
        args, kwargs = build(args), build(kwargs)
        if not isinstance(args, tuple) or not isinstance(kwargs, dict):
            raise WireError("a malformed call")
        return Call(build(callee), args, kwargs)
    return None
