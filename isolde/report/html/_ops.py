"""Client ops of a history as numpy columns (one row per invocation), for plotting.

A million-op history becomes a few arrays; :class:`Op` objects are built only for the few ops a
timeline names.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ...histories import FAIL, INFO, INVOKE, NEMESIS, OK, History

OUTCOMES = {OK: "ok", FAIL: "fail", INFO: "info"}


@dataclass(frozen=True)
class OpTable:
    """Per client invocation: history index, start/end in seconds, outcome code and f code.

    An invocation never completed ends at the history's last time with outcome ``info`` (it may
    have taken effect at any point after its start).
    """

    index: npt.NDArray[np.int64]
    start: npt.NDArray[np.float64]
    end: npt.NDArray[np.float64]
    outcome: npt.NDArray[np.uint8]
    f: npt.NDArray[np.int32]
    f_names: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.index)

    @property
    def latency_ms(self) -> npt.NDArray[np.float64]:
        return (self.end - self.start) * 1e3

    def row_of(self, history: History, i: int) -> int:
        """The row of op ``i`` (an invocation or a completion), or -1 if it is not a client op."""
        if not 0 <= i < len(history):
            return -1
        inv = i if history.types[i] == INVOKE else history.pair(i)
        row = int(np.searchsorted(self.index, inv))
        return row if row < len(self.index) and self.index[row] == inv else -1


def op_table(history: History) -> OpTable:
    types, times, procs, fs = history.types, history.times, history.processes, history.fs
    last = times[len(times) - 1] if len(times) else 0
    index: list[int] = []
    start: list[int] = []
    end: list[int] = []
    outcome: list[int] = []
    f_codes: list[int] = []
    f_names: dict[str, int] = {}
    for i in range(len(types)):
        if types[i] != INVOKE or procs[i] == NEMESIS:
            continue
        j = history.pair(i)
        index.append(i)
        start.append(times[i])
        end.append(times[j] if j >= 0 else last)
        outcome.append(types[j] if j >= 0 else INFO)
        f_codes.append(f_names.setdefault(str(fs[i]), len(f_names)))
    return OpTable(
        index=np.array(index, dtype=np.int64),
        start=np.array(start, dtype=np.float64) / 1e9,
        end=np.array(end, dtype=np.float64) / 1e9,
        outcome=np.array(outcome, dtype=np.uint8),
        f=np.array(f_codes, dtype=np.int32),
        f_names=tuple(f_names),
    )


def sample_rows(table: OpTable, cap: int, seed: int = 0) -> npt.NDArray[np.int64]:
    """At most ``cap`` row numbers, in order: every failed or indeterminate op first (they are
    the interesting ones), then a uniform sample of the ok ones."""
    n = len(table)
    if n <= cap:
        return np.arange(n, dtype=np.int64)
    rare = np.flatnonzero(table.outcome != OK)
    common = np.flatnonzero(table.outcome == OK)
    rng = np.random.default_rng(seed)
    if len(rare) >= cap:
        return np.sort(rng.choice(rare, cap, replace=False))
    picked = rng.choice(common, cap - len(rare), replace=False)
    return np.sort(np.concatenate([rare, picked]))
