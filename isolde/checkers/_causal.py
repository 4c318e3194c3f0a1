"""The ``causal`` checker: session guarantees and causal-consistency bad patterns.

On unique-value register histories (one register, or Jepsen ``[k, v]`` tuples) the order of
versions is the sound real-time "definitely older" order; on list-append histories (``txn`` of
``["append", k, v]`` / ``["r", k, [...]]``) it is the exact order given by each key's longest
read. Reports (see docs/causal.md):

- session guarantees per process (:mod:`._sessions`): ``read-your-writes``,
  ``monotonic-reads``, ``monotonic-writes``, ``writes-follow-reads``;
- bad patterns (:mod:`._causal_patterns`): ``CyclicCO``, ``WriteCOInitRead``, ``ThinAirRead``,
  ``WriteCORead`` (causal consistency) and ``CyclicCF`` (causal convergence);
- on list-append, ``incompatible-order`` when a read is not a prefix of the longest read.

Sessions are per process id (a process that had an ``info`` op continues under a new id).
Valid iff nothing is found; "unknown" if something could not be checked (noted in ``notes``).
"""

from __future__ import annotations

import time
from typing import Any

from ..histories import History
from ._base import CheckConfig
from ._causal_model import (
    CausalModel,
    Findings,
    OutOfTime,
    from_list_append,
    from_registers,
    is_list_append,
)
from ._causal_patterns import CC_TYPES, check_patterns, check_thin_air
from ._registers import decode, is_register_history, paused_gc
from ._result import UNKNOWN, Anomaly, Result, Validity
from ._sessions import SESSION_TYPES, check_sessions
from ._values import show_value

MAX_LISTED = 100  # anomalies listed per type; ``counts`` says how many were found


class CausalChecker:
    """Session guarantees and causal bad patterns (see module docstring)."""

    name = "causal"

    def __init__(self, config: CheckConfig | None = None) -> None:
        self.config = config or CheckConfig()

    def check(self, history: History) -> Result:
        with paused_gc():
            return self._check(history)

    def _check(self, history: History) -> Result:
        t0 = time.monotonic()
        if is_list_append(history):
            model = from_list_append(history)
            order = "version order from the longest read (exact)"
        elif is_register_history(history):
            model = from_registers(decode(history))
            order = "definitely older (real time)"
        else:
            return Result(UNKNOWN, [], {"reason": "no register or list-append ops to check"})
        deadline = t0 + self.config.time_limit if self.config.time_limit else None
        return judge(model, order, deadline)


def judge(model: CausalModel, order: str = "", deadline: float | None = None) -> Result:
    """Run every check on a model and compose the result. If the deadline (``monotonic()``)
    passes, what was found stands and the rest is "unknown"."""
    found = Findings(MAX_LISTED, deadline)
    for k, r, _n in model.incompatible:
        found.add("incompatible-order", _incompatible, model, k, r)
    check_thin_air(model, found)
    notes = list(model.notes)
    try:
        check_sessions(model, found)
        notes.extend(check_patterns(model, found))
    except OutOfTime:
        notes.append("time limit reached: the check is incomplete")
    counts = found.counts
    valid: Validity = not counts
    if valid is True and notes:
        valid = UNKNOWN
    data: dict[str, Any] = {
        "order": order,
        "reads": len(model.r_key),
        "writes": len(model.w_key),
        "processes": len(model.events),
        "counts": {t: counts.get(t, 0) for t in (*SESSION_TYPES, *CC_TYPES)},
        "session_guarantees": {t: counts.get(t, 0) == 0 for t in SESSION_TYPES},
        "causal_consistency": not any(counts.get(t) for t in CC_TYPES if t != "CyclicCF"),
        "causal_convergence": not any(counts.get(t) for t in CC_TYPES),
    }
    if counts.get("incompatible-order"):
        data["counts"]["incompatible-order"] = counts["incompatible-order"]
    data["anomaly_counts"] = dict(sorted(counts.items()))
    if notes:
        data["notes"] = notes
    return Result(valid, found.listed, data)


def _incompatible(m: CausalModel, k: Any, r: int) -> Anomaly:
    return Anomaly("incompatible-order", (m.r_op[r],),
                   f"{m.cite(m.r_op[r])} read {show_value(k)} = {show_value(m.r_value[r])}, "
                   "which is not a prefix of the longest read of that key: processes saw the "
                   "appends in different orders",
                   {"key": k, "read": m.r_op[r]})
