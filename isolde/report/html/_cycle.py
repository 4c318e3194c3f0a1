"""The dependency cycle of an isolation anomaly as a small graph: transactions as nodes, edges
labelled with their dependency type (ww / wr / rw / process / realtime) and key."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import networkx as nx

from ...checkers import show_value
from ._figure import new_figure, to_svg

EDGE_COLOURS = {"ww": "#1c7ed6", "wr": "#2f9e44", "rw": "#e03131", "process": "#7048e8",
                "realtime": "#f76707"}


def cycle_edges(anomaly: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The anomaly's cycle edges that name both ends ([] when it has no cycle)."""
    cycle = anomaly.get("cycle")
    if not isinstance(cycle, list):
        return []
    return [e for e in cycle if isinstance(e, Mapping) and "from" in e and "to" in e]


def cycle_plot(edges: Sequence[Mapping[str, Any]], salt: str) -> str:
    """The cycle laid out on a circle (networkx), T1, T2... in the order the cycle runs."""
    g = nx.MultiDiGraph()
    names: dict[Any, str] = {}
    for e in edges:
        for end in (e["from"], e["to"]):
            names.setdefault(end, f"T{len(names) + 1}\nop {end}")
        g.add_edge(names[e["from"]], names[e["to"]], label=edge_label(e),
                   colour=_colour(str(e.get("type", ""))))
    fig, ax = new_figure(5.5, 2.0 if len(names) == 2 else 4.2, left=0.2, right=0.2)
    pos = nx.circular_layout(g)
    nx.draw_networkx_nodes(g, pos, ax=ax, node_size=1500, node_color="#f1f3f5",
                           edgecolors="#495057")
    nx.draw_networkx_labels(g, pos, ax=ax, font_size=8)
    style = "arc3,rad=0.18"  # bent, so the two edges of a 2-cycle do not overlap
    data = list(g.edges(keys=True, data=True))
    nx.draw_networkx_edges(g, pos, ax=ax, edgelist=[(u, v, k) for u, v, k, _ in data],
                           edge_color=[d["colour"] for *_, d in data], node_size=1500,
                           arrowsize=16, width=1.6, connectionstyle=style)
    nx.draw_networkx_edge_labels(g, pos, ax=ax, connectionstyle=style, font_size=8,
                                 edge_labels={(u, v, k): d["label"] for u, v, k, d in data},
                                 bbox={"boxstyle": "round", "fc": "white", "ec": "none"})
    ax.set_axis_off()
    ax.margins(0.2)
    return to_svg(fig, salt)


def edge_label(edge: Mapping[str, Any]) -> str:
    """``rw key 0``: the dependency type, and the key it is about when there is one."""
    kind = str(edge.get("type", "?"))
    if edge.get("key") is not None:
        return f"{kind} key {show_value(edge['key'])}"
    return kind


def _colour(kind: str) -> str:
    """rw-process and the like take their base type's colour."""
    for base, colour in EDGE_COLOURS.items():
        if kind.startswith(base):
            return colour
    return "#495057"
