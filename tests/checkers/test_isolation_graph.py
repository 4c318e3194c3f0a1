"""SCC and cycle search against networkx, an independent oracle, on random graphs."""

from __future__ import annotations

import itertools
import random
from array import array

import networkx as nx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from isolde.checkers.isolation._anomaly import (
    PROCESS,
    REALTIME,
    RW,
    RW_PROCESS,
    RW_REALTIME,
    RWISH,
    WR,
    WW,
    Step,
)
from isolde.checkers.isolation._cycles import (
    SPECS,
    Budget,
    BudgetExceeded,
    classify,
    find_cycle,
    satisfies,
)
from isolde.checkers.isolation._graph import Graph
from isolde.checkers.isolation._scc import components, scipy_labels, tarjan

KINDS = [WW, WR, RW, PROCESS, REALTIME, RW_PROCESS, RW_REALTIME]


def random_graph(seed: int, n: int, m: int) -> Graph:
    rng = random.Random(seed)
    g = Graph(n)
    for _ in range(m):
        a, b = rng.randrange(n), rng.randrange(n)
        if a != b:
            g.add(a, b, rng.choice(KINDS))
    return g


def partition(labels) -> set[frozenset[int]]:
    groups: dict[int, set[int]] = {}
    for node, lab in enumerate(labels):
        groups.setdefault(int(lab), set()).add(node)
    return {frozenset(s) for s in groups.values()}


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 10**9), st.integers(1, 40), st.integers(0, 120))
def test_scc_matches_networkx(seed: int, n: int, m: int) -> None:
    g = random_graph(seed, n, m)
    oracle = nx.DiGraph()
    oracle.add_nodes_from(range(n))
    oracle.add_edges_from(zip(g.src, g.dst, strict=True))
    want = {frozenset(c) for c in nx.strongly_connected_components(oracle)}
    assert partition(tarjan(n, g.src, g.dst)) == want
    assert partition(scipy_labels(n, g.src, g.dst)) == want
    big = components(tarjan(n, g.src, g.dst))
    assert {frozenset(v) for v in big.values()} == {c for c in want if len(c) > 1}


def test_tarjan_has_no_recursion_limit() -> None:
    n = 200_000  # one long cycle: recursive Tarjan would overflow the stack
    src = array("l", range(n))
    dst = array("l", [(i + 1) % n for i in range(n)])
    labels = tarjan(n, src, dst)
    assert len(set(labels)) == 1


def adjacency(g: Graph) -> dict[int, dict[int, int]]:
    return g.adjacency()


def oracle_has(adj: dict[int, dict[int, int]], spec) -> bool:
    """Brute force: some simple cycle, with one kind chosen per edge, meets the spec."""
    d = nx.DiGraph((a, b) for a, row in adj.items() for b in row)
    for cyc in nx.simple_cycles(d):
        pairs = list(zip(cyc, cyc[1:] + cyc[:1], strict=True))
        options = [[k for k in KINDS if adj[a][b] & k & spec.allowed] for a, b in pairs]
        for choice in itertools.product(*options):
            rw = sum(1 for k in choice if k & RWISH)
            if any(k & spec.seed for k in choice) and spec.rw_min <= rw <= spec.rw_max:
                return True
    return False


def is_cycle_in(steps, adj) -> bool:
    nodes = [s.a for s in steps]
    return (len(set(nodes)) == len(nodes)
            and all(adj[s.a][s.b] & s.kind for s in steps)
            and all(x.b == y.a for x, y in zip(steps, steps[1:] + steps[:1], strict=True)))


@settings(max_examples=80, deadline=None)
@given(st.integers(0, 10**9), st.integers(2, 7), st.integers(2, 16))
def test_cycle_search_matches_brute_force(seed: int, n: int, m: int) -> None:
    adj = adjacency(random_graph(seed, n, m))
    for spec in SPECS:
        got = find_cycle(adj, spec, Budget(10**6))
        if got is not None:
            # Sound: a real simple cycle meeting the spec, named by what it contains.
            assert is_cycle_in(got, adj), (spec, got)
            assert satisfies(got, spec)
            name = classify(got)
            if spec.seed & REALTIME:
                assert name.endswith("-realtime")
            elif spec.seed & PROCESS:
                assert name.endswith("-process")
            else:
                assert name == spec.name
        else:
            exact = spec.rw_max == 0 or (spec.seed == RW and spec.rw_max == 1)
            if exact:  # one rw layer: breadth-first search is complete
                assert not oracle_has(adj, spec), spec


def test_classify_names() -> None:

    assert classify([Step(0, 1, WW), Step(1, 0, WW)]) == "G0"
    assert classify([Step(0, 1, WW), Step(1, 0, WR)]) == "G1c"
    assert classify([Step(0, 1, RW), Step(1, 0, WR)]) == "G-single"
    assert classify([Step(0, 1, RW), Step(1, 0, RW)]) == "G2-item"
    assert classify([Step(0, 1, RW), Step(1, 0, PROCESS)]) == "G-single-process"
    assert classify([Step(0, 1, PROCESS), Step(1, 0, REALTIME)]) == "G0-realtime"
    assert classify([Step(0, 1, RW_REALTIME), Step(1, 0, RW)]) == "G2-item-realtime"
    assert classify([Step(0, 1, RW_PROCESS), Step(1, 0, WR)]) == "G-single-process"


@pytest.mark.parametrize("steps", [1, 3])
def test_budget_runs_out(steps: int) -> None:

    g = Graph(6)
    for i in range(6):
        g.add(i, (i + 1) % 6, RW)
    spec = next(s for s in SPECS if s.name == "G2-item")
    with pytest.raises(BudgetExceeded):
        find_cycle(g.adjacency(), spec, Budget(steps))
