"""Transactions of a history, as the isolation checkers see them.

Each client ``txn`` invocation becomes one transaction, numbered 0, 1, 2... in invocation order.
Its status is that of its completion (an invocation never completed counts as ``info``); its
micro-ops come from the ok completion (reads filled in) or else from the invocation (reads
unknown). Keys are made hashable (lists become tuples).
"""

from __future__ import annotations

from array import array
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..._errors import BadInput
from ...histories import (
    FAIL,
    INFO,
    INVOKE,
    NEMESIS,
    OK,
    ColumnsView,
    History,
    TxnColumns,
    cite_position,
    hashable,
)

MOP_KINDS = frozenset({"r", "append", "w"})

Mop = tuple[str, Any, Any]


class TxnMops(ColumnsView[list[Mop]]):
    """Each transaction's micro-ops: a list, or (``ids[t] >= 0``) a value of the history's
    :class:`TxnColumns`, rebuilt as a list when asked for (checkers read the columns)."""

    __slots__ = ("cols",)

    def __init__(self, cols: TxnColumns | None = None) -> None:
        super().__init__()
        self.cols = cols

    def rebuild(self, c: int) -> list[Mop]:
        assert self.cols is not None
        return [(f, k, v.tolist() if type(v) is array else v) for f, k, v in self.cols.mops(c)]

    def read_ids(self, t: int) -> list[int] | None:
        """Each micro-op's read id in the columns (-1: none), if the columns hold ``t``."""
        return None if self.cols is None or self.ids[t] < 0 else self.cols.read_ids(self.ids[t])

    def raw(self, t: int) -> list[Mop]:
        """Transaction ``t``'s micro-ops, a read's list as an array when the history's
        columns hold it (for the checkers' own passes: no object per element)."""
        c = self.ids[t]
        if c < 0:
            plain: list[Mop] = self.plain[t]
            return plain
        assert self.cols is not None
        return self.cols.mops(c)


@dataclass
class Txns:
    """Column-stored transactions: ``invoke[t]``/``complete[t]`` op indices (-1: none),
    ``status[t]`` (OK, INFO or FAIL), ``process[t]``, ``mops[t]``."""

    invoke: array = field(default_factory=lambda: array("q"))
    complete: array = field(default_factory=lambda: array("q"))
    status: bytearray = field(default_factory=bytearray)
    process: list[Any] = field(default_factory=list)
    mops: TxnMops = field(default_factory=TxnMops)
    # How reports name a history index: the file's own index and line (History.cite).
    cite: Callable[[int], str] = field(default=cite_position)

    def __len__(self) -> int:
        return len(self.status)

    def op_index(self, t: int) -> int:
        """The op that stands for ``t`` in reports: its completion, else its invocation."""
        c = self.complete[t]
        return c if c >= 0 else self.invoke[t]

    def committed(self, t: int) -> bool:
        """Ok, or info (which may have committed)."""
        return self.status[t] != FAIL


def _mops(value: Any, at: int, reads_known: bool, history: History) -> list[Mop]:
    """Validated micro-ops of op ``at``; the recorded lists themselves unless a key or read
    must change (a list key becomes a tuple; a read whose value is unknown becomes None). Read
    values are the datatype checker's to judge."""
    if type(value) is not list and not isinstance(value, (list, tuple)):
        raise BadInput(f"txn value must be a list of micro-ops, got {value!r}", history.where(at))
    copy = False
    for m in value:
        if (type(m) is not list and not isinstance(m, tuple)) or len(m) != 3 \
                or m[0] not in MOP_KINDS:
            raise BadInput(f"bad micro-op {m!r} (expected [f, key, value], f in r/append/w)",
                           history.where(at))
        k = m[1]
        if type(k) is list or type(k) is dict or (
                not reads_known and m[0] == "r" and m[2] is not None):
            copy = True
    if not copy:
        return value  # type: ignore[return-value]
    return [
        (m[0], hashable(m[1]), m[2] if reads_known or m[0] != "r" else None) for m in value
    ]


def extract_txns(history: History, f: str = "txn") -> Txns:
    """The transactions of ``history`` (client ops named ``f``); BadInput on malformed values.

    A transaction whose micro-ops the history holds as columns keeps them there: the ok
    completion's, or the invocation's when its reads are all nil (an invocation's reads say
    nothing, so one with read values is copied with them made nil)."""
    cols = history.txn_columns
    out = Txns(cite=history.cite, mops=TxnMops(cols))
    types, procs, fs, values = history.types, history.processes, history.fs, history.values
    ids = history.txn_value_ids or _NO_IDS
    pair = history.pair
    i = types.find(INVOKE)  # bytearray.find scans in C: visit invocations only
    while i >= 0:
        if fs[i] != f or procs[i] == NEMESIS:
            i = types.find(INVOKE, i + 1)
            continue
        j = pair(i)
        code = types[j] if j >= 0 else INFO
        if code == OK and ids and ids[j] >= 0:
            out.mops.append(None, ids[j])
        elif code == OK and values[j] is not None:
            out.mops.append(_mops(values[j], j, True, history))
        elif ids and ids[i] >= 0 and not cols.has_reads(ids[i]):  # type: ignore[union-attr]
            out.mops.append(None, ids[i])
        else:
            out.mops.append(_mops(values[i], j if code == OK else i, False, history))
        out.invoke.append(i)
        out.complete.append(j)
        out.status.append(code if code in (OK, FAIL) else INFO)
        out.process.append(procs[i])
        i = types.find(INVOKE, i + 1)
    return out


_NO_IDS: array[int] = array("q")


def txn_checker(history: History, sample: int = 1000) -> str:
    """``rw-register`` for transactions that write registers and never append, else
    ``list-append`` (judged from the first ``sample`` transactions)."""
    kinds: set[str] = set()
    seen = 0
    for i in history.invocations():
        v = history.values[i]
        if history.fs[i] != "txn" or not isinstance(v, (list, tuple)):
            continue
        # only a guess: malformed micro-ops are the chosen checker's to refuse, naming the op
        kinds.update(m[0] for m in v
                     if isinstance(m, (list, tuple)) and m and isinstance(m[0], str))
        seen += 1
        if seen >= sample:
            break
    return "rw-register" if "w" in kinds and "append" not in kinds else "list-append"
