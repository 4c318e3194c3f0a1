"""Rendering found anomalies: structured data first (op indices, edges with key and value), then
one paragraph of text such as "T1 < T2 because T2 read [1 2] of key 3, which includes T1's
append of 2"."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from ...histories import History
from .._result import Anomaly
from ._anomaly import KIND_NAMES, PROCESS, REALTIME, Found, Step
from ._txns import Txns


def fmt(v: Any) -> str:
    """Values the way Elle prints them: lists as ``[1 2 3]``."""
    if isinstance(v, (list, tuple)):
        return "[" + " ".join(fmt(x) for x in v) + "]"
    if v is None:
        return "nil"
    return str(v)


class EdgeExplainer(Protocol):
    """Why an edge holds: (clause after "because", data with key and value), or None to use the
    plain process / realtime explanation."""

    def __call__(self, s: Step, name: Callable[[int], str]) -> tuple[str, dict[str, Any]] | None:
        ...


class Namer:
    """Names transactions T1, T2... in order of first mention."""

    def __init__(self, txns: Txns) -> None:
        self.txns = txns
        self.names: dict[int, str] = {}

    def __call__(self, t: int) -> str:
        if t not in self.names:
            self.names[t] = f"T{len(self.names) + 1}"
        return self.names[t]

    def legend(self) -> str:
        cite = self.txns.cite
        return ", ".join(f"{n} = {cite(self.txns.op_index(t))}" for t, n in self.names.items())


def order_clause(step: Step, name: Callable[[int], str],
                 txns: Txns) -> tuple[str, dict[str, Any]] | None:
    """The explanation of a process or realtime edge (the same for every datatype)."""
    a, b = step.a, step.b
    if step.kind == PROCESS:
        p = txns.process[a]
        return (f"process {p} executed {name(a)} before {name(b)}", {"process": p})
    if step.kind == REALTIME:
        ca, ib = txns.complete[a], txns.invoke[b]
        return (f"{name(a)} completed ({txns.cite(ca)}) before {name(b)} was invoked "
                f"({txns.cite(ib)})",
                {"completed": ca, "invoked": ib})
    return None


def render_cycle(f: Found, txns: Txns, history: History, explain: EdgeExplainer) -> Anomaly:
    name = Namer(txns)
    for s in f.steps:
        name(s.a)
    clauses: list[str] = []
    edges: list[dict[str, Any]] = []
    for i, s in enumerate(f.steps):
        got = explain(s, name) or order_clause(s, name, txns)
        if got is None:  # every edge was added for a reason; say so rather than crash if the
            # explainer cannot reconstruct it (tests assert this never happens)
            got = (f"of an inferred {KIND_NAMES[s.kind]} dependency", {"unexplained": True})
        text, data = got
        lead = "and finally " if i == len(f.steps) - 1 and i else ""
        clauses.append(f"{lead}{name(s.a)} < {name(s.b)} because {text}")
        edges.append({"from": txns.op_index(s.a), "to": txns.op_index(s.b),
                      "type": KIND_NAMES[s.kind], **data})
    explanation = (f"{f.type} cycle ({name.legend()}): " + "; ".join(clauses)
                   + ": a cycle, so no order of the transactions explains the history.")
    return Anomaly(f.type, tuple(txns.op_index(t) for t in f.txns), explanation,
                   {"cycle": edges})


def render_direct(f: Found, txns: Txns, text: Callable[[Found, Namer], str]) -> Anomaly:
    name = Namer(txns)
    for t in f.txns:
        name(t)
    body = text(f, name)
    data = {k: v for k, v in f.data.items()}
    data["txns"] = {name(t): txns.op_index(t) for t in f.txns}
    return Anomaly(f.type, tuple(txns.op_index(t) for t in f.txns),
                   f"{body} ({name.legend()}).", data)
