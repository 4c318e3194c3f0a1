"""Warnings for histories that load but look wrong: the checkers rely on the file's order and
times, and Jepsen's pairing of a completion with its process's invocation."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from ._history import History
from ._op import OP_TYPES, Op

log = logging.getLogger("isolde.histories")


class OpWatch:
    """Fed every op as it is read; warns once per kind of oddity, naming the first place (one
    line each: a recorder with a bug usually repeats it on every op). The common case (all is
    well) is a few comparisons per op: loading speed depends on it."""

    def __init__(self) -> None:
        self.last_index = -(1 << 64)  # below any index, so the first one is never "backwards"
        self.last_time = 0  # a negative time compares below it too, and is told apart later
        self._warned: set[str] = set()

    def _warn(self, kind: str, where: str, message: str) -> None:
        if kind not in self._warned:
            self._warned.add(kind)
            log.warning("%s: %s (only the first such op is reported)", where, message)

    def see(self, d: dict[str, Any], op: Op, where: str) -> None:
        index = d.get("index")
        if type(index) is int:
            if index <= self.last_index:
                how = "is repeated" if index == self.last_index else "goes backwards"
                self._warn(how, where, f"index {index} {how} (after {self.last_index})")
            self.last_index = index
        t = op.time
        if t < self.last_time:
            if t < 0:
                self._warn("negative-time", where, f"time {t} is negative")
            else:
                self._warn("time", where, f"time goes backwards ({t} after {self.last_time})")
        self.last_time = t

    def sync(self, index: Any, time: int) -> None:
        """The last op of a block a reader checked by itself had this index and time."""
        if type(index) is int:
            self.last_index = index
        self.last_time = time

    def paired(self, history: History, where: Callable[[int], str]) -> None:
        """Once the history is paired: a completion whose f is not its invocation's."""
        i = history.first_f_mismatch()
        if i >= 0:
            j = history.pair(i)
            self._warn("f", where(i), f"{OP_TYPES[history.types[i]]} completion has f "
                       f"{history.fs[i]!r} but its invocation by process "
                       f"{history.processes[i]!r} has f {history.fs[j]!r}")
