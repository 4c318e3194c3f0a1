"""The causal checker against brute-force oracles on random small register histories:
session guarantees straight from their definitions, bad patterns on networkx graphs."""

from __future__ import annotations

import math
from typing import Any

import networkx as nx
from hypothesis import given, settings
from hypothesis import strategies as st

from isolde.checkers import run_checkers
from isolde.histories import History

from ._hist import Builder


@st.composite
def histories(draw: Any) -> History:
    b = Builder()
    counter = {"x": 0, "y": 0}
    values: dict[str, list[int]] = {"x": [], "y": []}  # values of writes that did not fail
    # Pre-draw every write so reads can return values written later (even causally later).
    for p in range(draw(st.integers(2, 4))):
        t = draw(st.integers(0, 6))
        for _ in range(draw(st.integers(1, 5))):
            k = draw(st.sampled_from(["x", "y"]))
            dur = draw(st.integers(1, 8))
            if draw(st.booleans()):
                counter[k] += 1
                v = counter[k]
                outcome = draw(st.sampled_from(["ok", "ok", "ok", "info", "fail"]))
                if outcome != "fail":
                    values[k].append(v)
                if outcome == "info":
                    b.w(p, k, v, t, None)
                    break
                b.w(p, k, v, t, t + dur, type=outcome)
            else:
                b.r(p, k, ("pending", k), t, t + dur)
            t += dur + draw(st.integers(0, 3))
    # Fill in read values now that all writes are known.
    events = []
    for start, tag, op in b.events:
        if op.f == "read" and op.type == "ok":
            k = op.value[0]
            v = draw(st.sampled_from([None, *values[k]]))
            op = op.with_(value=[k, v])
        events.append((start, tag, op))
    b.events = events
    return b.build()


def oracle(h: History) -> dict[str, set[int]]:
    ops = []  # (process, kind, key, value, inv index, inv time, comp time)
    for inv, done in h.pairs():
        if done is not None and done.type == "fail":
            continue
        k = inv.value[0]
        if inv.f == "write":
            ops.append((inv.process, "w", k, inv.value[1], inv.index, inv.time,
                        done.time if done is not None and done.type == "ok" else math.inf))
        elif done is not None and done.type == "ok":
            ops.append((inv.process, "r", k, done.value[1], inv.index, inv.time, done.time))
    writes = {(o[2], o[3]): o for o in ops if o[1] == "w"}

    def src(o: Any) -> Any:
        return None if o[3] is None else writes[(o[2], o[3])]

    def older(u: Any, v: Any) -> bool:  # u, v: write ops or None (initial)
        if v is None:
            return False
        if u is None:
            return True
        return u[6] < v[5]

    procs: dict[Any, list[Any]] = {}
    for o in ops:
        procs.setdefault(o[0], []).append(o)
    found: dict[str, set[int]] = {t: set() for t in (
        "read-your-writes", "monotonic-reads", "monotonic-writes", "writes-follow-reads",
        "WriteCOInitRead", "WriteCORead")}
    for seq in procs.values():
        for i, r in enumerate(seq):
            if r[1] != "r":
                continue
            before = seq[:i]
            if any(w[1] == "w" and w[2] == r[2] and older(src(r), w) for w in before):
                found["read-your-writes"].add(r[4])
            if any(r1[1] == "r" and r1[2] == r[2] and older(src(r), src(r1)) for r1 in before):
                found["monotonic-reads"].add(r[4])
            for r1 in before:
                if r1[1] != "r" or r1[3] is None:
                    continue
                b = src(r1)
                pseq = procs[b[0]]
                pb = pseq.index(b)
                if b[2] != r[2] and any(a[1] == "w" and a[2] == r[2] and older(src(r), a)
                                        for a in pseq[:pb]):
                    found["monotonic-writes"].add(r[4])
                if any(ra[1] == "r" and ra[2] == r[2] and older(src(r), src(ra))
                       for ra in pseq[:pb]):
                    found["writes-follow-reads"].add(r[4])
    # Causal order: po | rf on events.
    g = nx.DiGraph()
    for seq in procs.values():
        g.add_nodes_from(o[4] for o in seq)
        nx.add_path(g, [o[4] for o in seq])
    for o in ops:
        if o[1] == "r" and o[3] is not None:
            g.add_edge(src(o)[4], o[4])
    found["cyclic"] = set() if nx.is_directed_acyclic_graph(g) else {1}
    if found["cyclic"]:
        return found
    co = nx.transitive_closure_dag(g)
    cf = nx.DiGraph(co)
    for r in ops:
        if r[1] != "r":
            continue
        ws = [w for w in ops if w[1] == "w" and w[2] == r[2] and co.has_edge(w[4], r[4])]
        if r[3] is None:
            if ws:
                found["WriteCOInitRead"].add(r[4])
            continue
        w1 = src(r)
        if any(w2 is not w1 and co.has_edge(w1[4], w2[4]) for w2 in ws):
            found["WriteCORead"].add(r[4])
        for w in ws:
            if w is not w1:
                cf.add_edge(w[4], w1[4])
    found["cf_cyclic"] = set() if nx.is_directed_acyclic_graph(cf) else {1}
    return found


@settings(max_examples=400, deadline=None)
@given(histories())
def test_causal_matches_oracles(h: History) -> None:
    res = run_checkers(h, ["causal"])["causal"]
    want = oracle(h)
    counts = res.data["counts"]
    assert bool(counts["CyclicCO"]) == bool(want["cyclic"])
    for t in ("read-your-writes", "monotonic-reads", "monotonic-writes",
              "writes-follow-reads"):
        got = {a.ops[-1] for a in res.anomalies if a.type == t}
        assert got == want[t], t
    if want["cyclic"]:
        return
    for t in ("WriteCOInitRead", "WriteCORead"):
        got = {a.ops[-1] for a in res.anomalies if a.type == t}
        assert got == want[t], t
    assert bool(counts["WriteCORead"] or counts["CyclicCF"]) == bool(want["cf_cyclic"])
    assert res.valid is (not any(counts.values()))
