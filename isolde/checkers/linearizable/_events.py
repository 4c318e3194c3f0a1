"""The search's event lists (see :mod:`._wgl`): op by op for short partitions, in numpy for
long ones, where building them per op in Python cost more than the search itself (about 2 µs
per op of a 20,000-op register key, against 1.5 µs searched). Both give the same lists.

Events are numbered 0 (the head), 1..m (the ops' calls and returns in real-time order), m+1
(the end) and m+2 (the ``_BACK`` sentinel). Each event has a kind; the kinds are ordered so the
search tests ranges: calls (plain, in an earlier op's place, effect-free), the sentinel that
forces one more backtrack, real returns, and stops.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Sequence
from itertools import compress
from operator import itemgetter
from typing import NamedTuple

import numpy as np

from ._model import INFO_, LinOp

CALL, GUARDED, READ, BACK, RET, STOP = 0, 1, 2, 3, 4, 5
_MAIN = frozenset({CALL, RET, STOP})  # the kinds in the second pass's list
# Ops in a partition beyond which the lists are built in numpy (below, its fixed cost is more
# than the per-op Python it saves).
NUMPY_ABOVE = 1024
_INF = np.iinfo(np.int64).max  # where an op that never completed returns: after every event
_INVOKE, _COMPLETE = itemgetter(4), itemgetter(5)  # LinOp's fields (faster than by name)


class Events(NamedTuple):
    """Each event's kind, op (-1 for none) and, for a call, its return (else 0); each op's
    call event."""

    kind: list[int]
    op_of: list[int]
    ret: list[int]
    call_of: list[int]


class Lists(NamedTuple):
    """The two doubly linked event lists, each from the head to the end: the calls of ops with
    effects and the returns (``nxt``/``prv``, the search's second pass), and the calls of
    effect-free ops (``rnxt``/``rprv``, the first pass)."""

    nxt: list[int]
    prv: list[int]
    rnxt: list[int]
    rprv: list[int]


def crashed(ops: Sequence[LinOp]) -> list[bool]:
    """Whether each op may never have taken effect (crashed, or never completed): it returns
    at infinity."""
    return [op.status == INFO_ or op.complete < 0 for op in ops]


def link(ops: Sequence[LinOp], effect_free: Sequence[bool], was_crashed: Sequence[bool],
         guarded: Sequence[int]) -> tuple[Events, Lists]:
    """The events of ``ops`` (calls at ``invoke``, returns at ``complete``, those of the ops
    ``was_crashed`` after every other event), sorted by (position, return after call, op),
    with their kinds: a call is READ where ``effect_free``, GUARDED for the ops ``guarded``,
    else CALL; a return is RET, or STOP for a crashed op's. And the event lists."""
    fn = link_np if len(ops) > NUMPY_ABOVE else link_py
    return fn(ops, effect_free, was_crashed, guarded)


def link_py(ops: Sequence[LinOp], effect_free: Sequence[bool], was_crashed: Sequence[bool],
            guarded: Sequence[int]) -> tuple[Events, Lists]:
    """:func:`link`, op by op (the lists in C loops)."""
    inf = float("inf")
    evs: list[tuple[float, int, int]] = []
    for i, (op, was) in enumerate(zip(ops, was_crashed, strict=True)):
        evs.append((op.invoke, 0, i))
        evs.append((inf if was else op.complete, 1, i))
    evs.sort()
    m = len(evs)
    kind = [STOP] * (m + 3)
    kind[m + 2] = BACK
    op_of = [-1] * (m + 2)
    ret = [0] * (m + 2)
    call_of = [0] * len(ops)
    for eid, (pos, is_ret, i) in enumerate(evs, 1):
        op_of[eid] = i
        if is_ret:
            ret[call_of[i]] = eid
            kind[eid] = RET if pos != inf else STOP
        else:
            call_of[i] = eid
            kind[eid] = READ if effect_free[i] else CALL
    for i in guarded:
        kind[call_of[i]] = GUARDED
    events, kinds = range(1, m + 1), kind[1:m + 1]
    nxt, prv = _chain(compress(events, map(_MAIN.__contains__, kinds)), m)
    rnxt, rprv = _chain(compress(events, map(READ.__eq__, kinds)), m)
    return Events(kind, op_of, ret, call_of), Lists(nxt, prv, rnxt, rprv)


def link_np(ops: Sequence[LinOp], effect_free: Sequence[bool], was_crashed: Sequence[bool],
            guarded: Sequence[int]) -> tuple[Events, Lists]:
    """:func:`link` in numpy (one sort of the 2n events)."""
    n = len(ops)
    invoke = np.fromiter(map(_INVOKE, ops), np.int64, n)
    complete = np.where(np.fromiter(was_crashed, bool, n), _INF,
                        np.fromiter(map(_COMPLETE, ops), np.int64, n))
    pos = np.concatenate([invoke, complete])
    is_ret = np.repeat(np.array([0, 1], np.int8), n)
    op = np.tile(np.arange(n, dtype=np.int64), 2)
    order = np.lexsort((op, is_ret, pos))  # the last key is the first compared
    m = 2 * n
    eids = np.arange(1, m + 1, dtype=np.int64)
    ev_op, ev_ret = op[order], is_ret[order].astype(bool)
    call_of = np.empty(n, np.int64)
    call_of[ev_op[~ev_ret]] = eids[~ev_ret]
    ret_of = np.empty(n, np.int64)
    ret_of[ev_op[ev_ret]] = eids[ev_ret]
    kind = np.full(m + 3, STOP, np.int64)
    kind[m + 2] = BACK
    kind[call_of] = np.where(np.fromiter(effect_free, bool, n), READ, CALL)
    kind[ret_of] = np.where(complete == _INF, STOP, RET)
    kind[call_of[np.array(guarded, np.int64)]] = GUARDED
    ret = np.zeros(m + 2, np.int64)
    ret[call_of] = ret_of
    kinds = kind[1:m + 1]
    main = (kinds == CALL) | (kinds == RET) | (kinds == STOP)
    ints = _ints(m + 3)
    nxt, prv = _chain_np(np.flatnonzero(main) + 1, m, ints)
    rnxt, rprv = _chain_np(np.flatnonzero(kinds == READ) + 1, m, ints)
    return (Events(kind.tolist(), [-1, *ints[ev_op].tolist(), -1], ints[ret].tolist(),
                   ints[call_of].tolist()),
            Lists(nxt, prv, rnxt, rprv))


def _ints(n: int) -> np.ndarray:
    """0..n-1 as Python ints in an object array: lists taken from it share one int object per
    value, as the op-by-op lists do, where ``tolist`` would make one per entry (a third more
    memory per search, and all searches are alive while they take turns)."""
    return np.arange(n).astype(object)


def _chain(events: Iterable[int], m: int) -> tuple[list[int], list[int]]:
    """Next and previous links of a list of the head (0), ``events`` and the end (m+1)."""
    nxt, prv = [m + 1] * (m + 3), [0] * (m + 3)
    ids = [0, *events, m + 1]
    # nxt[a] = b and prv[b] = a for each pair (a, b) of neighbours, looped in C.
    deque(map(nxt.__setitem__, ids[:-1], ids[1:]), maxlen=0)
    deque(map(prv.__setitem__, ids[1:], ids[:-1]), maxlen=0)
    return nxt, prv


def _chain_np(events: np.ndarray, m: int, ints: np.ndarray) -> tuple[list[int], list[int]]:
    """:func:`_chain` in numpy (the links taken from ``ints``, see :func:`_ints`)."""
    ids = np.concatenate([[0], events, [m + 1]]).astype(np.int64)
    nxt = np.full(m + 3, m + 1, np.int64)
    prv = np.zeros(m + 3, np.int64)
    nxt[ids[:-1]] = ids[1:]
    prv[ids[1:]] = ids[:-1]
    return ints[nxt].tolist(), ints[prv].tolist()


def packed_slots(was_crashed: Sequence[bool], call_of: Sequence[int], size: int,
                 s: int) -> tuple[list[int], list[int]]:
    """Per call event, its op's bit in a packed linearized set (see ``Search._number``) and
    its count mask: crashed ops (in call order) from bit ``s`` on, with mask 0; completed
    ops from just after them, with mask ``2**s - 1``. Other events get 0 and 0."""
    if len(call_of) > NUMPY_ABOVE:
        return packed_slots_np(was_crashed, call_of, size, s)
    return packed_slots_py(was_crashed, call_of, size, s)


def packed_slots_py(was_crashed: Sequence[bool], call_of: Sequence[int], size: int,
                    s: int) -> tuple[list[int], list[int]]:
    """:func:`packed_slots`, op by op."""
    pos, slide = [0] * size, [0] * size
    done, info, mask = s + sum(was_crashed), s, (1 << s) - 1
    for c, was in zip(call_of, was_crashed, strict=True):
        if was:
            pos[c], info = info, info + 1
        else:
            pos[c], slide[c], done = done, mask, done + 1
    return pos, slide


def packed_slots_np(was_crashed: Sequence[bool], call_of: Sequence[int], size: int,
                    s: int) -> tuple[list[int], list[int]]:
    """:func:`packed_slots` in numpy."""
    n = len(call_of)
    crash = np.fromiter(was_crashed, bool, n)
    calls = np.fromiter(call_of, np.int64, n)
    before = np.cumsum(crash) - crash  # crashed ops before each op
    slot = np.where(crash, s + before, s + int(crash.sum()) + np.arange(n) - before)
    pos = np.zeros(size, np.int64)
    slide = np.zeros(size, np.int64)
    pos[calls] = slot
    slide[calls] = ~crash
    masks = np.array([0, (1 << s) - 1], object)  # one mask object, as op by op
    return pos.tolist(), masks[slide].tolist()
