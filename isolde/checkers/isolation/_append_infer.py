"""List-append inference: who appended what, every read, version orders, direct anomalies.

Appended elements are unique per key, so a read of key k names the transactions whose appends it
saw. Every ok read of k must be a prefix of one total order of k's elements (else
``incompatible-order``); the longest read gives that order. One pass over the transactions
collects appends and reads; a pass per key checks the reads against the order. Direct anomalies
found here: G1a, G1b, dirty-update, garbage-read, duplicate-elements, incompatible-order,
internal, nonrepeatable-read, future-read, lost-update.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from ..._errors import BadInput
from ...histories import FAIL, INFO, OK, ColumnsView, TxnColumns
from ._anomaly import Found
from ._txns import Txns

APPEND, R_INT, R_LIST, R_NIL = TxnColumns.APPEND, TxnColumns.R_INT, TxnColumns.R_LIST, \
    TxnColumns.R_NIL


class Reads(ColumnsView[Any]):
    """Every ok read's list, in order: an object, or a read the history's columns hold, kept
    as its id (8 bytes, not an array of its elements) and sliced from them when asked for."""

    __slots__ = ("_cols",)

    def __init__(self, cols: TxnColumns | None = None) -> None:
        super().__init__()
        self._cols = cols if cols is not None else TxnColumns()

    def rebuild(self, c: int) -> Any:
        return self._cols.read(c)

    def __iter__(self) -> Iterator[Any]:
        # The slicing inlined: the version-order passes iterate over every read.
        rs, elems = self._cols.read_start, self._cols.elems
        for v, r in zip(self.plain, self.ids, strict=True):
            yield v if r < 0 else elems[rs[r]:rs[r + 1]]


@dataclass
class AppendFacts:
    """What the transactions say, per key. ``orders[k]`` is k's version order (absent for keys
    whose reads disagree) and ``writers[k]`` the transaction of each of its elements (-1 unknown,
    or the element was appended by a failed transaction)."""

    writer: dict[Any, dict[Any, int]] = field(default_factory=dict)  # committed appends
    failed: dict[Any, dict[Any, int]] = field(default_factory=dict)  # appends of failed txns
    intermediate: dict[Any, set[Any]] = field(default_factory=dict)  # not a txn's last append
    # Every ok read, as columns: transaction, key, the list read, external (before own append)?
    read_t: array = field(default_factory=lambda: array("q"))
    read_k: list[Any] = field(default_factory=list)
    read_v: Reads = field(default_factory=Reads)
    read_ext: bytearray = field(default_factory=bytearray)
    orders: dict[Any, Any] = field(default_factory=dict)
    writers: dict[Any, list[int]] = field(default_factory=dict)
    # Elements ok transactions appended that no read saw: (element, writer). They must follow
    # every element of the key's order, in some unknown order among themselves.
    unread: dict[Any, list[tuple[Any, int]]] = field(default_factory=dict)
    found: list[Found] = field(default_factory=list)
    non_unique_appends: int = 0

    def reads_of(self, k: Any) -> list[tuple[int, Any]]:
        """(transaction, list) of every ok read of ``k`` (a scan; for explanations only)."""
        return [(t, v) for t, kk, v in zip(self.read_t, self.read_k, self.read_v, strict=True)
                if kk == k]


def _as_list(v: Any, t: int, txns: Txns) -> Any:
    if v is None:
        return ()
    if isinstance(v, (list, tuple, array)):
        return v
    raise BadInput(f"list-append read value must be a list, got {v!r}",
                   txns.cite(txns.op_index(t)))


def _no_budget(done: str) -> None:
    """No budget to watch."""


CHECK_EVERY = 1 << 20  # transactions between two looks at the memory budget in pass 1


def collect(txns: Txns, checkpoint: Callable[[str], None] = _no_budget) -> AppendFacts:
    """Pass 1: appends, failed appends, reads; internal, future-read and lost-update per txn.
    ``checkpoint`` is told how far it got every CHECK_EVERY transactions (it raises when the
    budget is spent: the pass grows with the history)."""
    facts = AppendFacts(read_v=Reads(txns.mops.cols))
    failed, found = facts.failed, facts.found
    rt, rk, rv, rext = facts.read_t, facts.read_k, facts.read_v, facts.read_ext
    status, mops = txns.status, txns.mops
    lost = _Lost()
    dupes = 0
    single = _SingleKeyed(facts, txns, lost)
    for t in range(len(status)):
        if not t % CHECK_EVERY and t:
            checkpoint(f"collecting appends and reads of {t:,} transactions")
        st = status[t]
        if st != FAIL and single.took(t, st == OK):
            continue
        ms = mops.raw(t)
        if st == FAIL:
            for f, k, v in ms:
                if f == "append":
                    failed.setdefault(k, {})[v] = t
            continue
        n = len(ms)
        if n > 1 and (ms[0][1] == ms[1][1] if n == 2 else len({m[1] for m in ms}) < n):
            dupes += _mixed_txn(t, ms, mops.read_ids(t), st == OK, facts, lost, txns)
            continue
        # Each key once: every read is external, every append final.
        for f, k, v in ms:
            if f == "append":
                dupes += _append(facts.writer, k, v, t)
            elif f == "r" and st == OK:
                rt.append(t)
                rk.append(k)
                rv.append(v if type(v) is list else _as_list(v, t, txns))
                rext.append(1)
    facts.non_unique_appends = dupes + single.dupes
    found.extend(lost.found())
    return facts


def _append(writer: dict[Any, dict[Any, int]], k: Any, v: Any, t: int) -> int:
    """Record t's append of v to k; 1 if another append of v to k came first."""
    wk = writer.get(k)
    if wk is None:
        writer[k] = wk = {}
    seen = v in wk
    wk[v] = t
    return seen


class _SingleKeyed:
    """Pass 1 for a committed transaction the history's columns hold, read from the columns
    with no object per micro-op (reads kept as their ids), when what it does to each key is
    one of the shapes whose self-checks are plain to see (:meth:`_plan`); the caller checks the
    others against themselves micro-op by micro-op."""

    def __init__(self, facts: AppendFacts, txns: Txns, lost: _Lost) -> None:
        self.facts, self.txns, self.lost, self.dupes = facts, txns, lost, 0
        self._columns = (facts.writer, facts.read_t.append, facts.read_k.append,
                         facts.read_ext.append)
        self.ids = txns.mops.ids
        cols = txns.mops.cols
        self.cols = cols if cols is not None else TxnColumns()

    def took(self, t: int, ok: bool) -> bool:
        """Whether t was taken here (else the caller reads its micro-ops as objects)."""
        c = self.ids[t]
        if c < 0:
            return False
        cols = self.cols
        m0, m1 = cols.start[c], cols.start[c + 1]
        keys, kinds = cols.keys, cols.kinds
        ks = keys[m0:m1]
        last: dict[int, int] | None = None  # key id -> the last append so far, when keys repeat
        pending: dict[int, Any] = {}  # key id -> a read of it that appends to it follow
        inner: list[int] = []  # the positions of reads of a key the transaction touched before
        if m1 - m0 > 1 and len(set(ks)) < m1 - m0:
            plan = self._plan(ks, kinds[m0:m1], cols.vals[m0:m1]) if ok else ({}, [])
            if plan is None:
                return False
            last = {}
            pending, inner = plan
        facts, vals, table = self.facts, cols.vals, cols.key_table
        writer, read_t, read_k, read_ext = self._columns
        for m in range(m0, m1):
            kind = kinds[m]
            if kind == APPEND:
                k, v = table[keys[m]], vals[m]
                wk = writer.get(k)  # _append, inlined: the hot loop
                if wk is None:
                    writer[k] = wk = {}
                elif v in wk:
                    self.dupes += 1
                wk[v] = t
                if last is not None:
                    if keys[m] in last:
                        facts.intermediate.setdefault(k, set()).add(last[keys[m]])
                    last[keys[m]] = v
                    if keys[m] in pending:
                        self.lost.add(k, pending.pop(keys[m]), t)
            elif kind <= R_INT and ok:
                read_t(t)
                read_k(table[keys[m]])
                if kind == R_LIST:
                    facts.read_v.append(None, vals[m])
                else:
                    facts.read_v.append(_as_list(None if kind == R_NIL else vals[m], t,
                                                 self.txns))
                read_ext(0 if inner and m - m0 in inner else 1)
        return True

    def _plan(self, ks: array[int], kinds: bytearray, vals: array[int]
              ) -> tuple[dict[int, Any], list[int]] | None:
        """For an ok transaction whose keys repeat: (key id -> its read, for each key read and
        then only appended to; the positions of reads that are not external), or None when
        what it does to some key is not one of these shapes, each of which passes the
        transaction's self-checks: appends only; a read then appends of elements it did not see
        (no future read); equal reads only; appends then a read that ends with them."""
        at: dict[int, list[int]] = {}
        for i, kid in enumerate(ks):
            at.setdefault(kid, []).append(i)
        pending: dict[int, Any] = {}
        inner: list[int] = []
        for kid, pos in at.items():
            if len(pos) == 1:
                continue
            shape = bytes(kinds[i] for i in pos)
            appends = shape.count(APPEND)
            if appends == len(pos) or R_INT in shape:
                if R_INT in shape:
                    return None  # the general pass refuses it, naming the op
                continue
            if shape[0] != APPEND and appends == len(pos) - 1:  # r a a...
                read = self._read(kinds[pos[0]], vals[pos[0]])
                if not read or {vals[i] for i in pos[1:]}.isdisjoint(read):
                    pending[kid] = read
                    continue
            elif appends == 0:  # r r...
                first = self._read(kinds[pos[0]], vals[pos[0]])
                if all(self._read(kinds[i], vals[i]) == first for i in pos[1:]):
                    inner += pos[1:]
                    continue
            elif shape[-1] != APPEND and appends == len(pos) - 1:  # a a... r
                read = self._read(kinds[pos[-1]], vals[pos[-1]])
                if len(read) >= appends and read[len(read) - appends:].tolist() == [
                        vals[i] for i in pos[:-1]]:
                    inner.append(pos[-1])
                    continue
            return None
        return pending, inner

    def _read(self, kind: int, v: int) -> array[int]:
        cols = self.cols
        return cols.read(v) if kind == R_LIST else cols.elems[0:0]


class _Lost:
    """Transactions that read a key and then appended to it, by the version they read: more
    than one from one version is a lost update. A version is keyed by its elements' bytes when
    they are 64-bit integers (a read's array: no object per element)."""

    def __init__(self) -> None:
        self.by: dict[tuple[Any, Any], list[Any]] = {}  # (key, version) -> [read, txns...]

    def add(self, k: Any, read: Any, t: int) -> None:
        at = (k, _version(read))
        got = self.by.get(at)
        if got is None:
            self.by[at] = [read, t]
        else:
            got.append(t)

    def found(self) -> Iterator[Found]:
        for (k, _), (read, *ts) in self.by.items():
            if len(ts) > 1:
                yield Found("lost-update", tuple(ts), {"key": k, "value": list(read)})


def _version(read: Any) -> Any:
    if type(read) is array and read.typecode == "q":
        return read.tobytes()
    try:
        return array("q", read).tobytes()
    except (TypeError, OverflowError):
        return tuple(read)


def _mixed_txn(t: int, ms: list[Any], rids: list[int] | None, ok: bool, facts: AppendFacts,
               lost: _Lost, txns: Txns) -> int:
    """A transaction touching some key twice: check it against itself as it goes (``rids``:
    each micro-op's read id, when the history's columns hold them)."""
    dupes = 0
    writer = facts.writer
    # key -> position of the txn's last append to it
    last_append = {m[1]: idx for idx, m in enumerate(ms) if m[0] == "append"}
    # key -> [state last read (None: not read yet), own appends since]
    state: dict[Any, list[Any]] = {}
    prev: dict[Any, Any] = {}  # key -> the txn's latest append so far
    ext_read: dict[Any, Any] = {}  # external reads of keys appended later
    for idx, (f, k, v) in enumerate(ms):
        if f == "append":
            dupes += _append(writer, k, v, t)
            if k in prev:  # an earlier append of this txn is not its final state
                facts.intermediate.setdefault(k, set()).add(prev[k])
            prev[k] = v
            st = state.get(k)
            if st is None:
                state[k] = [None, [v]]
            else:
                st[1].append(v)
            if k in ext_read:
                lost.add(k, ext_read.pop(k), t)
            continue
        if f != "r" or not ok:
            continue
        r = _as_list(v, t, txns)
        st = state.get(k)
        facts.read_t.append(t)
        facts.read_k.append(k)
        facts.read_v.append(r, rids[idx] if rids is not None else -1)
        facts.read_ext.append(1 if st is None else 0)
        if last_append.get(k, -1) > idx:
            later = {m[2] for m in ms[idx + 1:] if m[0] == "append" and m[1] == k}
            if later.intersection(r):
                facts.found.append(Found("future-read", (t,), {
                    "key": k, "value": list(r), "mop": idx,
                    "elements": sorted(later.intersection(r), key=repr)}))
            if st is None:
                ext_read[k] = r
        if st is not None:
            _self_check(t, k, idx, list(r), st[0], st[1], facts)
        state[k] = [r, []]
    return dupes


def _self_check(t: int, k: Any, idx: int, r: list[Any], base: list[Any] | None,
                mine: list[Any], facts: AppendFacts) -> None:
    """A repeated read of ``k`` against the txn's last read ``base`` and own appends since.

    It must end with those appends, and (if ``base`` is known) equal base + appends; a read that
    only adds other transactions' elements after ``base`` is a ``nonrepeatable-read``, anything
    else contradicts the transaction's own operations: ``internal``.
    """
    if base is not None:
        base = list(base)  # a read may be a tuple (from EDN or a copy); compare lists
    n = len(r) - len(mine)
    if base is not None and r == [*base, *mine]:
        return
    if n >= 0 and r[n:] == mine:
        if base is None:
            return
        core = r[:n]
        if len(core) > len(base) and core[:len(base)] == base:
            facts.found.append(Found("nonrepeatable-read", (t,), {
                "key": k, "value": r, "before": base, "mop": idx}))
            return
    expected = [*base, *mine] if base is not None else ["...", *mine]
    facts.found.append(Found("internal", (t,), {
        "key": k, "value": r, "expected": expected, "mop": idx}))


def infer_orders(facts: AppendFacts, txns: Txns) -> None:
    """Pass 2: version orders per key, and the anomalies the orders reveal."""
    longest: dict[Any, Any] = {}
    for k, v in zip(facts.read_k, facts.read_v, strict=True):
        cur = longest.get(k)
        if cur is None or len(v) > len(cur):
            longest[k] = v
    bad: set[Any] = set()
    found = facts.found
    intermediate = facts.intermediate
    for t, k, v in zip(facts.read_t, facts.read_k, facts.read_v, strict=True):
        n = len(v)
        if not n:
            continue
        if intermediate:
            im = intermediate.get(k)
            if im and v[-1] in im:
                w = facts.writer[k][v[-1]]
                if w != t:
                    found.append(Found("G1b", (w, t), {"key": k, "value": list(v),
                                                       "element": v[-1]}))
        lo = longest[k]
        if v is not lo and (v[n - 1] != lo[n - 1] or (
                v != lo[:n] if type(v) is type(lo) else list(v) != list(lo[:n]))):
            if k not in bad or len(set(v)) < n:
                found.append(Found("incompatible-order", (t,), {"key": k, "values": [
                    list(v), list(lo)]}))
            bad.add(k)
            if len(set(v)) < n:
                found.append(Found("duplicate-elements", (t,), {
                    "key": k, "value": list(v), "duplicates": _dupes(v)}))
    for k, lo in longest.items():
        if len(set(lo)) < len(lo):
            reader = next(t for t, v in facts.reads_of(k) if len(set(v)) < len(v))
            found.append(Found("duplicate-elements", (reader,), {
                "key": k, "value": list(lo), "duplicates": _dupes(lo)}))
            bad.add(k)
        if k in bad:
            continue
        facts.orders[k] = lo
        facts.writers[k] = _writers(k, lo, facts, txns)
    committed = _seen_info_writers(facts, txns)
    for k, wk in facts.writer.items():
        if k in bad:
            continue
        lo = longest.get(k, ())
        if len(wk) > len(lo):
            seen = set(lo)
            unread = [(e, w) for e, w in wk.items() if e not in seen
                      and (txns.status[w] == OK or w in committed)]
            if unread:
                facts.unread[k] = unread
                if k not in facts.orders:
                    facts.orders[k], facts.writers[k] = lo, []


def _seen_info_writers(facts: AppendFacts, txns: Txns) -> set[int]:
    """Info transactions some read saw an append of: they committed, all their appends too."""
    if INFO not in txns.status:
        return set()
    return {w for ws in facts.writers.values() for w in ws if w >= 0 and txns.status[w] == INFO}


def _writers(k: Any, order: Any, facts: AppendFacts, txns: Txns) -> list[int]:
    """The writer of each element of ``order``; G1a / garbage-read / dirty-update as found."""
    wk = facts.writer.get(k, {})
    fk = facts.failed.get(k)
    ws = [wk.get(e, -1) for e in order]
    if -1 not in ws:
        return ws
    aborted_at = -1
    for i, (e, w) in enumerate(zip(order, ws, strict=True)):
        if w >= 0:
            if aborted_at >= 0 and fk is not None:
                facts.found.append(Found("dirty-update", (fk[order[aborted_at]], w), {
                    "key": k, "value": list(order[:i + 1]), "element": e,
                    "aborted": order[aborted_at]}))
                aborted_at = -1
            continue
        reader, seen = _first_reader(k, i, facts)
        if fk is not None and e in fk:
            facts.found.append(Found("G1a", (fk[e], reader), {
                "key": k, "value": list(seen), "element": e}))
            if aborted_at < 0:
                aborted_at = i
        else:
            facts.found.append(Found("garbage-read", (reader,), {
                "key": k, "value": list(seen), "element": e}))
    return ws


def _first_reader(k: Any, i: int, facts: AppendFacts) -> tuple[int, Any]:
    """The transaction with the shortest read of ``k`` that includes position ``i``."""
    best: tuple[int, Any] | None = None
    for t, v in facts.reads_of(k):
        if len(v) > i and (best is None or len(v) < len(best[1])):
            best = (t, v)
    assert best is not None
    return best


def _dupes(v: Any) -> list[Any]:
    seen: set[Any] = set()
    out = []
    for e in v:
        if e in seen and e not in out:
            out.append(e)
        seen.add(e)
    return out
