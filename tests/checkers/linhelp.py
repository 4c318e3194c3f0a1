"""Helpers for linearizability tests: a history builder and an independent brute-force oracle."""

from __future__ import annotations

from typing import Any

from isolde.checkers import CheckConfig, Result
from isolde.checkers.linearizable import LinearizableChecker
from isolde.histories import History, Op


def hist(*events: tuple[Any, ...]) -> History:
    """``(type, process, f, value)`` or ``(type, process, f, value, error)`` in real-time
    order; index and time are the position."""
    ops = []
    for i, e in enumerate(events):
        t, p, f, v = e[:4]
        ops.append(Op(i, i * 1000, t, p, f, v, e[4] if len(e) > 4 else None))
    return History(ops)


def check(h: History, model: str | None = "cas-register", **cfg: Any) -> Result:
    """Check ``h``; a failed CAS is evidence (Porcupine's reading, which the oracle below
    implements) unless ``failed_cas`` says otherwise."""
    cfg.setdefault("failed_cas", "evidence")
    return LinearizableChecker(CheckConfig(model=model, **cfg)).check(h)


# --- brute-force oracle ------------------------------------------------------------------------
# Written independently of the checker: its own register semantics, no cache, no event list;
# it tries every order of the ops that respects real time, leaving crashed ops out or in.


def _legal(state: Any, op: dict[str, Any]) -> tuple[bool, Any]:
    f, status = op["f"], op["status"]
    if f == "read":
        return op["out"] == state, state
    if f == "write":
        return True, op["arg"]
    old, new = op["arg"]
    if status == "fail":
        return state != old, state
    if state == old:
        return True, new
    return False, state


def oracle_linearizable(h: History) -> bool:
    """Is the single-register cas history ``h`` linearizable? (Exponential: small h only.)"""
    return _search(h, None)


def oracle_states(h: History) -> set[Any]:
    """Every register state after some linearization of all of ``h``'s completed ops (with
    any of its crashed or pending ops)."""
    out: set[Any] = set()
    _search(h, out)
    return out


def _search(h: History, states: set[Any] | None) -> bool:
    ops: list[dict[str, Any]] = []
    for i in h.invocations():
        j = h.pair(i)
        kind = h[j].type if j >= 0 else "info"
        f = h.fs[i]
        if kind == "info" and f == "read":
            continue  # a crashed read has no effect and no output
        if kind == "fail" and f != "cas":
            continue
        arg = tuple(h.values[i]) if isinstance(h.values[i], list) else h.values[i]
        ops.append({"f": f, "arg": arg, "out": h.values[j] if kind == "ok" else None,
                    "status": kind, "call": i, "ret": j if kind in ("ok", "fail") else None})

    def must_precede(a: dict[str, Any], b: dict[str, Any]) -> bool:
        return a["ret"] is not None and a["ret"] < b["call"]

    def go(state: Any, left: list[dict[str, Any]]) -> bool:
        found = False
        if all(o["status"] == "info" for o in left):
            if states is None:
                return True  # crashed ops may never take effect
            states.add(state)  # collecting: go on to place crashed ops as well
            found = True
        for x in left:
            if any(must_precede(y, x) for y in left if y is not x):
                continue
            ok, nxt = _legal(state, x)
            if ok and go(nxt, [y for y in left if y is not x]):
                if states is None:
                    return True
                found = True
        return found

    return go(None, ops)
