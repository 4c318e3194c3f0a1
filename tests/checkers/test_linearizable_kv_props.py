"""Property test of the kv model's pruned search: small concurrent get/put/append histories on
one key agree with a brute-force oracle written apart from the checker (the search abandons
configurations whose later gets are out of reach, :meth:`KV.reach`, so this pins that the
pruning never changes a verdict)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from unittest.mock import patch

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from isolde.checkers.linearizable import KV, LinOp, Reach, prepare, search
from isolde.histories import History, Op

from .linhelp import check

VALUES = ["a", "b", "ab", ""]


def _oracle(h: History) -> bool:
    """Every order of the ops that respects real time (crashed ops in or out), no cache."""
    ops = []
    for i in h.invocations():
        j = h.pair(i)
        typ = h[j].type if j >= 0 else "info"
        if typ == "info" and h.fs[i] == "get":
            continue  # a crashed get constrains nothing
        out = h[j].value[1] if typ == "ok" else None
        ops.append((i, j if typ == "ok" else 1 << 30, typ, h.fs[i], h[i].value[1], out))

    def go(state: str, left: frozenset[int]) -> bool:
        if all(ops[k][2] == "info" for k in left):
            return True
        first_done = min(ops[k][1] for k in left)
        for k in left:
            inv, _, _, f, arg, out = ops[k]
            if inv > first_done:
                continue  # an op that completed before this one was invoked goes first
            if f == "get":
                if (out or "") != state:
                    continue
                nxt = state
            else:
                nxt = state + (arg or "") if f == "append" else (arg or "")
            if go(nxt, left - {k}):
                return True
        return False

    return go("", frozenset(range(len(ops))))


def _history(data: st.DataObject) -> History:
    """A small concurrent get/put/append history on one key, from a simulated store (so
    mostly linearizable), with crashed and pending ops and some gets of wrong values."""
    procs = data.draw(st.integers(1, 4))
    budget = data.draw(st.integers(1, 7))
    busy: dict[int, tuple[str, Any]] = {}
    ops: list[Op] = []
    next_proc = list(range(procs))
    state = ""  # a real store's, each op taking effect when it completes
    seen = {""}
    invoked = 0
    while invoked < budget or busy:
        if invoked < budget:
            w = data.draw(st.integers(0, procs - 1))
        else:
            w = data.draw(st.sampled_from([w for w in range(procs) if next_proc[w] in busy]))
        p = next_proc[w]
        if p not in busy:
            f = data.draw(st.sampled_from(["get", "get", "append", "append", "put"]))
            v = None if f == "get" else data.draw(st.sampled_from(VALUES))
            busy[p] = (f, v)
            ops.append(Op(len(ops), len(ops), "invoke", p, f, ["k", v]))
            invoked += 1
            continue
        f, v = busy.pop(p)
        outcome = data.draw(st.sampled_from(["ok", "ok", "ok", "info", "open"]))
        if outcome != "ok":
            next_proc[w] += procs  # a crashed process never invokes again
            if f != "get" and data.draw(st.booleans()):  # it may have taken effect
                state = state + v if f == "append" else v
                seen.add(state)
            if outcome == "info":
                ops.append(Op(len(ops), len(ops), "info", p, f, ["k", v]))
            continue
        if f == "get":
            # Mostly the true state; sometimes another one it had (or never had).
            out = state if data.draw(st.booleans()) else data.draw(
                st.sampled_from(sorted(seen | {"ba", "x"})))
            ops.append(Op(len(ops), len(ops), "ok", p, f, ["k", out]))
            continue
        state = state + v if f == "append" else v
        seen.add(state)
        ops.append(Op(len(ops), len(ops), "ok", p, f, ["k", v]))
    return History(ops)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_small_kv_histories_agree_with_brute_force(data: st.DataObject) -> None:
    h = _history(data)
    expected = _oracle(h)
    event(f"linearizable={expected}")
    r = check(h, model="kv")
    assert r.valid is expected
    if r.valid is False:  # explained by the unpruned second search: the failing op is named
        assert r.anomalies and r.anomalies[0].data["op"]["f"] in ("get", "put", "append")


class _Unpruned(KV):
    """The kv model without its reachability test: the search explores every configuration."""

    def reach(self, ops: Sequence[LinOp]) -> Sequence[Reach | None]:
        return ()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data(), st.booleans())
def test_pruning_never_changes_the_explanation(data: st.DataObject, at_once: bool) -> None:
    """An invalid key's failing op, linearizable prefix and frontier states are those of the
    unpruned search, whether collected in the first search or in a second one."""
    h = _history(data)
    parts = prepare(h, KV(), "evidence")
    ops = parts[0][1] if parts else []  # (none when every op is a crashed get)
    with patch("isolde.checkers.linearizable._wgl._EXPLAIN_AT_ONCE", 512 if at_once else 0):
        pruned = search(KV(), ops)
    full = search(_Unpruned(), ops)
    event(f"valid={full.valid}")
    assert pruned.valid is full.valid
    if full.valid is False:
        assert (pruned.fail_op, pruned.prefix, pruned.states) == (
            full.fail_op, full.prefix, full.states)
