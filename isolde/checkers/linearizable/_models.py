"""Built-in models: register, cas-register, multi-register (per key) and kv (per key); the
rest of Knossos's models are in ``_knossos``.

Each ``compile`` returns a closure with the op's arguments bound, because the search calls it
millions of times; ``step`` states the same semantics plainly (and is what tests compare to).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Sequence
from typing import Any

from ..._errors import BadInput
from .._values import show_value
from ._knossos import FifoQueue, MultiRegisterTxn, Mutex, SetModel, UnorderedQueue
from ._model import FAIL_, LinOp, Model, Reach, State, hashable, initial_of

_NONE: tuple[State, ...] = ()


class Register(Model):
    """A read/write register starting at nil (or ``--initial``): a read returns the current
    value."""

    name = "register"
    fs = frozenset({"read", "write"})
    takes_initial = True

    def init(self) -> State:
        return hashable(self.options.initial)

    def step(self, state: State, op: LinOp) -> Iterable[State]:
        if op.f == "write":
            return (op.value,)
        return (state,) if op.output == state else ()

    def compile(self, op: LinOp) -> Callable[[State], Sequence[State]]:
        if op.f == "write":
            after = (op.value,)
            return lambda s: after
        out = op.output
        return lambda s: (s,) if s == out else _NONE


class CasRegister(Register):
    """A register with compare-and-set ``cas [old, new]``.

    A successful (or crashed) CAS applies only where the state equals ``old``. A *failed* CAS
    is kept as evidence: it linearizes only at a point where the state differs from ``old``,
    and changes nothing. This is the reading of Porcupine's etcd model (``ok`` exactly when
    ``old`` matches), so verdicts agree with it on its corpus.
    """

    name = "cas-register"
    fs = frozenset({"read", "write", "cas"})
    evidence_fs = frozenset({"cas"})

    def check_op(self, op: LinOp, where: str) -> None:
        super().check_op(op, where)
        if op.f == "cas":
            _cas_args(op)

    def step(self, state: State, op: LinOp) -> Iterable[State]:
        if op.f != "cas":
            return super().step(state, op)
        old, new = _cas_args(op)
        if op.status == FAIL_:
            return (state,) if state != old else ()
        return (new,) if state == old else ()

    def compile(self, op: LinOp) -> Callable[[State], Sequence[State]]:
        # Register's closures made here too, not through super(): this runs once per op of
        # every partition (a fifth of the search's setup on a register history).
        f = op.f
        if f == "write":
            after = (op.value,)
            return lambda s: after
        if f != "cas":
            out = op.output
            return lambda s: (s,) if s == out else _NONE
        old, new = _cas_args(op)
        if op.status == FAIL_:
            return lambda s: (s,) if s != old else _NONE
        after = (new,)
        return lambda s: after if s == old else _NONE


def _cas_args(op: LinOp) -> tuple[Any, Any]:
    v = op.value
    if not (isinstance(v, tuple) and len(v) == 2):
        raise BadInput(f"cas value must be [old, new], got {v!r}", f"op {op.invoke}")
    return v[0], v[1]


def split_key(op: LinOp) -> tuple[Hashable, LinOp]:
    """Jepsen independent tuples: ``[k, v]`` in and out -> key ``k`` and the op on ``v``."""
    v = op.value
    if not (isinstance(v, tuple) and len(v) == 2):
        raise BadInput(f"expected a [key, value] tuple, got {v!r}", f"op {op.invoke}")
    out = op.output
    if isinstance(out, tuple) and len(out) == 2:
        out = out[1]
    # (Built directly: NamedTuple._replace costs as much as the rest of preparing an op.)
    return v[0], LinOp(op.f, v[1], out, op.status, op.invoke, op.complete, op.process)


class MultiRegister(CasRegister):
    """Independent cas-registers, one per key; values are ``[key, value]``, checked per key.
    ``--initial`` is one value for every key, or a map of key -> value (others start nil)."""

    name = "multi-register"

    def partition(self, op: LinOp) -> tuple[Hashable, LinOp]:
        if op.f == "txn":  # what Knossos calls its multi-register
            raise BadInput("txn ops over a map of registers are model multi-register-txn "
                           "(--model multi-register takes [key, value] tuples)")
        return split_key(op)

    def initial(self, key: Hashable) -> State:
        v = self.options.initial
        return hashable(initial_of(v, key) if isinstance(v, dict) else v)


class KV(Model):
    """An etcd / MIT 6.824-style map of strings, checked per key: ``get`` returns the key's
    whole string (a missing key reads as the empty string; nil is taken as empty too), ``put``
    replaces it, ``append`` concatenates. Values are ``[key, value]``."""

    name = "kv"
    fs = frozenset({"get", "put", "append"})
    read_fs = frozenset({"get"})

    def init(self) -> State:
        return ""

    def partition(self, op: LinOp) -> tuple[Hashable, LinOp]:
        return split_key(op)

    def step(self, state: State, op: LinOp) -> Iterable[State]:
        if op.f == "put":
            return (_s(op.value),)
        if op.f == "append":
            return (str(state) + _s(op.value),)
        return (state,) if _s(op.output) == state else ()

    def compile(self, op: LinOp) -> Callable[[State], Sequence[State]]:
        if op.f == "put":
            after = (_s(op.value),)
            return lambda s: after
        if op.f == "append":
            tail = _s(op.value)
            return lambda s: (s + tail,)  # type: ignore[operator]
        out = _s(op.output)
        return lambda s: (s,) if s == out else _NONE

    def reach(self, ops: Sequence[LinOp]) -> Sequence[Reach | None]:
        # Appends only grow the string: a get of "ab" is out of reach from a state that is not
        # a prefix of "ab", unless a put of a prefix of "ab" is still to come.
        puts: dict[str, list[int]] = {}
        for j, op in enumerate(ops):
            if op.f == "put":
                puts.setdefault(_s(op.value), []).append(j)
        out: list[Reach | None] = []
        for op in ops:
            if op.f != "get":
                out.append(None)
                continue
            got = _s(op.output)
            via = tuple(j for v, js in puts.items() if got.startswith(v) for j in js)
            out.append(Reach(_prefix_of(got), via))
        return out

    def describe(self, state: State) -> str:
        s = show_value(state, limit=1 << 62)
        return s if len(s) <= 80 else f"{s[:38]}...{s[-38:]} ({len(str(state))} chars)"


def _s(v: Any) -> str:
    return "" if v is None else str(v)


def _prefix_of(s: str) -> Callable[[State], bool]:
    """state -> whether it is a prefix of ``s`` (kv states are strings)."""
    return s.startswith  # type: ignore[return-value]


# name -> model class. A user model is one class above and one line here.
MODELS: dict[str, type[Model]] = {
    "register": Register,
    "cas-register": CasRegister,
    "multi-register": MultiRegister,
    "kv": KV,
    "mutex": Mutex,
    "set": SetModel,
    "fifo-queue": FifoQueue,
    "unordered-queue": UnorderedQueue,
    "multi-register-txn": MultiRegisterTxn,
}
