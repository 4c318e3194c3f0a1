"""Choosing checkers for a history when the user names none."""

from __future__ import annotations

from ..histories import NEMESIS, History
from ._base import CHECKERS
from ._read_promises import has_weak_reads

# f names -> the checker that judges them, in order of preference.
_BY_F: list[tuple[frozenset[str], str]] = [
    (frozenset({"txn"}), "list-append"),
    (frozenset({"transfer"}), "bank"),
    (frozenset({"read", "write", "cas"}), "linearizable"),
    (frozenset({"get", "put", "append"}), "linearizable"),
]


def default_checkers(history: History) -> list[str]:
    """The registered checkers that fit the history's ops, plus ``stats``."""
    fs = {f for f, p in zip(history.fs, history.processes, strict=True) if p != NEMESIS}
    names = [name for trigger, name in _BY_F if fs & trigger and name in CHECKERS][:1]
    if names == ["list-append"]:
        from .isolation import txn_checker

        names = [txn_checker(history)]
    elif names == ["linearizable"] and has_weak_reads(history):
        names = ["read-promises"]  # each read judged by the consistency it asked for
    return [*names, "stats"]
