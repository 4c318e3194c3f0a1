"""Knossos's other models: mutex, set, fifo-queue, unordered-queue, and its multi-register
(transactions of reads and writes over a map of registers).

The semantics follow ``knossos.model``, with one deliberate difference: a crashed (``info``)
dequeue, whose value is unknown, may have taken an element (the head of a FIFO queue, any
element of an unordered one) or never happened. Knossos reads it with the invocation's nil
value, so it can never take effect, and it can call a history invalid whose crashed dequeue
did take the element a later read misses.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from typing import Any

from ..._errors import BadInput, UsageError
from .._values import show_value
from ._model import INFO_, OK_, LinOp, Model, ModelOptions, State, hashable


class Mutex(Model):
    """A lock: ``acquire`` when free, ``release`` when held (else the op is illegal)."""

    name = "mutex"
    fs = frozenset({"acquire", "release"})
    read_fs = frozenset()

    def init(self) -> State:
        return False

    def step(self, state: State, op: LinOp) -> Iterable[State]:
        if op.f == "acquire":
            return () if state else (True,)
        return (False,) if state else ()

    def describe(self, state: State) -> str:
        return "held" if state else "free"


def _members(v: Any, where: str) -> frozenset[Any]:
    if v is None:
        return frozenset()  # Knossos: (set nil) is the empty set
    if not isinstance(v, tuple):
        raise BadInput(f"a set read must return a collection, got {v!r}", where)
    return frozenset(v)


class SetModel(Model):
    """A set: ``add v`` inserts ``v``; ``read`` returns every element (in any order)."""

    name = "set"
    fs = frozenset({"add", "read"})

    def init(self) -> State:
        return frozenset()

    def check_op(self, op: LinOp, where: str) -> None:
        super().check_op(op, where)
        if op.f == "read" and op.status == OK_:
            _members(op.output, where)

    def step(self, state: State, op: LinOp) -> Iterable[State]:
        if op.f == "add":
            return (state | {op.value},)  # type: ignore[operator]
        return (state,) if _members(op.output, "") == state else ()

    def describe(self, state: State) -> str:
        return "#{" + " ".join(sorted(map(show_value, state))) + "}"  # type: ignore[call-overload]




def _order(v: Any) -> tuple[str, str]:
    """A total order on any values, for the canonical form of a multiset."""
    return type(v).__name__, repr(v)


class _Queue(Model):
    """Enqueue and dequeue, from an empty queue (a tuple); no op is a read."""

    fs = frozenset({"enqueue", "dequeue"})
    read_fs = frozenset()

    def init(self) -> State:
        return ()


class FifoQueue(_Queue):
    """A FIFO queue: ``enqueue v`` appends; an ok ``dequeue`` returns the head and removes it
    (so an empty queue has no ok dequeue: record it as ``fail``)."""

    name = "fifo-queue"

    def step(self, state: State, op: LinOp) -> Iterable[State]:
        q: tuple[Any, ...] = state  # type: ignore[assignment]
        if op.f == "enqueue":
            return ((*q, op.value),)
        if not q or (op.status != INFO_ and q[0] != op.output):
            return ()
        return (q[1:],)

    def describe(self, state: State) -> str:
        return "[" + " ".join(map(show_value, state)) + "]"  # type: ignore[call-overload]


class UnorderedQueue(_Queue):
    """A queue without order: a dequeue returns (and removes) any enqueued element (the
    state keeps them sorted, so equal multisets are equal states)."""

    name = "unordered-queue"

    def step(self, state: State, op: LinOp) -> Iterable[State]:
        bag: tuple[Any, ...] = state  # type: ignore[assignment]  # sorted by _order
        if op.f == "enqueue":
            return (tuple(sorted((*bag, op.value), key=_order)),)
        if op.status == INFO_:  # it may have taken any element
            return tuple(bag[:i] + bag[i + 1:] for i in range(len(bag))
                         if i == 0 or bag[i] != bag[i - 1])
        for i, v in enumerate(bag):
            if v == op.output:
                return (bag[:i] + bag[i + 1:],)
        return ()

    def describe(self, state: State) -> str:
        return "{" + " ".join(map(show_value, state)) + "}"  # type: ignore[call-overload]


_READ, _WRITE = frozenset({"read", "r"}), frozenset({"write", "w"})


def _micro_ops(v: Any, where: str) -> tuple[tuple[str, Hashable, Any], ...]:
    if not isinstance(v, tuple) or not all(
            isinstance(m, tuple) and len(m) == 3 and (m[0] in _READ or m[0] in _WRITE)
            for m in v):
        raise BadInput(f"a multi-register txn must be [[:read k v] [:write k v] ...], got "
                       f"{show_value(v)}", where)
    return v


class MultiRegisterTxn(Model):
    """Knossos's multi-register: ``txn`` ops whose value is ``[[:read :x v] [:write :y 2]]``
    over a map of registers (initially nil, or ``--initial {x 0, y 0}``). A read inside a
    transaction returns the register's value then; a crashed transaction's reads (nil in its
    invocation) constrain nothing."""

    name = "multi-register-txn"
    fs = frozenset({"txn"})
    read_fs = frozenset()
    takes_initial = True

    def __init__(self, options: ModelOptions | None = None) -> None:
        super().__init__(options)
        if self.options.has_initial and not isinstance(self.options.initial, dict):
            raise UsageError(f"model {self.name} takes a map as --initial, e.g. '{{:x 0}}'")
        self.nil_free = self.options.nil_reads == "unconstrained"

    def init(self) -> State:
        init = self.options.initial if self.options.has_initial else {}
        return _freeze({k: hashable(init[k]) for k in init})

    def _mops(self, op: LinOp) -> tuple[tuple[str, Hashable, Any], ...]:
        return _micro_ops(op.output if op.status == OK_ else op.value, f"op {op.invoke}")

    def check_op(self, op: LinOp, where: str) -> None:
        super().check_op(op, where)
        _micro_ops(op.value, where)
        if op.status == OK_:
            _micro_ops(op.output, where)

    def effect_free(self, op: LinOp) -> bool:
        return all(m[0] in _READ for m in self._mops(op)) or super().effect_free(op)

    def include(self, op: LinOp) -> bool:
        # A crashed read-only transaction has no effect and its reads are unknown.
        return super().include(op) and not (op.status == INFO_ and self.effect_free(op))

    def step(self, state: State, op: LinOp) -> Iterable[State]:
        regs = dict(state)  # type: ignore[call-overload]
        unknown = op.status != OK_ or self.nil_free
        for f, k, v in self._mops(op):
            if f in _WRITE:
                regs[k] = v
            elif not (v is None and unknown) and regs.get(k) != v:
                return ()
        return (_freeze(regs),)

    def describe(self, state: State) -> str:
        return show_value(dict(state))  # type: ignore[call-overload]


def _freeze(regs: dict[Any, Any]) -> State:
    return tuple(sorted(((k, v) for k, v in regs.items()), key=lambda kv: _order(kv[0])))
