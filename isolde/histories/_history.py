"""History: a compact, column-stored sequence of ops with invoke/completion pairing.

Ops are stored in columns (times in an ``array``, type codes in a ``bytearray``, the rest in
lists with interned strings, and transaction values read from JSONL in :class:`TxnColumns`) so a
history of millions of ops stays small; :class:`Op` objects (and transaction values) are built
only when asked for. Position ``i`` always holds the op whose ``index`` is ``i``.
"""

from __future__ import annotations

import sys
from array import array
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from itertools import compress, repeat
from operator import and_, eq, is_not, ne
from typing import Any, overload

from .._errors import BadInput
from ._op import EMPTY, NEMESIS, OP_TYPES, Op, Process
from ._txncols import CompactValues, TxnColumns

INVOKE, OK, FAIL, INFO = 0, 1, 2, 3
_MAX_SHARED = 4096  # distinct extras kept for sharing; beyond, each op keeps its own
TYPE_CODE = {name: code for code, name in enumerate(OP_TYPES)}


class History(Sequence[Op]):
    """Ordered ops; ``pair(i)`` is the index of the matching invoke/completion or -1.

    Pairing follows Jepsen: a process runs one op at a time, so an invocation is completed by the
    next completion of the same process. A completion with no open invocation is bad input; an
    invocation never completed is paired with -1 (treat it like ``info``).
    """

    __slots__ = ("__weakref__", "_errors", "_extras", "_file_index", "_lines", "_pairs", "fs",
                 "processes", "source", "timed", "times", "types", "values")

    source: str  # where the ops came from (a file's path), for error messages
    # False when the file had no times (Porcupine's logs): ``times`` are then only the ops'
    # order, and durations and rates computed from them mean nothing.
    timed: bool
    times: array[int]
    types: bytearray
    processes: list[Process]
    fs: list[str]
    values: Sequence[Any]  # a list, or CompactValues when transaction values are columns
    _errors: dict[int, Any]
    _extras: dict[int, Any]
    _pairs: array[int]
    _file_index: array[int] | None
    _lines: array[int] | None

    def __init__(self, ops: Iterable[Op] = (), *, source: str = "<history>") -> None:
        b = HistoryBuilder(source)
        for op in ops:
            b.add(op)
        b.fill(self)

    # --- sequence protocol -------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.times)

    @overload
    def __getitem__(self, i: int) -> Op: ...
    @overload
    def __getitem__(self, i: slice) -> list[Op]: ...
    def __getitem__(self, i: int | slice) -> Op | list[Op]:
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        if i < 0:
            i += len(self)
        return Op(
            i,
            self.times[i],
            OP_TYPES[self.types[i]],
            self.processes[i],
            self.fs[i],
            self.values[i],
            self._errors.get(i),
            self._extras.get(i, EMPTY),
        )

    def __iter__(self) -> Iterator[Op]:
        for i in range(len(self)):
            yield self[i]

    def __repr__(self) -> str:
        return f"<History {len(self)} ops>"

    # --- where ops came from --------------------------------------------------------------
    def set_lines(self, lines: Sequence[int]) -> None:
        """Record each op's line in the file it was read from (0: unknown)."""
        if any(lines):
            self._lines = array("q", lines)

    def file_index(self, i: int) -> int:
        """Op ``i``'s ``index`` in its file (its position when the file gave none)."""
        fi = self._file_index
        return fi[i] if fi is not None and i < len(fi) else i

    def origin(self, i: int) -> tuple[int, int]:
        """(the file's index of op ``i``, its line in the file or 0 when unknown)."""
        return self.file_index(i), self._lines[i] if self._lines is not None else 0

    def cite(self, i: int) -> str:
        """``op N`` with N the file's own index of op ``i``, and its line when known."""
        index, line = self.origin(i)
        return f"op {index}" + (f" (line {line})" if line > 0 else "")

    def where(self, i: int) -> str:
        """Op ``i`` for an error message: the file, then :meth:`cite`."""
        return f"{self.source}: {self.cite(i)}"

    # --- transaction values held as columns -------------------------------------------------
    @property
    def txn_columns(self) -> TxnColumns | None:
        """The columns holding transaction values (:mod:`._txncols`), if any are held so."""
        v = self.values
        return v.cols if isinstance(v, CompactValues) else None

    @property
    def txn_value_ids(self) -> array[int] | None:
        """Each op's value's id in :attr:`txn_columns` (-1: held as an object), if any."""
        v = self.values
        return v.ids if isinstance(v, CompactValues) else None

    # --- pairing and views -------------------------------------------------------------------
    def first_f_mismatch(self) -> int:
        """The first completion whose ``f`` is not its invocation's, or -1 (fs are interned:
        the common case is identity, compared in C)."""
        fs, pairs = self.fs, self._pairs
        for i in compress(range(len(fs)), map(is_not, fs, map(fs.__getitem__, pairs))):
            j = pairs[i]
            if 0 <= j < i and fs[i] != fs[j]:
                return i
        return -1

    def pair(self, i: int) -> int:
        """Index of the op paired with op ``i`` (its completion or invocation), or -1."""
        return self._pairs[i]

    def completion(self, i: int) -> Op | None:
        j = self._pairs[i]
        return self[j] if j >= 0 else None

    @property
    def pair_indices(self) -> array[int]:
        """Every op's :meth:`pair`, as one array (for passes over whole columns)."""
        return self._pairs

    @property
    def errors_by_index(self) -> Mapping[int, Any]:
        """Index -> error of the ops that have one."""
        return self._errors

    @property
    def extras_by_index(self) -> Mapping[int, Any]:
        """Index -> extra fields of the ops that have any."""
        return self._extras

    def extra(self, i: int) -> Any:
        return self._extras.get(i, EMPTY)

    def error(self, i: int) -> Any:
        return self._errors.get(i)

    def invocations(self) -> Iterator[int]:
        """Indices of client invocations, in order (found in C: this runs over every op)."""
        client = map(and_, map(eq, self.types, repeat(INVOKE)),
                     map(ne, self.processes, repeat(NEMESIS)))
        return compress(range(len(self)), client)

    def pairs(self) -> Iterator[tuple[Op, Op | None]]:
        """(invocation, completion or None) for each client invocation, in invocation order."""
        for i in self.invocations():
            yield self[i], self.completion(i)

    def client_ops(self) -> History:
        """A new history without nemesis ops (indices renumbered)."""
        return History(
            (op for op in self if op.process != NEMESIS), source="client ops"
        )

    def nemesis_ops(self) -> list[Op]:
        return [self[i] for i, p in enumerate(self.processes) if p == NEMESIS]

    def by_process(self) -> dict[Process, list[int]]:
        """Op indices per process (invocations and completions), in order."""
        out: dict[Process, list[int]] = {}
        for i, p in enumerate(self.processes):
            out.setdefault(p, []).append(i)
        return out

    def by_key(self) -> dict[Any, list[int]]:
        """Client op indices per key, for values written as Jepsen independent tuples ``[k, v]``.

        A completion is filed under its invocation's key (a completion value may be absent).
        Ops whose value is not a 2-element list are skipped.
        """
        out: dict[Any, list[int]] = {}
        values, pairs = self.values, self._pairs
        for i in range(len(self)):
            if self.processes[i] == NEMESIS:
                continue
            j = i if self.types[i] == INVOKE else pairs[i]
            v = values[j] if j >= 0 else values[i]
            if isinstance(v, (list, tuple)) and len(v) == 2:
                k = v[0]
                out.setdefault(hashable(k), []).append(i)
        return out

    def subhistory(self, indices: Iterable[int], unwrap_key: bool = False) -> History:
        """A new history of the given ops (renumbered), with ``source_index`` kept in extra.

        With ``unwrap_key`` values ``[k, v]`` become ``v`` (the per-key view of a multi-key
        register history).
        """
        ops = []
        for new, i in enumerate(indices):
            op = self[i]
            v = op.value
            if unwrap_key and isinstance(v, (list, tuple)) and len(v) == 2:
                v = v[1]
            ops.append(
                Op(new, op.time, op.type, op.process, op.f, v, op.error,
                   {**op.extra, "source_index": i})
            )
        return History(ops, source="subhistory")


class HistoryBuilder:
    """A history's columns as a reader fills them, op by op (:meth:`add`) or a block of ops at
    a time (:meth:`extend`, for readers that decode whole blocks); :meth:`build` pairs them."""

    def __init__(self, source: str = "<history>") -> None:
        self.source = source
        self.times = array("q")
        self.types = bytearray()
        self.processes: list[Process] = []
        self.fs: list[str] = []
        self.values: list[Any] = []
        self.errors: dict[int, Any] = {}
        self.extras: dict[int, Any] = {}
        self.file_index: array[int] | None = None
        # Transaction values encoded as columns (value_ids[i] >= 0), once a block had some.
        self.txn_cols: TxnColumns | None = None
        self.value_ids = array("q")
        # One object per distinct f and process: millions of ops share a handful of them.
        self._fs: dict[str, str] = {}
        self._procs: dict[Process, Process] = {}
        self._shared: dict[tuple[tuple[str, Any], ...], Mapping[str, Any]] = {}

    def __len__(self) -> int:
        return len(self.types)

    def add(self, op: Op) -> None:
        i = len(self.types)
        code = TYPE_CODE.get(op.type)
        if code is None:
            raise BadInput(f"unknown op type {op.type!r}", f"{self.source}#{i}")
        self.times.append(op.time)
        self.types.append(code)
        p, f = op.process, op.f
        self.processes.append(self._procs.setdefault(p, p))
        known = self._fs.get(f)
        self.fs.append(known if known is not None else _canonical(self._fs, [f])(f))
        self.values.append(op.value)
        if op.error is not None:
            self.errors[i] = op.error
        if op.extra:
            self.extras[i] = self.shared(op.extra)
        if op.index != i and op.index >= 0:
            self._own_index(i)[i] = op.index

    def shared(self, extra: Mapping[str, Any]) -> Mapping[str, Any]:
        """One object for equal extra fields (a read mode on every read: a dict each would
        cost more than the rest of the op); extras are never changed in place."""
        try:
            key = tuple(extra.items())
            if len(self._shared) < _MAX_SHARED or key in self._shared:
                return self._shared.setdefault(key, extra)
        except TypeError:  # an unhashable value (a list): kept as it is
            pass
        return extra

    def extend(self, times: Iterable[int], types: bytes, processes: list[Process],
               fs: list[str], values: list[Any]) -> None:
        """Append ops given as columns (times, type codes, processes, fs, values)."""
        self.times.extend(times)
        self.types += types
        self.processes.extend(map(_canonical(self._procs, processes), processes))
        position = len(self.values)
        self.fs.extend(map(_canonical(self._fs, fs), fs))
        self.values.extend(values)
        self._encode_txns(position, fs, values)

    def _encode_txns(self, position: int, fs: list[str], values: list[Any]) -> None:
        """Transaction values of ops ``position...`` into columns, when the block's are all of
        the shapes :class:`TxnColumns` encodes (else they stay as they are)."""
        n = fs.count("txn")
        if not n:
            return
        every = n == len(fs)  # the common case, in C: a block of transactions only
        at: Sequence[int] = range(n) if every else [k for k, f in enumerate(fs) if f == "txn"]
        cols = self.txn_cols
        if cols is None:
            cols = self.txn_cols = TxnColumns()
        first = cols.encode(values if every else [values[k] for k in at])
        if first < 0:
            return
        ids, plain = self.value_ids, self.values
        ids.extend(repeat(-1, position - len(ids)))
        if every:
            ids.extend(range(first, first + n))
            plain[position:] = repeat(None, n)  # the columns hold them
            return
        ids.extend(repeat(-1, len(values)))
        for c, k in enumerate(at, first):
            ids[position + k] = c
            plain[position + k] = None

    def _own_index(self, upto: int) -> array[int]:
        # An op's ``index`` as given (a file's own ``:index``) is kept when it is not its
        # position, so that reports cite what the user sees in the file.
        fi = self.file_index
        if fi is None:
            fi = self.file_index = array("q", range(upto + 1))
        while len(fi) <= upto:
            fi.append(len(fi))
        return fi

    def build(self) -> History:
        h = History.__new__(History)
        self.fill(h)
        return h

    def fill(self, h: History) -> None:
        """Give ``h`` these columns, paired."""
        h.source, h.timed = self.source, True
        h.times, h.types, h.processes, h.fs = self.times, self.types, self.processes, self.fs
        h.values = self.values
        if self.txn_cols is not None and len(self.txn_cols):
            ids = self.value_ids
            ids.extend(repeat(-1, len(self.values) - len(ids)))
            h.values = CompactValues(self.values, ids, self.txn_cols)
        h._errors, h._extras, h._file_index, h._lines = self.errors, self.extras, \
            self.file_index, None
        h._pairs = self._pair()

    def _pair(self) -> array[int]:
        pairs = array("q", [-1]) * len(self.types)
        open_: dict[Process, int] = {}
        for i, (code, p) in enumerate(zip(self.types, self.processes, strict=True)):
            if code == INVOKE:
                prev = open_.get(p)
                if prev is not None and p != NEMESIS:
                    raise BadInput(f"process {p!r} invoked op {i} while op {prev} was still open",
                                   f"{self.source}#{i}")
                open_[p] = i
                continue
            start = open_.pop(p, None)
            if start is None:
                if p == NEMESIS:
                    continue  # nemesis events may be recorded as bare completions
                raise BadInput(f"{OP_TYPES[code]} completion for process {p!r} without an "
                               "invocation", f"{self.source}#{i}")
            pairs[start] = i
            pairs[i] = start
        return pairs


def _canonical(known: dict[Any, Any], items: list[Any]) -> Callable[[Any], Any]:
    """A lookup giving each of ``items`` its one shared object (strings interned)."""
    for x in set(items).difference(known):
        known[x] = sys.intern(x) if isinstance(x, str) else x
    return known.__getitem__


def cite_position(i: int) -> str:
    """``op i``: how to name history index ``i`` when no file says otherwise (a default for
    the views that carry a History's ``cite``)."""
    return f"op {i}"


def hashable(k: Any) -> Any:
    """JSON values made hashable: lists as tuples, dicts as sorted item tuples (recursively)."""
    if isinstance(k, list):
        return tuple(hashable(x) for x in k)
    if isinstance(k, dict):
        items = [(a, hashable(b)) for a, b in k.items()]
        try:
            return tuple(sorted(items))
        except TypeError:  # keys of mixed types ({1 3, nil 4} in EDN): any fixed order will do
            return tuple(sorted(items, key=lambda kv: (type(kv[0]).__name__, repr(kv[0]))))
    return k
