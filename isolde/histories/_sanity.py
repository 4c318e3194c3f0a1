"""Warnings for histories that load but look wrong: the checkers rely on the file's order and
times, and Jepsen's pairing of a completion with its process's invocation."""

from __future__ import annotations

import logging
from typing import Any

from ._op import Op, Process

log = logging.getLogger("isolde.histories")


class OpWatch:
    """Fed every op as it is read; warns once per kind of oddity, naming the first place (one
    line each: a recorder with a bug usually repeats it on every op). The common case (all is
    well) is a few comparisons per op: loading speed depends on it."""

    def __init__(self) -> None:
        self._index = -(1 << 64)  # below any index, so the first one is never "backwards"
        self._time = 0  # a negative time compares below it too, and is told apart later
        self._open: dict[Process, str] = {}
        self._warned: set[str] = set()

    def _warn(self, kind: str, where: str, message: str) -> None:
        if kind not in self._warned:
            self._warned.add(kind)
            log.warning("%s: %s (only the first such op is reported)", where, message)

    def see(self, d: dict[str, Any], op: Op, where: str) -> None:
        index = d.get("index")
        if type(index) is int:
            if index <= self._index:
                how = "is repeated" if index == self._index else "goes backwards"
                self._warn(how, where, f"index {index} {how} (after {self._index})")
            self._index = index
        t = op.time
        if t < self._time:
            if t < 0:
                self._warn("negative-time", where, f"time {t} is negative")
            else:
                self._warn("time", where, f"time goes backwards ({t} after {self._time})")
        self._time = t
        if op.type == "invoke":
            self._open[op.process] = op.f
            return
        invoked = self._open.pop(op.process, None)
        if invoked is not None and invoked != op.f:
            self._warn("f", where, f"{op.type} completion has f {op.f!r} but its invocation "
                       f"by process {op.process!r} has f {invoked!r}")
