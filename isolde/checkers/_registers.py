"""Register histories decoded into writes, reads and per-process events (shared by the staleness
and causal checkers).

A register history has ``read``/``write``/``cas`` ops, either on one register (read invoke
``None`` -> ok ``v``; write ``v``; cas ``[old, new]``) or on independent keys as Jepsen tuples
(read ``[k, None]`` -> ``[k, v]``; write ``[k, v]``; cas ``[k, [old, new]]``). Written values
must be unique per key; ``None`` is the initial (absent) value. A successful cas reads ``old``
and writes ``new``; an ``info`` write or cas may have happened (it can be read from, but never
"completed"); ``fail`` ops certainly did not happen and are dropped.
"""

from __future__ import annotations

import gc
import weakref
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import compress
from operator import not_
from typing import Any

from .._errors import BadInput
from ..histories import FAIL, INFO, NEMESIS, OK, History, cite_position, hashable

# Stand-ins for -inf / +inf on the ns time axis (kept integral so columns stay ints).
NEG = -(1 << 62)
POS = 1 << 62
INIT = -1  # a read's source when it returned the initial value
THIN = -2  # a read's source when no write (ok or info) produced its value

READ, WRITE = 0, 1
REGISTER_FS = frozenset({"read", "write", "cas"})


@dataclass
class RegisterView:
    """Columns of writes and reads, and each process's events in program order.

    Writes ``w``: ``w_key``, ``w_value``, ``w_inv``/``w_comp`` (ns; ``w_comp`` is ``POS`` for an
    info write), ``w_op`` (invocation index), ``w_ok``, ``w_proc``. Reads ``r`` (ok only):
    ``r_key``, ``r_value``, ``r_inv``/``r_comp`` (ns), ``r_op`` (invocation index), ``r_mode``,
    ``r_proc``, ``r_src`` (a write id, ``INIT`` or ``THIN``), ``r_cas`` (the read half of a cas).
    ``events[p]`` lists ``(READ, r)`` / ``(WRITE, w)`` of process ``p`` in program order.
    ``failed_values`` maps (key, value) to the invocation index of a failed write of it.
    """

    keyed: bool = False
    # How explanations name a history index: the file's own index and line (History.cite).
    cite: Callable[[int], str] = field(default=cite_position)
    w_key: list[Hashable] = field(default_factory=list)
    w_value: list[Any] = field(default_factory=list)
    w_inv: list[int] = field(default_factory=list)
    w_comp: list[int] = field(default_factory=list)
    w_op: list[int] = field(default_factory=list)
    w_ok: list[bool] = field(default_factory=list)
    w_proc: list[Any] = field(default_factory=list)
    r_key: list[Hashable] = field(default_factory=list)
    r_value: list[Any] = field(default_factory=list)
    r_inv: list[int] = field(default_factory=list)
    r_comp: list[int] = field(default_factory=list)
    r_op: list[int] = field(default_factory=list)
    r_mode: list[str] = field(default_factory=list)
    r_proc: list[Any] = field(default_factory=list)
    r_src: list[int] = field(default_factory=list)
    r_cas: list[bool] = field(default_factory=list)
    events: dict[Any, list[tuple[int, int]]] = field(default_factory=dict)
    ambiguous_keys: set[Hashable] = field(default_factory=set)
    failed_values: dict[tuple[Hashable, Hashable], int] = field(default_factory=dict)



@contextmanager
def paused_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector: checkers build millions of small acyclic objects,
    and collections triggered by those allocations would rescan them again and again.

    On resuming, what the pause allocated is moved straight to the oldest generation
    (``freeze`` then ``unfreeze``, each O(1)): left in the youngest, the first allocation
    after would scan all of it (a quarter of a second for a 1M-op register history's decoding,
    which stays cached) only to promote it. Skipped if something else froze objects on
    purpose: ``unfreeze`` would thaw those too -- a history read from a file is frozen by its
    reader (``histories._formats.gc_paused``), and then the first allocation after does scan
    what the pause allocated."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            if not gc.get_freeze_count():
                gc.freeze()
                gc.unfreeze()
            gc.enable()


def is_register_history(history: History) -> bool:
    """True if the history's client ops include register ops (read/write/cas)."""
    return any(f in REGISTER_FS for f in set(history.fs))


def _register_invocations(history: History) -> list[int]:
    """The indices of the client invocations of register ops, in order (the C-speed
    ``compress`` skips the completions without a Python step each)."""
    fs, procs = history.fs, history.processes
    return [i for i in compress(range(len(history)), map(not_, history.types))
            if fs[i] in REGISTER_FS and procs[i] != NEMESIS]


def _is_keyed(history: History, invocations: list[int]) -> bool:
    """Independent-key tuples iff every register invocation's value is a ``[k, x]`` pair (and a
    cas's ``x`` is itself ``[old, new]``)."""
    seen = False
    for i in invocations:
        f = history.fs[i]
        v = history.values[i]
        if not (isinstance(v, (list, tuple)) and len(v) == 2):
            return False
        if f == "cas" and not (isinstance(v[1], (list, tuple)) and len(v[1]) == 2):
            return False
        seen = True
    return seen


def decode(history: History, where: str = "history") -> RegisterView:
    """Decode the register ops of ``history`` (other ops are ignored); raises BadInput on an
    ok read or cas whose value does not have the register shape. Decodings are remembered
    while their history lives (histories are immutable), so checkers share one."""
    view = _CACHE.get(history)
    if view is None:
        view = _CACHE[history] = _decode(history, where)
    return view


_CACHE: weakref.WeakKeyDictionary[History, RegisterView] = weakref.WeakKeyDictionary()


def _weak_cite(history: History) -> Callable[[int], str]:
    """``history.cite`` without keeping ``history`` alive: a cached view that referred to its
    own key would never leave the cache (a soak's check worker kept every segment it checked)."""
    ref = weakref.ref(history)

    def cite(i: int) -> str:
        h = ref()
        return h.cite(i) if h is not None else cite_position(i)

    return cite


def _decode(history: History, where: str) -> RegisterView:
    """The register view of ``history``: its writes and reads (a CAS is both), per process in
    program order, and the write each read read from."""
    invocations = _register_invocations(history)
    view = RegisterView(keyed=_is_keyed(history, invocations), cite=_weak_cite(history))
    keyed = view.keyed
    values, fs, times, types, procs = (history.values, history.fs, history.times,
                                       history.types, history.processes)
    by_value: dict[tuple[Hashable, Hashable], int] = {}
    add_write, add_read = _appenders(view, history, by_value)
    events = view.events
    pair = history.pair_indices  # indexed, not called: this loop runs once per op
    for i in invocations:
        f, p = fs[i], procs[i]
        j = pair[i]
        code = types[j] if j >= 0 else INFO
        if code == FAIL:
            if f == "write":
                k, v = _split(values[i], keyed)
                view.failed_values.setdefault((k, hashable(v)), i)
            continue
        inv_v = values[i]
        if keyed:
            k, arg = inv_v[0], inv_v[1]
            if k.__class__ not in _SCALARS:
                k = hashable(k)
        else:
            k, arg = None, inv_v
        ev = events.get(p)
        if ev is None:
            ev = events[p] = []
        if f == "read":
            if code == OK:  # an unfinished read observed nothing we know
                ev.append((READ, add_read(k, _read_value(values[j], keyed, where, j), False,
                                          i, j, p)))
        elif f == "write":
            ok = code == OK
            ev.append((WRITE, add_write(k, arg, i, times[j] if ok else POS, ok, p)))
        else:  # cas
            if not (isinstance(arg, (list, tuple)) and len(arg) == 2):
                raise BadInput(f"cas value should be [old, new], got {arg!r}", f"{where}#{i}")
            if code == OK:  # it read its old value, then wrote its new one
                ev.append((READ, add_read(k, arg[0], True, i, j, p)))
                ev.append((WRITE, add_write(k, arg[1], i, times[j], True, p)))
            else:
                ev.append((WRITE, add_write(k, arg[1], i, POS, False, p)))
    _resolve_sources(view, by_value)
    return view


def _read_value(out: Any, keyed: bool, where: str, j: int) -> Any:
    """The value an ok read returned (the second half of ``[key, value]`` when keyed)."""
    if not keyed:
        return out
    if not (isinstance(out, (list, tuple)) and len(out) == 2):
        raise BadInput(f"ok read value should be [key, value], got {out!r}", f"{where}#{j}")
    return out[1]


def _appenders(view: RegisterView, history: History,
               by_value: dict[tuple[Hashable, Hashable], int]) -> tuple[Any, Any]:
    """``add_write`` and ``add_read``: each appends one write or read to the view's columns and
    returns its index (closures over the columns: this is the hot path of decoding)."""
    times, extras = history.times, history.extras_by_index
    none: dict[str, Any] = {}
    w_key, w_value, w_inv, w_comp = view.w_key, view.w_value, view.w_inv, view.w_comp
    w_op, w_ok, w_proc = view.w_op, view.w_ok, view.w_proc
    r_key, r_value, r_inv, r_comp = view.r_key, view.r_value, view.r_inv, view.r_comp
    r_op, r_mode, r_proc, r_cas = view.r_op, view.r_mode, view.r_proc, view.r_cas
    ambiguous = view.ambiguous_keys

    def add_write(k: Hashable, v: Any, i: int, comp_t: int, ok: bool, p: Any) -> int:
        hv = v if v.__class__ in _SCALARS else hashable(v)
        w = len(w_key)
        if v is None or by_value.setdefault((k, hv), w) != w:
            ambiguous.add(k)
        w_key.append(k)
        w_value.append(v)
        w_inv.append(times[i])
        w_comp.append(comp_t)
        w_op.append(i)
        w_ok.append(ok)
        w_proc.append(p)
        return w

    def add_read(k: Hashable, out: Any, cas: bool, i: int, j: int, p: Any) -> int:
        r = len(r_key)
        r_key.append(k)
        r_value.append(out)
        r_inv.append(times[i])
        r_comp.append(times[j])
        r_op.append(i)
        r_proc.append(p)
        r_cas.append(cas)
        mode = (extras.get(i, none).get("consistency")
                or extras.get(j, none).get("consistency"))
        r_mode.append(mode if mode.__class__ is str else
                      "unspecified" if mode is None else str(mode))
        return r

    return add_write, add_read


def _resolve_sources(view: RegisterView, by_value: dict[tuple[Hashable, Hashable], int]) -> None:
    """Each read's source: the write of its value, the initial value (None), or thin air."""
    r_src = view.r_src = [THIN] * len(view.r_key)
    for r, (k, v) in enumerate(zip(view.r_key, view.r_value, strict=True)):
        if v is None:
            r_src[r] = INIT
        else:
            r_src[r] = by_value.get((k, v if v.__class__ in _SCALARS else hashable(v)), THIN)


_SCALARS = frozenset({int, str, float, bool, type(None)})


def _split(v: Any, keyed: bool) -> tuple[Hashable, Any]:
    if keyed:
        return hashable(v[0]), v[1]
    return None, v
