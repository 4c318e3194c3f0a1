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
from ...histories import FAIL, INFO, INVOKE, NEMESIS, OK, History, cite_position, hashable

MOP_KINDS = frozenset({"r", "append", "w"})

Mop = tuple[str, Any, Any]


@dataclass
class Txns:
    """Column-stored transactions: ``invoke[t]``/``complete[t]`` op indices (-1: none),
    ``status[t]`` (OK, INFO or FAIL), ``process[t]``, ``mops[t]``."""

    invoke: array = field(default_factory=lambda: array("q"))
    complete: array = field(default_factory=lambda: array("q"))
    status: bytearray = field(default_factory=bytearray)
    process: list[Any] = field(default_factory=list)
    mops: list[list[Mop]] = field(default_factory=list)
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
    """The transactions of ``history`` (client ops named ``f``); BadInput on malformed values."""
    out = Txns(cite=history.cite)
    types, procs, fs, values = history.types, history.processes, history.fs, history.values
    pair = history.pair
    i = types.find(INVOKE)  # bytearray.find scans in C: visit invocations only
    while i >= 0:
        if fs[i] != f or procs[i] == NEMESIS:
            i = types.find(INVOKE, i + 1)
            continue
        j = pair(i)
        code = types[j] if j >= 0 else INFO
        if code == OK:
            v = values[j]
            mops = _mops(v if v is not None else values[i], j, v is not None, history)
        else:
            mops = _mops(values[i], i, False, history)
        out.invoke.append(i)
        out.complete.append(j)
        out.status.append(code if code in (OK, FAIL) else INFO)
        out.process.append(procs[i])
        out.mops.append(mops)
        i = types.find(INVOKE, i + 1)
    return out


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
