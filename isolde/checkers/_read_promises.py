"""The ``read-promises`` checker: each read judged by the consistency it asked for.

A register history whose reads carry a ``consistency`` (DynamoDB's ConsistentRead, Cosmos DB's
per-request levels, the embedded store's modes) is judged read by read, by the promise of the
mode the read asked for, composing the existing checkers:

- ``strong`` (and a read with no ``consistency``): the history restricted to the writes, the
  CAS ops and the strong reads is linearizable (:mod:`.linearizable`; the other reads are
  dropped as a crashed read is, so op indices stay the history's);
- ``session``: the session guarantees of the read's process (:mod:`._sessions`:
  read-your-writes, monotonic reads, monotonic writes, writes-follow-reads), judged against
  everything the process did before it, whatever mode its earlier reads asked for;
- ``bounded``: at most ``bounded_versions`` missed writes and ``bounded_ms`` of time staleness
  (:mod:`._staleness`; the bound is ``CheckConfig.options``, from ``--bounded-versions`` and
  ``--bounded-ms``);
- ``consistent-prefix``: the read sees a prefix of the writes. A one-key read sees a prefix iff
  it returns a version that was written before it ended (below), so nothing more is checkable:
  per-process monotonicity is the session promise, not this one;
- ``eventual``: convergence. Final reads (ops marked ``final``) of a key that begin after every
  write of the key has completed must return the same value: in the key's last ``round`` of
  final reads (the register workload re-reads until they agree, for a bounded time), each weak
  read returns what the strong final read returned.

Every weak read must also return a value some write produced (``thin-air-read``) that was
written before the read ended (``future-read``), and every mode promises convergence. Each
violation is an anomaly typed ``MODE:PROMISE`` (e.g. ``session:monotonic-reads``).
Linearizability of the whole history is reported as information (``whole_history``); it does
not make the verdict invalid.
"""

from __future__ import annotations

import time
from collections.abc import Hashable, Sequence
from typing import Any

from ..histories import History
from ._base import CheckConfig
from ._causal_model import Findings, from_registers
from ._registers import INIT, THIN, RegisterView, decode, is_register_history, paused_gc
from ._result import UNKNOWN, Anomaly, Result, Validity, merge_validity
from ._sessions import check_sessions
from ._staleness import measure
from ._values import show_value
from ._values import show_value as _show

STRONG, BOUNDED, SESSION, PREFIX, EVENTUAL = (
    "strong", "bounded", "session", "consistent-prefix", "eventual")
WEAK_MODES = (BOUNDED, SESSION, PREFIX, EVENTUAL)
DEFAULT_BOUNDED_VERSIONS = 10  # the embedded store's defaults (--bounded-versions, --bounded-ms)
DEFAULT_BOUNDED_MS = 100.0
MAX_LISTED = 100  # anomalies built per type; ``anomaly_counts`` has the true numbers
# Whole-history linearizability is information, not worth an unbounded search (with no check
# budget at all it would be): past this, it is reported "unknown".
INFO_TIME_LIMIT = 60.0


def read_mode(mode: str) -> str:
    """The promise a read's ``consistency`` asks for: a read that names none is strong (the
    default of every store isolde drives, and what a history without modes is judged by)."""
    return STRONG if mode == "unspecified" else mode


def has_weak_reads(history: History) -> bool:
    """Whether some register read asked for a mode weaker than strong."""
    for i in history.invocations():
        if history.fs[i] == "read":
            mode = history.extra(i).get("consistency")
            if isinstance(mode, str) and mode in WEAK_MODES:
                return True
    return False


def without_weak_reads(history: History, weak_ops: set[int]) -> History:
    """The same history (same indices) with the completions of ``weak_ops`` (invocation
    indices) turned into ``info``: a crashed read constrains nothing, so linearizability of
    this history is linearizability of the writes and the other reads."""
    ops = []
    for op in history:
        if op.type == "ok" and history.pair(op.index) in weak_ops:
            op = op.with_(type="info")
        ops.append(op)
    return History(ops, source="strong reads")


class ReadPromisesChecker:
    """Each read by the promise of its consistency mode (see the module docstring)."""

    name = "read-promises"

    def __init__(self, config: CheckConfig | None = None) -> None:
        self.config = config or CheckConfig()
        opts = self.config.options
        self.bounded_versions = int(opts.get("bounded_versions", DEFAULT_BOUNDED_VERSIONS))
        self.bounded_ms = float(opts.get("bounded_ms", DEFAULT_BOUNDED_MS))

    def check(self, history: History) -> Result:
        with paused_gc():
            return self._check(history)

    def _check(self, history: History) -> Result:
        if not is_register_history(history):
            return Result(UNKNOWN, [], {"reason": "no read/write/cas ops to judge"})
        t0 = time.monotonic()
        view = decode(history)
        modes = [read_mode(m) for m in view.r_mode]
        found = Findings(MAX_LISTED)
        weak = [r for r, m in enumerate(modes) if m != STRONG and not view.r_cas[r]]
        skipped = [r for r in weak if view.r_key[r] in view.ambiguous_keys]
        judged = [r for r in weak if view.r_key[r] not in view.ambiguous_keys]
        _check_values(view, modes, judged, found)
        _check_sessions(view, modes, found)
        _check_bounded(view, modes, judged, found, self.bounded_versions, self.bounded_ms)
        _check_convergence(history, view, modes, [r for r, m in enumerate(modes) if not (
            view.r_cas[r] or view.r_key[r] in view.ambiguous_keys)], found)
        strong = self._linearizable(without_weak_reads(history, {view.r_op[r] for r in weak}))
        for a in strong.anomalies:
            found.add(f"{STRONG}:linearizable", _strong_anomaly, a)
        whole = strong if not weak else self._linearizable(history, t0)
        by_mode: dict[str, int] = {}
        for r, m in enumerate(modes):
            if not view.r_cas[r]:  # a cas's read half is the cas, judged with the writes
                by_mode[m] = by_mode.get(m, 0) + 1
        data: dict[str, Any] = {
            "reads": dict(sorted(by_mode.items())),
            "bounds": {"versions": self.bounded_versions, "ms": self.bounded_ms},
            "promises_kept": {m: not any(t.startswith(m + ":") for t in found.counts)
                              for m in sorted(by_mode)},
            "strong": {k: v for k, v in strong.to_json().items() if k != "anomalies"},
            "whole_history": _information(whole),
            "anomaly_counts": dict(sorted(found.counts.items())),
        }
        valid: Validity = False if found.counts else merge_validity([strong.valid])
        if skipped:
            data["notes"] = [f"{len(skipped)} weak read(s) of keys whose written values repeat "
                             "could not be judged"]
            if valid is True:
                valid = UNKNOWN
        if strong.valid == UNKNOWN:
            data["unknown"] = strong.data.get("unknown", [])
        return Result(valid, found.listed, data)

    def _linearizable(self, history: History, since: float | None = None) -> Result:
        from .linearizable import LinearizableChecker

        cfg = self.config
        if since is not None:  # information: within what is left of the check's budget
            spent = time.monotonic() - since
            left = max(0.001, (cfg.time_limit or INFO_TIME_LIMIT + spent) - spent)
            cfg = CheckConfig(time_limit=min(left, INFO_TIME_LIMIT),
                              memory_limit=cfg.memory_limit, model=cfg.model,
                              workers=cfg.workers)
        return LinearizableChecker(cfg).check(history)


def _information(whole: Result) -> dict[str, Any]:
    """Whole-history linearizability, as information: the verdict and the first explanation."""
    out: dict[str, Any] = {"linearizable": whole.valid,
                           "nonlinearizable_keys": len(whole.anomalies)}
    if whole.anomalies:
        out["first"] = whole.anomalies[0].explanation
    return out


def _strong_anomaly(a: Anomaly) -> Anomaly:
    return Anomaly(f"{STRONG}:linearizable", a.ops,
                   "strong reads must be linearizable with the writes, and are not: "
                   + a.explanation, {**a.data, "mode": STRONG, "promise": "linearizable"})


def _tagged(mode: str, promise: str, a: Anomaly) -> Anomaly:
    return Anomaly(f"{mode}:{promise}", a.ops, f"a {mode} read broke {promise}: {a.explanation}",
                   {**a.data, "mode": mode, "promise": promise})


def _where(view: RegisterView, r: int) -> str:
    k = f" of key {show_value(view.r_key[r])}" if view.keyed else ""
    return f"{view.cite(view.r_op[r])} (process {view.r_proc[r]!r}) read{k}"


def _check_values(view: RegisterView, modes: Sequence[str], reads: Sequence[int],
                  found: Findings) -> None:
    """Every weak read returns a value some write produced, written before the read ended."""
    for r in reads:
        src = view.r_src[r]
        if src == THIN:
            found.add(f"{modes[r]}:thin-air-read", _thin_air, view, modes[r], r)
        elif src >= 0 and view.w_inv[src] > view.r_comp[r]:
            found.add(f"{modes[r]}:future-read", _future, view, modes[r], r)


def _thin_air(view: RegisterView, mode: str, r: int) -> Anomaly:
    return Anomaly(f"{mode}:thin-air-read", (view.r_op[r],),
                   f"a {mode} read must return a value some write produced: {_where(view, r)} "
                   f"{_show(view.r_value[r])}, which no write produced",
                   {"mode": mode, "promise": "thin-air-read", "key": view.r_key[r],
                    "value": view.r_value[r], "process": view.r_proc[r]})


def _future(view: RegisterView, mode: str, r: int) -> Anomaly:
    src = view.r_src[r]
    return Anomaly(f"{mode}:future-read", (view.r_op[r], view.w_op[src]),
                   f"a {mode} read must return a value written before it ended: "
                   f"{_where(view, r)} {_show(view.r_value[r])}, written by "
                   f"{view.cite(view.w_op[src])}, which began after the read had completed",
                   {"mode": mode, "promise": "future-read", "key": view.r_key[r],
                    "value": view.r_value[r], "write": view.w_op[src]})


def _check_sessions(view: RegisterView, modes: Sequence[str], found: Findings) -> None:
    """Session guarantees, judged for session reads only (see :func:`check_sessions`)."""
    if SESSION not in modes:
        return
    model = from_registers(view)
    session_ops = {view.r_op[r] for r, m in enumerate(modes) if m == SESSION}
    inner = Findings(MAX_LISTED)
    check_sessions(model, inner, lambda x: model.r_op[x] in session_ops)
    for a in inner.listed:
        found.add(f"{SESSION}:{a.type}", _tagged, SESSION, a.type, a)
    for t, n in inner.counts.items():  # the true counts, beyond the anomalies built
        found.counts[f"{SESSION}:{t}"] = n


def _check_bounded(view: RegisterView, modes: Sequence[str], reads: Sequence[int],
                   found: Findings, versions: int, ms: float) -> None:
    """Bounded reads miss at most ``versions`` writes, none completed over ``ms`` before."""
    bounded = [r for r in reads if modes[r] == BOUNDED and view.r_src[r] != THIN]
    if not bounded:
        return
    st = measure(view)
    limit_ns = ms * 1e6
    for r in bounded:
        if st.missed[r] > versions:
            found.add(f"{BOUNDED}:version-bound", _bounded, view, r, "version-bound",
                      f"missed {st.missed[r]} newer writes (the bound is {versions})",
                      st.missed[r])
        if st.time_ns[r] > limit_ns:
            late = st.time_ns[r] / 1e6
            first = view.w_op[st.first_missed[r]]
            found.add(f"{BOUNDED}:time-bound", _bounded, view, r, "time-bound",
                      f"missed the write of {view.cite(first)}, completed {late:.1f} ms before the "
                      f"read began (the bound is {ms:g} ms)", round(late, 3))


def _bounded(view: RegisterView, r: int, promise: str, what: str, figure: float) -> Anomaly:
    src = view.r_src[r]
    got = "the initial value" if src == INIT else _show(view.r_value[r])
    return Anomaly(f"{BOUNDED}:{promise}", (view.r_op[r],),
                   f"a bounded read must not be staler than its bound: {_where(view, r)} "
                   f"{got} and {what}",
                   {"mode": BOUNDED, "promise": promise, "key": view.r_key[r],
                    "value": view.r_value[r], "staleness": figure})


def _check_convergence(history: History, view: RegisterView, modes: Sequence[str],
                       reads: Sequence[int], found: Findings) -> None:
    """Final reads of a key, begun after its last write completed, return one value: within the
    key's last round of final reads (``round``, 0 when absent), each weak read returns what the
    strong read returned (or, without one, what the first did). Every mode promises convergence:
    it is all an eventual read promises."""
    last: dict[Hashable, int] = {}
    for k, comp in zip(view.w_key, view.w_comp, strict=True):
        last[k] = max(last.get(k, comp), comp)
    rounds: dict[Hashable, tuple[int, list[int]]] = {}  # key -> its last round and its reads
    for r in reads:
        i = view.r_op[r]
        j = history.pair(i)
        extra = history.extra(i) if history.extra(i).get("final") else (
            history.extra(j) if j >= 0 else {})
        k = view.r_key[r]
        if not extra.get("final") or view.r_inv[r] <= last.get(k, -(1 << 62)):
            continue  # not final, or a write of the key was still in flight (an info write
            # never ends)
        n = extra.get("round", 0)
        seen = rounds.get(k)
        if seen is None or n > seen[0]:
            rounds[k] = (n, [r])
        elif n == seen[0]:
            seen[1].append(r)
    for _, rs in rounds.values():
        ref = next((r for r in rs if modes[r] == STRONG), rs[0])
        for r in rs:
            if modes[r] != STRONG and view.r_src[r] != view.r_src[ref]:
                found.add(f"{modes[r]}:convergence", _diverged, view, modes[r], ref, r)


def _diverged(view: RegisterView, mode: str, r0: int, r: int) -> Anomaly:
    return Anomaly(f"{mode}:convergence", (view.r_op[r0], view.r_op[r]),
                   "final reads after the last write must agree (the replicas converge): "
                   f"{_where(view, r0)} {_show(view.r_value[r0])}, but {_where(view, r)} "
                   f"{_show(view.r_value[r])}",
                   {"mode": mode, "promise": "convergence", "key": view.r_key[r],
                    "values": [view.r_value[r0], view.r_value[r]]})


__all__ = ["ReadPromisesChecker", "has_weak_reads", "read_mode", "without_weak_reads"]
