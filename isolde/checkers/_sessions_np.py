"""Which reads break which session guarantee, for every read at once with numpy: the same
decisions as the pure-Python pass of :mod:`._sessions`, which then only has to run where the
anomalies it lists are (the first 100 of each type), to name their ops.

With reads in the pass's order (process by process, program order) and u < v meaning
``hi(u) < lo(v)``:

- read-your-writes: the read's value is older than the greatest ``lo`` among its process's
  earlier writes of the key (a running maximum per process and key);
- monotonic-reads: older than the greatest source ``lo`` among its process's earlier reads of
  the key;
- monotonic-writes / writes-follow-reads: for each process p, how far into p's program the
  reader had read before (``F``: through any key; ``F≠k``: through another key than the
  read's), then the greatest ``lo`` of p's writes of the key (of the values p read of the key)
  before that point: one ``searchsorted`` per (read, process).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from ._causal_model import INIT, NEG, CausalModel
from ._causal_vc import Events, KeyIds

__all__ = ["SessionFlags", "session_flags"]

Int = NDArray[np.int64]
Bool = NDArray[np.bool_]
NONE = np.iinfo(np.int64).min  # below every lo, NEG included: "no such write or read"


@dataclass
class SessionFlags:
    """``reads``: the reads judged (a known source), in the pure-Python pass's order;
    ``flags[type]``: which of them break that guarantee."""

    reads: Int
    flags: dict[str, Bool]


def session_flags(m: CausalModel, ev: Events, kids: KeyIds,
                  judged: Callable[[int], bool] | None) -> SessionFlags:
    """Every judged read's decisions (``kids``: :func:`key_ids` with every key)."""
    src = np.asarray(m.r_src, dtype=np.int64)
    reads = np.flatnonzero(src >= INIT)
    reads = reads[np.argsort(ev.r_ev[reads], kind="stable")]
    _ids, w_kid, r_kid = kids
    w_lo = np.asarray(m.w_lo, dtype=np.int64)
    s = src[reads]
    known = s >= 0
    safe = np.maximum(s, 0)
    hs = np.where(known, np.asarray(m.w_hi, dtype=np.int64)[safe], NEG)
    ls = np.where(known, w_lo[safe], NEG)
    at = ev.r_ev[reads]
    q, k = ev.proc[at], r_kid[reads]
    flags = {
        "read-your-writes": hs < _own_writes_lo(ev, w_kid, w_lo, at, q, k),
        "monotonic-reads": hs < _own_reads_lo(at, q, k, ls),
    }
    f_any, f_other = _read_into(ev, w_kid, reads, known, safe, q, k)
    n_procs = len(ev.starts) - 1
    span = int(ev.pos.max(initial=0)) + 2
    writes = ev.w_ev
    mw = _floor(w_kid, ev.proc[writes], ev.pos[writes], w_lo, k, f_other, n_procs, span)
    wfr = _floor(k, q, ev.pos[at], ls, k, f_any, n_procs, span)
    flags["monotonic-writes"] = hs < mw
    flags["writes-follow-reads"] = hs < wfr
    if judged is not None:
        ok = np.fromiter(map(judged, reads.tolist()), dtype=bool, count=len(reads))
        flags = {t: f & ok for t, f in flags.items()}
    return SessionFlags(reads, flags)


def _group_max(group: Int, values: Int) -> Int:
    """Running maximum of ``values`` within each run of equal ``group`` (sorted): values as
    ranks, offset per group so that no maximum carries over into the next group."""
    uniq, rank = np.unique(values, return_inverse=True)
    dense = np.r_[0, np.cumsum(group[1:] != group[:-1])] * len(uniq)
    out: Int = uniq[np.maximum.accumulate(dense + rank.ravel()) - dense]
    return out


def _own_writes_lo(ev: Events, w_kid: Int, w_lo: Int, at: Int, q: Int, k: Int) -> Int:
    """Per read: the greatest lo of its process's earlier writes of its key (NONE: none)."""
    n_w = len(w_kid)
    event = np.concatenate((ev.w_ev, at))
    proc = np.concatenate((ev.proc[ev.w_ev], q))
    key = np.concatenate((w_kid, k))
    value = np.concatenate((w_lo, np.full(len(at), NONE, dtype=np.int64)))
    order = np.lexsort((event, key, proc))
    best = np.empty(len(event), dtype=np.int64)
    best[order] = _group_max(proc[order] * (int(key.max(initial=0)) + 1) + key[order],
                             value[order])
    return best[n_w:]


def _own_reads_lo(at: Int, q: Int, k: Int, ls: Int) -> Int:
    """Per read: the greatest source lo among its process's earlier reads of its key."""
    order = np.lexsort((at, k, q))
    group = q[order] * (int(k.max(initial=0)) + 1) + k[order]
    upto = _group_max(group, ls[order])
    before = np.full(len(at), NONE, dtype=np.int64)
    same = np.flatnonzero(group[1:] == group[:-1])
    before[same + 1] = upto[same]
    out = np.empty(len(at), dtype=np.int64)
    out[order] = before
    return out


def _read_into(ev: Events, w_kid: Int, reads: Int, known: Bool, safe: Int, q: Int,
               k: Int) -> tuple[Int, Int]:
    """(F, F≠k): per read and process p (columns), the furthest position of p's program the
    read's process had read from before it, through any key / through another key than the
    read's (-1: none)."""
    n, n_procs = len(reads), len(ev.starts) - 1
    src_ev = ev.w_ev[safe]
    sp = np.where(known, ev.proc[src_ev], 0)
    spos = np.where(known, ev.pos[src_ev], -1)
    rows = np.flatnonzero(known)
    if not len(rows):
        none = np.full((n, n_procs), -1, dtype=np.int64)
        return none, none
    # The furthest point and the furthest through another key than the furthest's, per
    # (reader, writer), after each read (the pure-Python pass's srcs entries).
    best, best_key, second = _furthest(ev, w_kid, q[rows] * n_procs + sp[rows], sp[rows],
                                       k[rows], spos[rows])
    last = np.full((n, n_procs), -1, dtype=np.int64)
    last[rows, sp[rows]] = np.arange(len(rows), dtype=np.int64)
    f_any = np.full((n, n_procs), -1, dtype=np.int64)
    f_any[rows, sp[rows]] = spos[rows]
    cuts = np.flatnonzero(np.diff(q)) + 1
    for a, b in zip(np.r_[0, cuts].tolist(), np.r_[cuts, n].tolist(), strict=True):
        np.maximum.accumulate(last[a:b], axis=0, out=last[a:b])
        np.maximum.accumulate(f_any[a:b], axis=0, out=f_any[a:b])
    # Exclusive: what was read before the read itself (shifted down within each process).
    first = np.r_[True, q[1:] != q[:-1]]
    last = np.where(first[:, None], -1, np.roll(last, 1, axis=0))
    f_any = np.where(first[:, None], -1, np.roll(f_any, 1, axis=0))
    j = np.maximum(last, 0)
    f_other = np.where(best_key[j] != k[:, None], best[j], second[j])
    return f_any, np.where(last >= 0, f_other, -1)


def _furthest(ev: Events, w_kid: Int, group: Int, sp: Int, key: Int,
              pos: Int) -> tuple[Int, Int, Int]:
    """After each read (in order; ``sp`` its source's process, ``pos`` that write's position),
    its (reader, writer) ``group``'s furthest position read, that position's key, and the
    furthest position read through another key (-1: none). The latter is, since the furthest
    point's key last changed, the greater of the furthest point before that change and the
    reads of other keys since."""
    order = np.argsort(group, kind="stable")
    g, kk, p = group[order], key[order], pos[order]
    best = _group_max(g, p)
    best_key = w_kid[ev.ids[ev.starts[sp[order]] + best]]  # the key of the write read there
    start = np.r_[True, g[1:] != g[:-1]]
    change = start | np.r_[False, best_key[1:] != best_key[:-1]]
    seg = np.cumsum(change) - 1
    before = np.where(start, -1, np.r_[-1, best[:-1]])[change][seg]
    second = np.maximum(before, _group_max(seg, np.where(kk != best_key, p, -1)))
    out = np.empty((3, len(order)), dtype=np.int64)
    out[:, order] = best, best_key, second
    return out[0], out[1], out[2]


def _floor(kid: Int, proc: Int, pos: Int, lo: Int, k: Int, upto: Int, n_procs: int,
           span: int) -> Int:
    """Per read: over processes p (columns of ``upto``), the greatest ``lo`` among the items
    (writes, or reads) of p on the read's key ``k`` at positions before ``upto`` (NONE:
    none)."""
    if not len(kid):
        return np.full(len(k), NONE, dtype=np.int64)
    codes = (kid * n_procs + proc) * span + pos
    order = np.argsort(codes, kind="stable")
    codes = codes[order]
    best = _group_max(codes // span, lo[order])
    group = k[:, None] * n_procs + np.arange(n_procs, dtype=np.int64)[None, :]
    at = np.searchsorted(codes, (group * span + upto).ravel()).reshape(upto.shape) - 1
    safe = np.maximum(at, 0)
    hit = (upto >= 0) & (at >= 0) & (codes[safe] // span == group)
    out: Int = np.where(hit, best[safe], NONE).max(axis=1, initial=NONE)
    return out
