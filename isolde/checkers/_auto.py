"""Choosing checkers for a history when the user names none, and refusing a checker that
cannot judge the history's (or the workload's) kind of ops."""

from __future__ import annotations

from collections.abc import Iterable

from .._errors import BadInput
from ..histories import NEMESIS, History
from ._base import CHECKERS
from ._read_promises import has_weak_reads

# f names -> the checker that judges them, in order of preference.
_BY_F: list[tuple[frozenset[str], str]] = [
    (frozenset({"event"}), "change-stream"),
    (frozenset({"txn"}), "list-append"),
    (frozenset({"transfer"}), "bank"),
    (frozenset({"read", "write", "cas"}), "linearizable"),
    (frozenset({"get", "put", "append"}), "linearizable"),
]

# Kinds of ops, as the workloads produce them and the checkers judge them.
KINDS = {
    "register": "register ops (read/write/cas)",
    "kv": "key-value ops (get/put/append)",
    "list-append": "list-append transactions",
    "rw-register": "register transactions",
    "bank": "bank ops (init/transfer/read of accounts)",
    "outbox": "outbox bank ops (init/transfer/read of accounts, read-outbox)",
    "stream": "change-stream records beside appends",
}
# What each built-in checker can judge; a checker not listed here (a plugin) is trusted to say
# for itself. ``stats`` judges nothing and counts anything.
JUDGES: dict[str, frozenset[str]] = {
    "linearizable": frozenset({"register", "kv"}),
    "read-promises": frozenset({"register"}),
    "staleness": frozenset({"register"}),
    "causal": frozenset({"register", "list-append"}),
    "list-append": frozenset({"list-append"}),
    "rw-register": frozenset({"rw-register"}),
    "bank": frozenset({"bank", "outbox"}),  # an outbox history is a bank history too
    "outbox": frozenset({"outbox"}),
    "change-stream": frozenset({"stream"}),
}
_BANK_FS = frozenset({"init", "transfer"})
_OUTBOX_F = "read-outbox"
_REGISTER_FS = frozenset({"read", "write", "cas"})
_KV_FS = frozenset({"get", "put", "append"})


def default_checkers(history: History) -> list[str]:
    """The registered checkers that fit the history's ops, plus ``stats``."""
    fs = {f for f, p in zip(history.fs, history.processes, strict=True) if p != NEMESIS}
    names = [name for trigger, name in _BY_F if fs & trigger and name in CHECKERS][:1]
    if names == ["list-append"]:
        from .isolation import txn_checker

        names = [txn_checker(history)]
    elif names == ["linearizable"] and has_weak_reads(history):
        names = ["read-promises"]  # each read judged by the consistency it asked for
    elif names == ["bank"] and _OUTBOX_F in fs and "outbox" in CHECKERS:
        names.append("outbox")  # the balances, and the outbox against the transfers
    return [*names, "stats"]


def op_kinds(history: History) -> set[str] | None:
    """The kinds of the history's client ops; None if some op is of no kind listed in KINDS
    (a model's own ops, say), when only the checker can tell whether it applies."""
    fs = {f for f, p in zip(history.fs, history.processes, strict=True) if p != NEMESIS}
    kinds: set[str] = set()
    if "event" in fs:  # a change stream's records: the appends beside them are its writes
        return {"stream"}
    if _OUTBOX_F in fs:
        kinds.add("outbox")
        fs -= {*_BANK_FS, "read", _OUTBOX_F}
    elif fs & _BANK_FS:
        kinds.add("bank")
        fs -= {*_BANK_FS, "read"}
    if "txn" in fs:
        kinds |= _txn_kinds(history)
        fs.discard("txn")
    if fs & _REGISTER_FS:
        kinds.add("register")
    if fs & _KV_FS:
        kinds.add("kv")
    return kinds if not fs - _REGISTER_FS - _KV_FS else None


def _txn_kinds(history: History) -> set[str]:
    """list-append when a transaction appends, rw-register when one writes; read-only
    transactions could be either."""
    writes: set[str] = set()
    cols, ids = history.txn_columns, history.txn_value_ids
    if cols is not None:  # the micro-op fs of all values the history holds as columns
        writes = cols.fs()
    for i in history.invocations():
        if ids is not None and ids[i] >= 0:
            continue
        if history.fs[i] == "txn" and isinstance(history.values[i], list):
            writes |= {m[0] for m in history.values[i]
                       if isinstance(m, list) and m and m[0] in ("append", "w")}
    out = {"list-append"} if "append" in writes else set()
    if "w" in writes:
        out.add("rw-register")
    return out or {"list-append", "rw-register"}


def refuse_unjudgeable(names: Iterable[str], kinds: set[str] | None, what: str) -> None:
    """BadInput naming the first checker in ``names`` that judges none of ``kinds`` (the kinds
    of ops ``what`` has: a history, or a workload before it runs)."""
    if not kinds:
        return  # no ops (nothing to judge, the checkers say so) or kinds only checkers know
    for name in names:
        judges = JUDGES.get(name)
        if judges is not None and not judges & kinds:
            raise BadInput(
                f"checker {name!r} cannot judge {_list(kinds)}: it judges "
                f"{_list(judges)}", what)


def _list(kinds: Iterable[str]) -> str:
    return " or ".join(KINDS[k] for k in sorted(kinds))
