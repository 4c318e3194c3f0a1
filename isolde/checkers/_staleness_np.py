"""Missed writes of every read at once with numpy: the same figures as the per-read pass of
:func:`._staleness.measure`, for large histories.

Each key's ok writes sorted by completion are one run of a global array ordered by (key,
completion), and times are encoded as ``key * span + (t - base)`` so that one ``searchsorted``
finds, for every read, the writes of its key completed after its source and before it began.
Among those, the writes in flight when the source completed (began at or before it) are not
missed; they can only be the first few of the range (``sufmin``, the least invocation time
from a write on, rises past the source's completion), so only those few are expanded, one row
per (read, write), and counted.
"""

from __future__ import annotations

from collections.abc import Hashable
from itertools import compress, repeat

import numpy as np
from numpy.typing import NDArray

from ._registers import NEG, THIN, RegisterView

__all__ = ["missed_writes"]

Int = NDArray[np.int64]
Bool = NDArray[np.bool_]


def missed_writes(view: RegisterView) -> tuple[list[int], list[int], list[int],
                                                list[int | None]] | None:
    """Per read: version staleness, time staleness (ns), the earliest-completing missed write
    (-1: none) and the age (ns) since its key's first ok write completed (None: not
    measured); None if the history's times span too much to encode (the per-read pass then
    measures it)."""
    ok = np.asarray(view.w_ok, dtype=bool)
    ids = dict.fromkeys(compress(view.w_key, view.w_ok))
    if not ids:
        return None  # no read is measured: the per-read pass is as quick
    kid: dict[Hashable, int] = dict(zip(ids, range(len(ids)), strict=True))
    w_kid = np.fromiter(map(kid.get, view.w_key, repeat(-1)), dtype=np.int64,
                        count=len(view.w_key))
    r_kid = np.fromiter(map(kid.get, view.r_key, repeat(-1)), dtype=np.int64,
                        count=len(view.r_key))
    w_comp = np.asarray(view.w_comp, dtype=np.int64)
    w_inv = np.asarray(view.w_inv, dtype=np.int64)
    t = np.asarray(view.r_inv, dtype=np.int64)
    src = np.asarray(view.r_src, dtype=np.int64)
    times = np.concatenate((w_comp[ok], w_inv[ok], t))
    base = int(times.min(initial=0)) - 1  # encoded times are >= 1; NEG encodes as 0
    span = int(times.max(initial=0)) - base + 1
    if span * (len(ids) + 1) >= 1 << 62:
        return None
    writes = np.flatnonzero(ok)
    writes = writes[np.lexsort((w_comp[writes], w_kid[writes]))]  # stable: ties by id
    g = w_kid[writes]
    comps, invs = w_comp[writes], w_inv[writes]
    codes = g * span + (comps - base)
    floor = g * span + (_suffix_min(g, invs) - base)
    measured = (src != THIN) & (r_kid >= 0)
    if view.ambiguous_keys:
        measured &= ~np.fromiter(map(view.ambiguous_keys.__contains__, view.r_key),
                                 dtype=bool, count=len(view.r_key))
    reads = np.flatnonzero(measured)
    rg = r_kid[reads]
    first = np.searchsorted(g, np.arange(len(ids)))[rg]  # each key's earliest write
    rt = t[reads]
    age = rt - comps[first]
    known = src[reads] >= 0
    c = np.where(known, w_comp[np.maximum(src[reads], 0)], NEG)  # INIT: NEG
    live = c < rt  # else nothing can be certainly newer (a source in flight: c = POS)
    rc = np.where(live & (c != NEG), c - base, 0)  # c's code within the key
    lo = np.searchsorted(codes, rg * span + rc, side="right")
    hi = np.where(live, np.searchsorted(codes, rg * span + (rt - base), side="left"), lo)
    hi = np.maximum(hi, lo)
    stop = np.minimum(hi, np.maximum(lo, np.searchsorted(floor, rg * span + rc,
                                                         side="right")))
    concurrent, fresh = _in_flight(invs, c, lo, stop)
    fresh = np.where(fresh < 0, stop, fresh)
    n_missed = hi - lo - concurrent
    stale = n_missed > 0
    at = np.where(stale, fresh, 0)
    return _as_lists(len(view.r_key), reads, n_missed, np.where(stale, rt - comps[at], 0),
                     np.where(stale, writes[at], -1), age)


def _suffix_min(group: Int, values: Int) -> Int:
    """Within each run of equal ``group``: the least of ``values`` from each item on."""
    rev = values[::-1]
    g = group[::-1]
    uniq, rank = np.unique(rev, return_inverse=True)
    # Offsets that fall from group to group (in reversed order), so no minimum carries over.
    start = np.r_[0, np.cumsum(g[1:] != g[:-1])]
    dense = (int(start[-1]) + 1 - start) * len(uniq)
    out: Int = uniq[np.minimum.accumulate(dense + rank.ravel()) - dense][::-1]
    return out


def _in_flight(invs: Int, c: Int, lo: Int, stop: Int) -> tuple[Int, Int]:
    """Per read, over the writes ``lo..stop``: how many began at or before ``c`` (the source's
    completion), and the first that began after it (-1: none)."""
    n = stop - lo
    rows = np.repeat(np.arange(len(lo)), n)
    offset = np.arange(len(rows)) - np.repeat(np.cumsum(n) - n, n)
    at = lo[rows] + offset
    before = invs[at] <= c[rows]
    concurrent = np.bincount(rows[before], minlength=len(lo)).astype(np.int64)
    fresh = np.full(len(lo), -1, dtype=np.int64)
    after = np.flatnonzero(~before)
    lead = np.r_[True, rows[after][1:] != rows[after][:-1]] if len(after) else after
    fresh[rows[after[lead]]] = at[after[lead]]
    return concurrent, fresh


def _as_lists(n: int, reads: Int, missed: Int, time_ns: Int, first: Int,
              age: Int) -> tuple[list[int], list[int], list[int], list[int | None]]:
    cols = np.zeros((3, n), dtype=np.int64)
    cols[2] = -1
    cols[0, reads], cols[1, reads], cols[2, reads] = missed, time_ns, first
    ages: list[int | None] = [None] * n
    if len(reads) == n:
        ages[:] = age.tolist()
    else:
        for r, a in zip(reads.tolist(), age.tolist(), strict=True):
            ages[r] = a
    missed_l, time_l, first_l = cols.tolist()
    return missed_l, time_l, first_l, ages
