"""From found anomalies to a Result: which models they rule out, the verdict for the requested
models, and rendered examples (a bounded number per type; every one is counted)."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from typing import Any

from ..._errors import OutOfBudget
from ..._resources import rss_bytes
from ...histories import History
from .._base import CheckConfig
from .._result import UNKNOWN, Anomaly, Result, Validity
from ._anomaly import Found
from ._explain import EdgeExplainer, Namer, render_cycle, render_direct
from ._graph import Graph, process_edges, realtime_edges
from ._models import (
    check_names,
    forbidden,
    needs_process,
    needs_realtime,
    ruled_out,
    strongest_allowed,
)
from ._search import DEFAULT_SCC_BUDGET, search_cycles
from ._txns import Txns

MAX_EXAMPLES = 8  # rendered anomalies per type


class Judge:
    """The shared second half of the isolation checkers: order edges the models need, cycle
    search, and the verdict. Datatype checkers add data edges and direct anomalies first."""

    def __init__(self, config: CheckConfig | None) -> None:
        self.config = cfg = config or CheckConfig()
        self.models = check_names(cfg.consistency_models)
        self.started = time.monotonic()
        self.deadline = self.started + cfg.time_limit if cfg.time_limit else None
        self.scc_budget = int(cfg.options.get("scc_budget", DEFAULT_SCC_BUDGET))
        # Memory is watched between the phases (each allocates its share at once): past the
        # limit the verdict is "unknown", before the OS would kill the process.
        self.rss_cap = rss_bytes() + cfg.memory_limit if cfg.memory_limit is not None else None

    def checkpoint(self, done: str) -> None:
        """After phase ``done``: OutOfBudget if the memory limit is spent."""
        if self.rss_cap is not None and rss_bytes() > self.rss_cap:
            raise OutOfBudget(f"the memory limit of {self.config.memory_limit:,} bytes ran out "
                              f"after {done}")

    def within_budget(self, check: Callable[[], Result]) -> Result:
        """``check()``, or "unknown" with the reason when a checkpoint finds the budget spent."""
        try:
            return check()
        except OutOfBudget as e:
            return Result(UNKNOWN, data={"reason": str(e)})

    def order_edges(self, g: Graph, txns: Txns, history: History) -> None:
        if needs_process(self.models):
            process_edges(g, txns)
        if needs_realtime(self.models):
            realtime_edges(g, txns, history)
        self.checkpoint("the dependency graph")

    def verdict(self, history: History, txns: Txns, g: Graph, found: list[Found],
                explain: EdgeExplainer, direct_text: Callable[[Found, Namer], str],
                extra: dict[str, Any] | None = None) -> Result:
        cycles = search_cycles(g, self.scc_budget, self.deadline)
        found = [*found, *cycles.found]
        counts = Counter(f.type for f in found)
        forb = forbidden(self.models)
        not_, also_not = ruled_out(counts)
        violations = sorted(t for t in counts if t in forb)
        valid: Validity = False if violations else (UNKNOWN if cycles.unknown else True)
        anomalies: list[Anomaly] = []
        shown: Counter[str] = Counter()
        for f in found:
            if f.type not in forb or shown[f.type] >= MAX_EXAMPLES:
                continue
            shown[f.type] += 1
            anomalies.append(render_cycle(f, txns, history, explain) if f.steps
                             else render_direct(f, txns, direct_text))
        data: dict[str, Any] = {
            "models": list(self.models),
            "not": not_,
            "also_not": also_not,
            "ruled_out": sorted([*not_, *also_not]),
            "may_satisfy": strongest_allowed(counts, needs_process(self.models),
                                             needs_realtime(self.models)),
            "anomaly_counts": dict(sorted(counts.items())),
            "allowed_anomalies": sorted(t for t in counts if t not in forb),
            "txns": len(txns),
            "edges": len(g),
            "sccs": cycles.sccs,
            "largest_scc": cycles.largest_scc,
            "check_s": round(time.monotonic() - self.started, 3),
        }
        if cycles.unknown:
            # An unsettled component holds some cycle of unknown kind: claim nothing.
            data["may_satisfy"] = None
            data["unknown_sccs"] = cycles.unknown[:MAX_EXAMPLES]
            data["unknown_scc_count"] = len(cycles.unknown)
        if extra:
            data.update(extra)
        return Result(valid, anomalies, data)
