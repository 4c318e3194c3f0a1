"""The list-append checker against brute force: on tiny histories, "no anomaly under
serializable" must hold exactly when some serial order of the committed transactions (the ok ones
and any subset of the info ones) explains every ok read (and, for strict-serializable, one that
also respects real time, an info transaction never having completed)."""

from __future__ import annotations

import itertools
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from isolde.checkers import CheckConfig, make_checker
from isolde.histories import History, Op

from .txnpaths import check_both

Txn = list[list[Any]]
Ex = tuple[list[Txn], list[tuple[int, int]], list[str]]


@st.composite
def executions(draw: st.DrawFn) -> Ex:
    """Transactions run one after another on a store whose reads may see any prefix of a key
    (stale, or missing the txn's own appends), plus each one's [invoke, complete] slot and
    outcome. A failed transaction's appends may still have been visible (dirty); an info one's
    may or may not have happened."""
    n = draw(st.integers(2, 4))
    state: dict[str, list[int]] = {"x": [], "y": []}
    counter = itertools.count(1)
    txns: list[Txn] = []
    outcomes = [draw(st.sampled_from(["ok", "ok", "ok", "ok", "fail", "info"]))
                for _ in range(n)]
    for i in range(n):
        mops: Txn = []
        applies = outcomes[i] == "ok" or draw(st.booleans())
        for _ in range(draw(st.integers(1, 3))):
            k = draw(st.sampled_from(["x", "y"]))
            if draw(st.booleans()):
                v = next(counter)
                if applies:
                    state[k].append(v)
                mops.append(["append", k, v])
            else:
                cut = draw(st.integers(0, len(state[k])))
                if draw(st.integers(0, 2)):  # mostly fresh reads, sometimes stale ones
                    cut = len(state[k])
                mops.append(["r", k, list(state[k][:cut])])
        txns.append(mops)
    # Real-time slots: each txn gets an interval; overlapping ones are concurrent.
    slots = []
    for _ in txns:
        a = draw(st.integers(0, 6))
        slots.append((a, a + draw(st.integers(1, 4))))
    return txns, slots, outcomes


def history(txns: list[Txn], slots: list[tuple[int, int]], outcomes: list[str]) -> History:
    events = []
    for p, (mops, (a, b), out) in enumerate(zip(txns, slots, outcomes, strict=True)):
        unread = [["r", k, None] if f == "r" else [f, k, v] for f, k, v in mops]
        events.append((2 * a + 1, Op(0, 0, "invoke", p, "txn", unread)))
        events.append((2 * b, Op(0, 0, out, p, "txn", mops if out == "ok" else unread)))
    events.sort(key=lambda e: e[0])
    return History(op.with_(index=i, time=t) for i, (t, op) in enumerate(events))


def explains(order: tuple[int, ...], txns: list[Txn], outcomes: list[str]) -> bool:
    state: dict[str, list[int]] = {"x": [], "y": []}
    for t in order:
        for f, k, v in txns[t]:
            if f == "append":
                state[k].append(v)
            elif outcomes[t] == "ok" and v != state[k]:
                return False
    return True


def brute_force(ex: Ex, realtime: bool) -> bool:
    txns, slots, outcomes = ex
    ok = [t for t, o in enumerate(outcomes) if o == "ok"]
    info = [t for t, o in enumerate(outcomes) if o == "info"]
    for r in range(len(info) + 1):
        for extra in itertools.combinations(info, r):
            for order in itertools.permutations(ok + list(extra)):
                # a completed (at 2*end) before b was invoked (2*start+1), yet follows it
                if realtime and any(outcomes[a] == "ok" and slots[a][1] <= slots[b][0]
                                    for i, b in enumerate(order) for a in order[i + 1:]):
                    continue
                if explains(order, txns, outcomes):
                    return True
    return False


@settings(max_examples=400, deadline=None)
@given(executions())
def test_matches_brute_force(ex: Ex) -> None:
    h = history(*ex)
    for models, realtime in ((("serializable",), False), (("strict-serializable",), True)):
        r = check_both(make_checker("list-append", CheckConfig(consistency_models=models)), h)
        assert r.valid is brute_force(ex, realtime), (models, ex, r.anomaly_types)
        for a in r.anomalies:  # every cycle edge's reason was reconstructed
            assert not any(e.get("unexplained") for e in a.data.get("cycle", ())), a
