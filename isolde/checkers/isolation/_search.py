"""The cycle-anomaly pass: strongly connected components of the whole graph, then a search by
spec inside each component with its own budget. A component whose budget runs out is reported
as unknown (it certainly holds some cycle, but of which kind was not settled)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from ._anomaly import Found
from ._cycles import SPECS, Budget, BudgetExceeded, classify, find_cycle
from ._graph import Graph
from ._scc import components, scc_labels

DEFAULT_SCC_BUDGET = 2_000_000  # BFS state expansions per component


@dataclass
class CycleReport:
    found: list[Found] = field(default_factory=list)
    unknown: list[dict[str, Any]] = field(default_factory=list)  # components left unsettled
    sccs: int = 0  # components with more than one transaction
    largest_scc: int = 0


def search_cycles(g: Graph, budget_steps: int = DEFAULT_SCC_BUDGET,
                  deadline: float | None = None) -> CycleReport:
    """Cycle anomalies of ``g``: per component, one cycle of each kind the specs can find."""
    rep = CycleReport()
    labels = scc_labels(g.n, g.src, g.dst)
    comps = components(labels)
    rep.sccs = len(comps)
    rep.largest_scc = max((len(ns) for ns in comps.values()), default=0)
    if not comps:
        return rep
    present = 0
    for k in set(g.kind):
        present |= k
    specs = [s for s in SPECS if s.seed & present]
    within = g.edges_within(labels, comps)
    src, dst, kind = g.src, g.dst, g.kind
    for lab in sorted(comps, key=lambda la: comps[la][0]):
        nodes = comps[lab]
        if deadline is not None and time.monotonic() > deadline:
            rep.unknown.append({"txns": len(nodes), "first": nodes[0], "reason": "time limit"})
            continue
        adj: dict[int, dict[int, int]] = {}
        for i in within.get(lab, ()):
            a = src[i]
            row = adj.get(a)
            if row is None:
                adj[a] = row = {}
            b = dst[i]
            row[b] = row.get(b, 0) | kind[i]
        budget = Budget(budget_steps, deadline)
        names: set[str] = set()
        try:
            for spec in specs:
                steps = find_cycle(adj, spec, budget)
                if steps is None:
                    continue
                name = classify(steps)
                if name not in names:
                    names.add(name)
                    rep.found.append(Found(name, tuple(s.a for s in steps), {}, steps))
        except BudgetExceeded as e:
            rep.unknown.append({"txns": len(nodes), "first": nodes[0], "reason": str(e)})
    return rep
