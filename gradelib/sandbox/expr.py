"""Small expressions over a submission's objects, sent as data so that a probe can evaluate them where the objects live.

A check that needs a function of the student's model (its log-likelihood of some images, a call
on another device) cannot send a lambda to the submission process. It builds an expression instead::

    from gradelib.sandbox.expr import X, DEVICE, method, call
    fn = method(model, "log_prob", X)                 # x -> model.log_prob(x)
    fn = call(bernoulli_log_prob, method(model, "__call__", X), X)   # x -> bernoulli_log_prob(model(x), x)
    fn(images)                                        # evaluates here when ``model`` is a local object

Callees are objects of the process that evaluates (handles when sent), attributes by name, or public
gradelib functions (sent by name, never as code). Variables (:data:`X`, :data:`DEVICE`, :data:`MODEL`)
are bound when the expression is evaluated.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["Var", "Attr", "Call", "X", "DEVICE", "MODEL", "method", "call", "evaluate", "contains"]


class Expr:
    """Base of expressions: calling one evaluates it, binding ``x`` (first positional) and named variables."""

    def __call__(self, *positional, **env):
        if positional:
            env = {"x": positional[0], **env}
        return evaluate(self, env)


@dataclass(frozen=True)
class Var(Expr):
    """A variable, bound when the expression is evaluated."""

    name: str


@dataclass(frozen=True)
class Attr(Expr):
    """``target.name``."""

    target: Any
    name: str


@dataclass(frozen=True, eq=False)
class Call(Expr):
    """``callee(*args, **kwargs)``; any of them may be expressions."""

    callee: Any
    args: tuple = ()
    kwargs: dict = field(default_factory=dict)


X = Var("x")
DEVICE = Var("device")
MODEL = Var("model")


def method(target, name: str, *args, **kwargs) -> Call:
    """``target.name(*args, **kwargs)`` as an expression (``__call__`` calls the target itself)."""
    return Call(Attr(target, name), args, kwargs)


def call(fn, *args, **kwargs) -> Call:
    """``fn(*args, **kwargs)`` as an expression; ``fn`` is an object or a public gradelib function."""
    return Call(fn, args, kwargs)


def evaluate(value, env: dict):
    """The value of an expression (or of a container holding expressions) with variables from ``env``."""
    if isinstance(value, Var):
        if value.name not in env:
            raise KeyError(f"the expression's variable {value.name!r} is not bound")
        return env[value.name]
    if isinstance(value, Attr):
        return getattr(evaluate(value.target, env), value.name)
    if isinstance(value, Call):
        callee = evaluate(value.callee, env)
        args = [evaluate(arg, env) for arg in value.args]
        kwargs = {key: evaluate(arg, env) for key, arg in value.kwargs.items()}
        return callee(*args, **kwargs)
    if isinstance(value, tuple):
        return tuple(evaluate(item, env) for item in value)
    if isinstance(value, list):
        return [evaluate(item, env) for item in value]
    if isinstance(value, dict):
        return {key: evaluate(item, env) for key, item in value.items()}
    return value


def contains(value, predicate) -> bool:
    """Does ``value`` (an expression, container or leaf) hold a leaf for which ``predicate`` is true?"""
    if predicate(value):
        return True
    if isinstance(value, Attr):
        return contains(value.target, predicate)
    if isinstance(value, Call):
        return (contains(value.callee, predicate) or any(contains(a, predicate) for a in value.args)
                or any(contains(a, predicate) for a in value.kwargs.values()))
    if isinstance(value, (tuple, list)):
        return any(contains(item, predicate) for item in value)
    if isinstance(value, dict):
        return any(contains(item, predicate) for item in value.values())
    return False
