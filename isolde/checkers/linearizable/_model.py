"""The Model protocol for linearizability checking, and the ops a model sees.

A model is a sequential specification: an initial state and ``step(state, op)``, the states the
object may be in after ``op`` took effect in ``state`` (none: the op is illegal there; several:
a nondeterministic object). States must be hashable and compare by value (tuples, ints,
strings, frozensets), because the search caches (linearized ops, state) pairs.

Adding a model is one small class::

    class Counter(Model):
        name = "counter"
        fs = frozenset({"read", "add"})

        def init(self) -> int:
            return 0

        def step(self, state, op):
            if op.f == "add":
                return (state + op.value,)
            return (state,) if op.output == state else ()

and one line in :data:`MODELS`.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, NamedTuple

from ..._errors import BadInput, UsageError
from ...histories import hashable as _hashable
from .._values import show_value

State = Hashable
OK_, INFO_, FAIL_ = "ok", "info", "fail"


class LinOp(NamedTuple):
    """One operation as the search sees it.

    ``value`` is the invocation's argument and ``output`` the completion's value (None for an
    ``info`` op, whose outcome is unknown). ``status`` is ``ok``, ``info`` (the op may take
    effect at any time after its call, or never) or ``fail`` (kept only when the model uses it
    as evidence). ``invoke``/``complete`` are history indices (``complete`` -1 when open).
    """

    f: str
    value: Any
    output: Any
    status: str
    invoke: int
    complete: int
    process: Any = None


@dataclass(frozen=True)
class ModelOptions:
    """How a history's values are read, for the models that take them.

    ``initial`` (when ``has_initial``) is the register models' initial value (``--initial``):
    one value, or a map of key -> value for the multi-register models. ``nil_reads``:
    ``value`` (an ok read of nil saw nil, isolde's default: its stores start every key at nil)
    or ``unconstrained`` (Knossos's reading: such a read says nothing).
    """

    initial: Any = None
    has_initial: bool = False
    nil_reads: str = "value"

    @classmethod
    def of(cls, initial: tuple[Any, ...], nil_reads: str) -> ModelOptions:
        """From check options: ``initial`` is ``(value,)`` when given, else ``()``."""
        return cls(initial[0] if initial else None, bool(initial), nil_reads)


class Reach(NamedTuple):
    """How an effect-free op that must take effect (an ok read) can still become legal.

    ``test(state)`` may be False only where no sequence of the partition's ops, leaving out the
    ops at ``via`` (indices into the partition's ops), leads from ``state`` to a state where
    the op is legal: e.g. a kv get of "ab" from state "ax" (appends only grow the string) unless
    a put of "a" or "ab" is still to come. The search abandons a configuration in which such an
    op's test fails and none of its ``via`` ops remains (sound: the op could never linearize).
    """

    test: Callable[[State], bool]
    via: tuple[int, ...] = ()


class Model:
    """Base class of models: override ``init`` and ``step``; the rest has sensible defaults."""

    name: ClassVar[str] = "model"
    fs: ClassVar[frozenset[str]] = frozenset()  # the op names this model understands
    # Ops without effect: a crashed (info) one constrains nothing, so it is dropped.
    read_fs: ClassVar[frozenset[str]] = frozenset({"read"})
    # Failed ops that still carry information about the state (kept; all others are dropped).
    evidence_fs: ClassVar[frozenset[str]] = frozenset()
    takes_initial: ClassVar[bool] = False  # whether ``--initial`` means anything to it

    def __init__(self, options: ModelOptions | None = None) -> None:
        self.options = options or ModelOptions()
        if self.options.has_initial and not self.takes_initial:
            raise UsageError(f"model {self.name} takes no --initial value")

    def init(self) -> State:
        raise NotImplementedError

    def initial(self, key: Hashable) -> State:
        """The initial state of partition ``key``; ``init()`` unless a model's keys differ."""
        return self.init()

    def step(self, state: State, op: LinOp) -> Iterable[State]:
        """States after ``op`` takes effect in ``state``; empty if ``op`` is illegal there.

        It may depend only on the op's ``f``, ``value``, ``output`` and ``status``.
        """
        raise NotImplementedError

    def partition(self, op: LinOp) -> tuple[Hashable, LinOp]:
        """(key, op as the per-key model sees it); one partition (key None) by default.

        Models of independent keys override this: linearizability is local, so each key is
        checked on its own (P-compositionality).
        """
        return None, op

    def describe(self, state: State) -> str:
        """A short human description of a state, for explanations."""
        return show_value(state)

    def include(self, op: LinOp) -> bool:
        """Whether ``op`` constrains the history at all (see ``read_fs``, ``evidence_fs``)."""
        if op.status == OK_:
            return True
        if op.status == INFO_:
            return op.f not in self.read_fs
        return op.f in self.evidence_fs

    def effect_free(self, op: LinOp) -> bool:
        """True if ``op`` never changes the state where it is legal (a read, a failed op).

        The search linearizes such ops as early as they are legal; a model whose reads have
        side effects must override this.
        """
        return op.f in self.read_fs or op.status == FAIL_

    def compile(self, op: LinOp) -> Callable[[State], Sequence[State]]:
        """A function state -> next states for this one op (the search's hot path).

        The default wraps :meth:`step`; built-in models return specialised closures.
        """
        step = self.step

        def run(state: State) -> Sequence[State]:
            out = step(state, op)
            return out if isinstance(out, tuple) else tuple(out)

        return run

    def reach(self, ops: Sequence[LinOp]) -> Sequence[Reach | None]:
        """For each of a partition's ``ops``, how it can still become legal (see
        :class:`Reach`), or None; only ok effect-free ops' entries are used. The default, no
        entries, never prunes; a model overrides it when states rule out most later reads
        (kv: appended strings), which cuts the search to the orders the reads allow."""
        return ()

    def check_op(self, op: LinOp, where: str) -> None:
        """Raise BadInput (saying ``where``) if this model cannot interpret ``op`` (as the
        partition's model sees it)."""
        if op.f not in self.fs:
            raise BadInput(
                f"model {self.name} cannot interpret f {op.f!r} "
                f"(it knows {', '.join(sorted(self.fs))}; choose another with --model)",
                where,
            )

    def __reduce__(self) -> tuple[Any, ...]:
        # Models hold nothing but their options: rebuilt from the class and those.
        return (type(self), (self.options,))


def hashable(v: Any) -> Any:
    """Lists (JSON arrays) as tuples, so values can live in states and cache keys."""
    t = type(v)
    if t is list:
        for x in v:
            if type(x) in (list, dict):
                return _hashable(v)
        return tuple(v)  # the common flat case, without recursion
    return _hashable(v) if t is dict else v


def initial_of(initial: dict[Any, Any], key: Hashable) -> Any:
    """Key ``key``'s value in an ``--initial`` map (JSON map keys are strings, so a key 1 of
    the history is found under "1" too); nil when the map does not name it."""
    if key in initial:
        return initial[key]
    return initial.get(str(key))
