"""The ``rw-register`` checker: transactions of register reads and writes, writes unique per key.

What it can and cannot see is set out in :mod:`._register_infer`: the version order of each key
is only partly known (the initial state first; a transaction's read before its own write; and,
when the requested models include them, the process / real-time order of writes). Anomalies
that need more of the order go unseen; a list-append history gives the checker far more to go
on, so prefer that workload where the store can run it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ...histories import History
from .._base import CheckConfig
from .._result import Result
from ._anomaly import PROCESS, PROCESSISH, REALTIME, REALTIMEISH, RW, WR, WW, Found, Step
from ._explain import Namer, fmt
from ._graph import Graph
from ._judge import Judge
from ._models import needs_process, needs_realtime
from ._register_infer import RegisterFacts, collect_registers, register_edges
from ._txns import Txns, extract_txns


class RegisterExplainer:
    def __init__(self, txns: Txns, facts: RegisterFacts) -> None:
        self.txns, self.facts = txns, facts

    def _reads(self, t: int) -> dict[Any, Any]:
        out: dict[Any, Any] = {}
        for f, k, v in self.txns.mops[t]:
            if f == "w":
                out.setdefault(k, _WROTE)
            elif k not in out:
                out[k] = v
        return {k: v for k, v in out.items() if v is not _WROTE}

    def _writes(self, t: int) -> list[tuple[Any, Any]]:
        """Every (key, value) the transaction wrote, intermediate writes included."""
        return [(k, v) for f, k, v in self.txns.mops[t] if f == "w"]

    def __call__(self, s: Step, name: Callable[[int], str]) -> tuple[str, dict[str, Any]] | None:
        a, b, txns, facts = s.a, s.b, self.txns, self.facts
        if s.kind == REALTIME and 0 <= txns.complete[a] < txns.invoke[b]:
            return None  # a plain real-time edge
        if s.kind == PROCESS and txns.process[a] == txns.process[b]:
            return None
        if s.kind == WR:
            for k, v in self._reads(b).items():
                if facts.writer.get(k, {}).get(v) == a:
                    return (f"{name(b)} read key {fmt(k)} = {fmt(v)}, which {name(a)} wrote",
                            {"key": k, "value": v})
        for k, v2 in self._writes(b):
            before = [(v1, "read") for kk, v1 in self._reads(a).items() if kk == k]
            before += [(v1, "wrote") for kk, v1 in self._writes(a) if kk == k]
            for v1, how in before:
                why = self._order(k, v1, v2, b, s.kind)
                if why is not None:
                    return (f"{name(a)} {how} key {fmt(k)} = {fmt(v1)}, and {why} "
                            f"{name(b)}'s write of {fmt(v2)}", {"key": k, "value": v1,
                                                                "next": v2})
        return None

    def _order(self, k: Any, v1: Any, v2: Any, b: int, kind: int) -> str | None:
        """Why version v1 of k precedes v2 (written by b), by the rule an edge of ``kind``
        could come from; None if no rule gives it."""
        facts, txns = self.facts, self.txns
        if v1 is None and kind == RW:
            return "the initial state precedes"
        if kind in (WW, RW) and any(w == b and kk == k and r == v1
                                    for kk, r, _, w in facts.wfr):
            return "that version was read, then overwritten, by"
        w1 = facts.writer.get(k, {}).get(v1)
        if w1 is None:
            return None
        if kind & REALTIMEISH and 0 <= txns.complete[w1] < txns.invoke[b]:
            return (f"its write ({txns.cite(txns.complete[w1])}) completed before the "
                    f"invocation ({txns.cite(txns.invoke[b])}) of")
        if kind & PROCESSISH and txns.process[w1] == txns.process[b] and w1 < b:
            return f"process {txns.process[b]} wrote it before"
        return None


_WROTE = object()


def direct_text(f: Found, name: Namer) -> str:
    d, t = f.data, f.txns
    k, v = fmt(d.get("key")), fmt(d.get("value"))
    if f.type == "G1a":
        return f"{name(t[1])} read key {k} = {v}, written by {name(t[0])}, which failed"
    if f.type == "G1b":
        return (f"{name(t[1])} read key {k} = {v}, which {name(t[0])} wrote and then "
                f"overwrote in the same transaction")
    if f.type == "garbage-read":
        return f"{name(t[0])} read key {k} = {v}, which no transaction wrote"
    if f.type == "internal":
        return f"{name(t[0])} read key {k} = {v} after writing {fmt(d['expected'])} to it"
    if f.type == "nonrepeatable-read":
        return f"{name(t[0])} read key {k} = {v} after reading it as {fmt(d['before'])}"
    if f.type == "future-read":
        return f"{name(t[0])} read key {k} = {v}, which it writes only later"
    if f.type == "lost-update":
        who = ", ".join(name(x) for x in t)
        return f"{who} each read key {k} = {v} and then wrote it"
    return f"{f.type} on key {k}"


class RwRegisterChecker:
    """Elle's rw-register checker, with the inference limits stated in the module docstring."""

    name = "rw-register"

    def __init__(self, config: CheckConfig | None = None) -> None:
        self.config = config or CheckConfig()
        Judge(self.config)

    def check(self, history: History) -> Result:
        judge = Judge(self.config)
        return judge.within_budget(lambda: self._check(history, judge))

    def _check(self, history: History, judge: Judge) -> Result:
        txns = extract_txns(history)
        judge.checkpoint("reading the transactions")
        facts = collect_registers(txns)
        judge.checkpoint("collecting writes and reads")
        g = Graph(len(txns))
        register_edges(g, facts, txns, needs_process(judge.models),
                       needs_realtime(judge.models))
        judge.order_edges(g, txns, history)
        return judge.verdict(history, txns, g, facts.found, RegisterExplainer(txns, facts),
                             direct_text, {"keys": len(facts.writer)})
